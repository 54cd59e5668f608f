/**
 * A realistic service (test/fixtures/serverless/shop.yml): variables, REST and HTTP API events,
 * API keys grouped by usage plan, Lambda / JWT / IAM authorization, a resource policy, binary
 * media types, an HTTP proxy to a real local backend, a mock, and keys Portico reports as not
 * used. Imported, loaded and called end to end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { AwsClient } from 'aws4fetch'
import { applyFunctionEnvironment } from '../../../src/integrations/lambda/invoke-local-node.ts'
import { makeKey, sign, startIdp, type Idp, type SigningKey } from '../../features/auth-jwt/idp.ts'
import { importFixture, serveFixture } from './helpers.ts'

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0) / 1000
const BASE = 'http://localhost'
const PAID = 'paid-key-0123456789abcdef'
const FREE = 'free-key-0123456789abcdef'
const ADMIN = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }

let idp: Idp
let key: SigningKey
let backend: Server
let backendUrl: string
const backendHits: string[] = []
let env: Record<string, string>

beforeAll(async () => {
  idp = await startIdp()
  key = await makeKey('shop')
  idp.keys.push(key)
  backend = createServer((req, res) => {
    backendHits.push(`${req.method} ${req.url}`)
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ backend: true, method: req.method, url: req.url }))
  })
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve))
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`
  env = { SHOP_PAID_KEY: PAID, API_KEY_FREEKEY: FREE, SHOP_BACKEND_URL: backendUrl, SHOP_ISSUER: idp.issuer, SHOP_ADMIN_SECRET: ADMIN.secretAccessKey }
})
afterAll(async () => {
  await idp.close()
  await new Promise((resolve) => backend.close(resolve))
})

async function shop() {
  const gw = await serveFixture('shop.yml', { env })
  // What the Node runtime does at start-up.
  expect(applyFunctionEnvironment(gw.model.functions, process.env)).toEqual([])
  return gw
}

const WARNINGS = [
  'plugins: plugins are not run by Portico (ignored): serverless-offline',
  'resources: deployment setting, not used by Portico (ignored)',
  'provider.iam: deployment setting, not used by Portico (ignored)',
  'functions.me.reservedConcurrency: deployment setting, not used by Portico (ignored)',
  'functions.thumbnails.events[0].s3: s3 events are not served by Portico (only http, httpApi and websocket events are)',
  'provider.httpApi: the service has http (REST) and httpApi events, which AWS serves on two hosts: Portico serves the REST API at /dev/... and the HTTP API under /http (custom.portico.httpApiBasePath changes it)',
]

describe('shop.yml: import', () => {
  it('reports every key it does not act on, and nothing else', async () => {
    const gw = await shop()
    expect(gw.importWarnings).toEqual(WARNINGS)
    expect(gw.loadWarnings).toEqual([])
  })

  it('says which variable a bare-name API key reads when it is not set', async () => {
    const { warnings } = await importFixture('shop.yml', { env: { ...env, API_KEY_FREEKEY: undefined } })
    expect(warnings).toEqual([
      ...WARNINGS,
      'provider.apiGateway.apiKeys[0].free[0]: API key "freeKey" has no value: Portico reads it from the environment variable API_KEY_FREEKEY, which is not set (the gateway does not start until it is)',
    ])
  })

  it('builds the REST API, the HTTP API, functions, keys and plans', async () => {
    const gw = await shop()
    const [rest, http] = gw.model.apis
    expect(gw.model.settings).toMatchObject({ region: 'eu-west-1', trustForwardedFor: true })
    expect(rest).toMatchObject({ name: 'shop', type: 'REST', basePath: '/', stages: [{ name: 'dev' }], binaryMediaTypes: ['image/png'] })
    expect(rest!.routes.map((r) => r.routeKey)).toEqual([
      'GET /products',
      'GET /products/{id}',
      'POST /orders',
      'GET /admin/stats',
      'POST /uploads',
      'ANY /legacy/{proxy+}',
      'GET /health',
    ])
    expect(rest!.resourcePolicy).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:eu-west-1:*:*/*' },
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 'execute-api:Invoke',
          Resource: 'arn:aws:execute-api:eu-west-1:*:*/*/*/admin/*',
          Condition: { NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8'] } },
        },
      ],
    })
    expect(rest!.authorizers.authorize!.config).toMatchObject({ type: 'token', function: 'authorize', identitySource: 'method.request.header.Authorization', resultTtlInSeconds: 0 })
    expect(http).toMatchObject({ name: 'shop-http', type: 'HTTP', basePath: '/http', stages: [{ name: '$default' }] })
    expect(http!.routes.map((r) => [r.routeKey, r.payloadFormatVersion])).toEqual([
      ['GET /products', '2.0'],
      ['GET /me', '2.0'],
      ['POST /orders', '2.0'],
    ])
    expect(http!.authorizers.headerAuth!.config).toMatchObject({ type: 'request', function: 'authorize', payloadFormatVersion: '2.0', enableSimpleResponses: true, resultTtlInSeconds: 0 })
    expect(gw.model.functions.createOrder!.config).toMatchObject({
      timeout: 10,
      memorySize: 512,
      runtime: 'nodejs20.x',
      environment: { SHOP_TABLE_NAME: 'shop-orders-dev', SHOP_STAGE: 'dev', SHOP_GREETING: 'hello', SHOP_ORDER_QUEUE: 'orders' },
    })
    expect(gw.model.apiKeys).toEqual([
      { name: 'freeKey', valueEnv: 'API_KEY_FREEKEY', enabled: true },
      { name: 'paidKey', value: PAID, description: 'Paying partner', enabled: true },
    ])
    expect(gw.model.usagePlans.map((p) => ({ name: p.name, stages: p.apiStages.map((s) => `${s.apiName}/${s.stage}`), keys: p.apiKeyIds.length, quota: p.quota, throttle: p.throttle }))).toEqual([
      { name: 'free', stages: ['shop/dev'], keys: 1, quota: { limit: 1000, period: 'MONTH', offset: 0 }, throttle: { burstLimit: 5, rateLimit: 1 } },
      { name: 'paid', stages: ['shop/dev'], keys: 1, quota: { limit: 100000, period: 'MONTH', offset: 0 }, throttle: { burstLimit: 200, rateLimit: 100 } },
    ])
  })

  it('follows --stage and --region through every variable', async () => {
    const { config } = await importFixture('shop.yml', { env, stage: 'prod', region: 'us-west-2' })
    const c = config as any
    expect(c.settings.region).toBe('us-west-2')
    expect(c.apis[0].stages).toEqual([{ name: 'prod' }])
    expect(c.functions.listProducts.environment).toMatchObject({ SHOP_TABLE_NAME: 'shop-orders-prod', SHOP_STAGE: 'prod' })
    expect(c.apis[0].routes.find((r: any) => r.path === '/legacy/{proxy+}').integration).toEqual({ type: 'http_proxy', uri: 'https://backend.example.com/{proxy}', method: 'ANY' })
    expect(c.usagePlans[0].apiStages).toEqual([{ api: 'shop', stage: 'prod' }])
  })
})

describe('shop.yml: serving', () => {
  it('serves REST and HTTP API routes with the functions\' environment', async () => {
    const gw = await shop()
    const rest = await gw.app.request(`${BASE}/dev/products`)
    expect(rest.status).toBe(200)
    expect(await rest.json()).toMatchObject({ version: '1.0', table: 'shop-orders-dev', stage: 'dev' })
    const http = await gw.app.request(`${BASE}/http/products`)
    expect(http.status).toBe(200)
    expect(await http.json()).toMatchObject({ version: '2.0' })
    const one = await gw.app.request(`${BASE}/dev/products/p9?currency=EUR`)
    expect(await one.json()).toEqual({ id: 'p9', currency: 'EUR' })
  })

  it('validates requests as the framework\'s validator does: the required currency, the order schema', async () => {
    const gw = await shop()
    const noCurrency = await gw.app.request(`${BASE}/dev/products/p9`)
    expect(noCurrency.status).toBe(400)
    expect(await noCurrency.text()).toBe('{"message": "Missing required request parameters: [currency]"}')
    const order = (body: string) =>
      gw.app.request(`${BASE}/dev/orders`, { method: 'POST', headers: { Authorization: 'allow-ada', 'x-api-key': PAID, 'content-type': 'application/json' }, body })
    const invalid = await order('{"quantity": 1}')
    expect(invalid.status).toBe(400)
    expect(await invalid.text()).toBe('{"message": "Invalid request body"}')
    expect((await order('{"sku": "p1"}')).status).toBe(201)
    // The model and the validator, as the framework names them.
    const rest = gw.model.apis[0]!
    expect(Object.keys(rest.requestValidators)).toEqual(['shop-dev | Validate request body and querystring parameters'])
    expect(rest.models).toEqual({ OrdersPostApplicationJsonModel: { type: 'object', required: ['sku'] } })
  })

  it('HTTP API CORS (cors: true): preflights answered with the framework\'s defaults', async () => {
    const gw = await shop()
    const res = await gw.app.request(`${BASE}/http/orders`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-allow-methods')).toBe('OPTIONS,GET,POST')
    expect(res.headers.get('access-control-allow-headers')).toBe('Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent,X-Amzn-Trace-Id')
    const get = await gw.app.request(`${BASE}/http/products`, { headers: { Origin: 'https://shop.example' } })
    expect(get.headers.get('access-control-allow-origin')).toBe('*')
    // The REST API has no CORS: its preflight finds no OPTIONS method.
    const rest = await gw.app.request(`${BASE}/dev/products`, { method: 'OPTIONS', headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'GET' } })
    expect(rest.status).toBe(403)
  })

  it('orders need the token authorizer and an API key, in that order', async () => {
    const gw = await shop()
    const order = (headers: Record<string, string>) => gw.app.request(`${BASE}/dev/orders`, { method: 'POST', headers, body: '{"sku":"p1"}' })
    const noToken = await order({ 'x-api-key': PAID })
    expect(noToken.status).toBe(401)
    expect(await noToken.json()).toEqual({ message: 'Unauthorized' })
    const noKey = await order({ Authorization: 'allow-ada' })
    expect(noKey.status).toBe(403)
    expect(await noKey.json()).toEqual({ message: 'Forbidden' })
    for (const value of [PAID, FREE]) {
      const ok = await order({ Authorization: 'allow-ada', 'x-api-key': value })
      expect(ok.status).toBe(201)
      const body = await ok.json()
      expect(body).toMatchObject({ order: { sku: 'p1' }, principalId: 'ada', greeting: 'hello' })
      expect(body.apiKeyId).toMatch(/^[a-z0-9]+$/)
    }
  })

  it('the free plan throttles its key at burst 5, the paid one does not', async () => {
    const gw = await shop()
    const order = (key: string) => gw.app.request(`${BASE}/dev/orders`, { method: 'POST', headers: { Authorization: 'allow-ada', 'x-api-key': key }, body: '{}' })
    for (let i = 0; i < 5; i++) expect((await order(FREE)).status).toBe(201)
    const throttled = await order(FREE)
    expect(throttled.status).toBe(429)
    expect(await throttled.json()).toEqual({ message: 'Too Many Requests' })
    for (let i = 0; i < 6; i++) expect((await order(PAID)).status).toBe(201)
  })

  it('admin routes: IAM keeps out unsigned callers, the resource policy those outside 10/8', async () => {
    const gw = await shop()
    const unsigned = await gw.app.request(`${BASE}/dev/admin/stats`, { headers: { 'x-forwarded-for': '10.1.2.3' } })
    expect(unsigned.status).toBe(403)
    expect(await unsigned.json()).toEqual({ message: 'Missing Authentication Token' })

    const client = new AwsClient({ ...ADMIN, service: 'execute-api', region: 'eu-west-1' })
    const datetime = new Date(T0 * 1000).toISOString().replace(/[:-]|\.\d{3}/g, '')
    const signed = (ip: string) => client.sign(`${BASE}/dev/admin/stats`, { method: 'GET', headers: { 'x-forwarded-for': ip }, aws: { datetime } } as RequestInit)
    const outside = await gw.app.request(await signed('203.0.113.9'))
    expect(outside.status).toBe(403)
    expect((await outside.json()).Message).toMatch(/^User: arn:aws:iam::123456789012:user\/admin is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:eu-west-1:\*{8}9012:[a-z0-9]+\/dev\/GET\/admin\/stats with an explicit deny$/)
    const ok = await gw.app.request(await signed('10.1.2.3'))
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ caller: 'arn:aws:iam::123456789012:user/admin' })
  })

  it('binary media types reach the function base64-encoded', async () => {
    const gw = await shop()
    const res = await gw.app.request(`${BASE}/dev/uploads`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0xff]) })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ isBase64Encoded: true, size: 5 })
  })

  it('proxies legacy/{proxy+} to the backend named by a nested variable', async () => {
    const gw = await shop()
    const res = await gw.app.request(`${BASE}/dev/legacy/a/b?x=1`, { method: 'DELETE' })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ backend: true, method: 'DELETE', url: '/a/b?x=1' })
    expect(backendHits).toContain('DELETE /a/b?x=1')
  })

  it('answers the mock from its static templates', async () => {
    const gw = await shop()
    const res = await gw.app.request(`${BASE}/dev/health`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await res.text()).toBe('{"status":"ok"}')
  })

  it('HTTP API: JWT authorizer with scopes, and the simple-response request authorizer', async () => {
    const gw = await shop()
    const token = (scope: string) => sign(key, { iss: idp.issuer, aud: 'shop-web', sub: 'u1', scope, iat: T0, exp: T0 + 600 })
    const me = await gw.app.request(`${BASE}/http/me`, { headers: { Authorization: `Bearer ${await token('shop/read')}` } })
    expect(me.status).toBe(200)
    expect(await me.json()).toMatchObject({ jwt: { claims: { sub: 'u1' }, scopes: ['shop/read'] }, route: 'GET /me' })
    const noScope = await gw.app.request(`${BASE}/http/me`, { headers: { Authorization: `Bearer ${await token('shop/write')}` } })
    expect(noScope.status).toBe(403)

    const order = (headers: Record<string, string>) => gw.app.request(`${BASE}/http/orders`, { method: 'POST', headers })
    const ok = await order({ 'x-shop-token': 'allow-bob' })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ lambda: { user: 'bob' }, route: 'POST /orders' })
    expect((await order({ 'x-shop-token': 'nope' })).status).toBe(403)
    expect((await order({})).status).toBe(401)
  })
})
