/**
 * Every serverless.yml snippet of the guide (apigw-serverless-guide.md), as a fixture: loaded
 * through the importer and the model loader with its warnings asserted exactly, and its routes
 * called end to end with the real local handlers next to it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AwsClient } from 'aws4fetch'
import { makeKey, sign, startIdp, type Idp, type SigningKey } from '../../features/auth-jwt/idp.ts'
import { readConfigDocument } from '../../../src/model/load-file.ts'
import { importServerless } from '../../../src/importers/serverless.ts'
import { builtinFeatures } from '../../../src/features/index.ts'
import { makeGateway } from '../../helpers/gateway.ts'
import { importFixture, redirectFetch, serveFixture, SLS } from './helpers.ts'
import { resolve } from 'node:path'
import { startNode } from '../../../src/runtime/node/index.ts'
import { memoryLogger } from '../../../src/core/deps.ts'
import { expectNoFrame, handshakeStatus, openSocket } from '../../helpers/ws-client.ts'

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0) / 1000
const BASE = 'http://localhost'
// The guide's placeholders stand for a real pool; a local IdP answers for it.
const COGNITO = /^https:\/\/cognito-idp\.region\.amazonaws\.com\/[^/]+/

let idp: Idp
let key: SigningKey

beforeAll(async () => {
  idp = await startIdp()
  key = await makeKey('k1')
  idp.keys.push(key)
})
afterAll(() => idp.close())

const cognitoFetch = () => redirectFetch(COGNITO, `${idp.base}/pool`)

function idToken(pool: string, extra: Record<string, unknown> = {}) {
  return sign(key, {
    iss: `https://cognito-idp.region.amazonaws.com/${pool}`,
    sub: 'user-42',
    aud: 'client-id',
    token_use: 'id',
    email: 'ada@example.com',
    'cognito:username': 'ada',
    iat: T0,
    exp: T0 + 3600,
    ...extra,
  })
}

describe('REST API - Serverless Framework (Example Configuration)', () => {
  it('loads with the placeholder account reported', async () => {
    const gw = await serveFixture('guide-rest-api.yml', { deps: { fetch: cognitoFetch() } })
    expect(gw.importWarnings).toEqual([
      'functions.getUser.events[0].http.authorizer.arn: "account" is not a 12-digit account id: Portico uses 123456789012 (tokens are checked against the issuer https://cognito-idp.region.amazonaws.com/id)',
    ])
    expect(gw.loadWarnings).toEqual([])
    const api = gw.model.apis[0]!
    expect(api).toMatchObject({ name: 'users', type: 'REST', stages: [{ name: 'dev' }] })
    expect(api.routes.map((r) => r.routeKey)).toEqual(['GET /users/{id}'])
  })

  it('refuses a request without a token, before the function', async () => {
    const gw = await serveFixture('guide-rest-api.yml', { deps: { fetch: cognitoFetch() } })
    const res = await gw.app.request(`${BASE}/dev/users/42`)
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ message: 'Unauthorized' })
  })

  it('serves a caller with an ID token of the user pool, claims in the event', async () => {
    const gw = await serveFixture('guide-rest-api.yml', { deps: { fetch: cognitoFetch() } })
    const res = await gw.app.request(`${BASE}/dev/users/42`, { headers: { Authorization: await idToken('id') } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const body = await res.json()
    expect(body).toMatchObject({ message: 'Success', user_id: '42', method: 'GET', sub: 'user-42', email: 'ada@example.com', username: 'ada' })
    expect(body.authorizer.claims['cognito:username']).toBe('ada')
  })

  it('refuses a token of another pool', async () => {
    const gw = await serveFixture('guide-rest-api.yml', { deps: { fetch: cognitoFetch() } })
    const res = await gw.app.request(`${BASE}/dev/users/42`, { headers: { Authorization: await idToken('other-pool') } })
    expect(res.status).toBe(401)
  })
})

describe('HTTP API - Serverless Framework (Example Configuration)', () => {
  const load = () => serveFixture('guide-http-api.yml', { deps: { fetch: cognitoFetch() } })

  it('loads the authorizer defined on the event, with a note', async () => {
    const gw = await load()
    expect(gw.importWarnings).toEqual([
      'functions.getUser.events[0].httpApi.authorizer: authorizer "jwtAuthorizer" is defined on the event; the Serverless Framework expects it under provider.httpApi.authorizers (Portico accepts both)',
    ])
    expect(gw.loadWarnings).toEqual([])
    const api = gw.model.apis[0]!
    expect(api).toMatchObject({ name: 'users', type: 'HTTP', basePath: '/', stages: [{ name: '$default' }] })
    expect(api.authorizers.jwtAuthorizer!.config).toMatchObject({
      type: 'jwt',
      issuer: 'https://cognito-idp.region.amazonaws.com/pool-id',
      audience: ['client-id'],
      identitySource: '$request.header.Authorization',
    })
  })

  it('answers 401 without a token and serves a valid one with payload 2.0', async () => {
    const gw = await load()
    const denied = await gw.app.request(`${BASE}/users/7`)
    expect(denied.status).toBe(401)
    expect(await denied.json()).toEqual({ message: 'Unauthorized' })

    const res = await gw.app.request(`${BASE}/users/7`, { headers: { Authorization: `Bearer ${await idToken('pool-id')}` } })
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body).toMatchObject({ message: 'Success', user_id: '7', method: 'GET', sub: 'user-42' })
    expect(body.authorizer.jwt.claims.email).toBe('ada@example.com')
  })

  it('refuses a token for another audience', async () => {
    const gw = await load()
    const res = await gw.app.request(`${BASE}/users/7`, { headers: { Authorization: await idToken('pool-id', { aud: 'someone-else' }) } })
    expect(res.status).toBe(401)
  })
})

describe('Creating APIs: Integration with Lambda', () => {
  it('loads with the missing IAM identities reported; cors: true becomes an OPTIONS route', async () => {
    const gw = await serveFixture('guide-creating-apis.yml')
    expect(gw.importWarnings).toEqual([])
    expect(gw.loadWarnings).toEqual(['AWS_IAM routes exist but iam.credentials is empty: every signed request will be refused'])
    expect(gw.model.apis[0]!.routes.map((r) => [r.routeKey, r.authorization])).toEqual([
      ['GET /users/{id}', 'AWS_IAM'],
      ['OPTIONS /users/{id}', 'NONE'],
      ['POST /users', 'NONE'],
    ])
  })

  it('answers the browser\'s preflight without a signature, as the framework\'s MOCK does', async () => {
    const gw = await serveFixture('guide-creating-apis.yml')
    const res = await gw.app.request(`${BASE}/dev/users/1`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization,x-amz-date' },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-allow-methods')).toBe('OPTIONS,GET')
    expect(res.headers.get('access-control-allow-headers')).toBe('Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent,X-Amzn-Trace-Id')
    // POST /users has no cors: its preflight finds no OPTIONS method, as on AWS.
    const post = await gw.app.request(`${BASE}/dev/users`, { method: 'OPTIONS', headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'POST' } })
    expect(post.status).toBe(403)
    expect(await post.json()).toEqual({ message: 'Missing Authentication Token' })
  })

  it('refuses an unsigned GET and creates a user with POST', async () => {
    const gw = await serveFixture('guide-creating-apis.yml')
    const get = await gw.app.request(`${BASE}/dev/users/1`)
    expect(get.status).toBe(403)
    expect(await get.json()).toEqual({ message: 'Missing Authentication Token' })

    const post = await gw.app.request(`${BASE}/dev/users`, { method: 'POST', body: JSON.stringify({ name: 'Ada' }) })
    expect(post.status).toBe(201)
    expect(await post.json()).toEqual({ message: 'Created', user: { name: 'Ada' } })
  })

  it('serves a SigV4-signed GET once custom.portico.iam names the caller', async () => {
    const { data } = await readConfigDocument(`${SLS}/guide-creating-apis.yml`)
    const doc = data as Record<string, any>
    doc.custom = {
      portico: {
        iam: {
          credentials: [
            {
              accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
              secretAccessKeyEnv: 'ALICE_SECRET',
              arn: 'arn:aws:iam::123456789012:user/alice',
              policies: [{ Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:*:*:*/dev/GET/users/*' }] }],
            },
          ],
        },
      },
    }
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
    const { config, warnings } = importServerless(doc, { env: {} })
    expect(warnings).toEqual([])
    const gw = makeGateway(config, { baseDir: SLS, deps: { env: { ALICE_SECRET: secret } }, gateway: { features: builtinFeatures } })
    expect(gw.warnings).toEqual([])
    const client = new AwsClient({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: secret, service: 'execute-api', region: 'us-east-1' })
    const datetime = new Date(T0 * 1000).toISOString().replace(/[:-]|\.\d{3}/g, '')
    const signed = await client.sign(`${BASE}/dev/users/9`, { method: 'GET', aws: { datetime } } as RequestInit)
    const res = await gw.app.request(signed)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ user_id: '9', userArn: 'arn:aws:iam::123456789012:user/alice' })
    // The guide's handler sets its own CORS header; API Gateway adds none to proxy answers.
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
  })
})

describe('Throttling Configuration', () => {
  it('maps the account-level throttle to the REST stage and the function throttle to its routes', async () => {
    const gw = await serveFixture('guide-throttling.yml')
    expect(gw.importWarnings).toEqual([])
    expect(gw.loadWarnings).toEqual([])
    const api = gw.model.apis[0]!
    expect(api.stages[0]).toMatchObject({ name: 'dev', throttle: { burstLimit: 5000, rateLimit: 2000 } })
    expect(api.routes[0]!.throttle).toEqual({ burstLimit: 100, rateLimit: 50 })
    // The gateway-wide account throttle stays unset: AWS's default applies, unadvertised.
    expect(gw.model.settings.throttle).toBeUndefined()
    const res = await gw.app.request(`${BASE}/dev/users/5`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ user_id: '5' })
  })

  it('throttles the function\'s route at its own burst, refilled at its rate', async () => {
    const gw = await serveFixture('guide-throttling.yml')
    const call = () => gw.app.request(`${BASE}/dev/users/5`)
    for (let i = 0; i < 100; i++) expect((await call()).status).toBe(200)
    const throttled = await call()
    expect(throttled.status).toBe(429)
    expect(await throttled.json()).toEqual({ message: 'Too Many Requests' })
    gw.clock.advance(1000)
    for (let i = 0; i < 50; i++) expect((await call()).status).toBe(200)
    expect((await call()).status).toBe(429)
  })
})

describe('Cognito User Pools', () => {
  const load = () => serveFixture('guide-cognito.yml', { deps: { fetch: cognitoFetch() } })

  it('loads with the placeholder account and the claims list reported', async () => {
    const gw = await load()
    expect(gw.importWarnings).toEqual([
      'functions.getUser.events[0].http.authorizer.arn: "account" is not a 12-digit account id: Portico uses 123456789012 (tokens are checked against the issuer https://cognito-idp.region.amazonaws.com/pool-id)',
      'functions.getUser.events[0].http.authorizer.claims: claims select what non-proxy integrations receive; with lambda-proxy every claim reaches the function, as on AWS (ignored)',
    ])
    expect(gw.loadWarnings).toEqual([])
    expect(gw.model.apis[0]!.authorizers.CognitoAuthorizer!.config).toMatchObject({
      type: 'cognito_user_pools',
      providerArns: ['arn:aws:cognito-idp:region:123456789012:userpool/pool-id'],
    })
  })

  it('gives the handler the claims the guide reads (email, sub, cognito:username)', async () => {
    const gw = await load()
    const res = await gw.app.request(`${BASE}/dev/users/42`, { headers: { Authorization: await idToken('pool-id') } })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ sub: 'user-42', email: 'ada@example.com', username: 'ada' })
  })

  it('refuses an access token on a route without scopes (an ID token is needed)', async () => {
    const gw = await load()
    const res = await gw.app.request(`${BASE}/dev/users/42`, { headers: { Authorization: await idToken('pool-id', { token_use: 'access' }) } })
    expect(res.status).toBe(401)
  })
})

describe('Caching (Enable Caching + Per-Key Caching)', () => {
  const env = { PORTICO_CACHE_KEY: Buffer.alloc(32, 7).toString('base64') }

  it('reports the missing encryption key', async () => {
    const { warnings } = await importFixture('guide-caching.yml')
    expect(warnings).toEqual([
      'provider.apiGateway.caching.dataEncrypted: set PORTICO_CACHE_KEY to a base64 256-bit key: the gateway does not start without it',
    ])
  })

  it('loads the stage cache and the route key parameters', async () => {
    const gw = await serveFixture('guide-caching.yml', { env })
    expect(gw.importWarnings).toEqual([])
    expect(gw.loadWarnings).toEqual([])
    const api = gw.model.apis[0]!
    expect(api.stages[0]!.cache).toMatchObject({ enabled: true, ttlInSeconds: 300, dataEncrypted: true })
    expect(api.routes[0]!.caching).toMatchObject({
      enabled: true,
      ttlInSeconds: 300,
      keyParameters: [
        { in: 'path', name: 'id' },
        { in: 'querystring', name: 'filter' },
      ],
    })
  })

  it('answers repeated requests from the cache, keyed by id and filter', async () => {
    const gw = await serveFixture('guide-caching.yml', { env })
    const call = async (path: string) => (await (await gw.app.request(`${BASE}/dev${path}`)).json()).invocation as string
    const first = await call('/users/1')
    expect(await call('/users/1')).toBe(first)
    const other = await call('/users/2')
    expect(other).not.toBe(first)
    const filtered = await call('/users/1?filter=active')
    expect(filtered).not.toBe(first)
    expect(await call('/users/1?filter=active')).toBe(filtered)
    gw.clock.advance(301_000)
    expect(await call('/users/1')).not.toBe(first)
  })
})

describe('WebSocket Configuration', () => {
  it('imports every websocket event as a route of one WebSocket API, without warnings', async () => {
    const { config, warnings } = await importFixture('guide-websocket.yml')
    expect(warnings).toEqual([])
    expect(config.apis).toEqual([
      {
        name: 'dev-chat-websockets',
        type: 'WEBSOCKET',
        stages: [{ name: 'dev' }],
        routes: [
          { route: '$connect', integration: { type: 'lambda', function: 'connectionHandler' }, authorization: { authorizer: 'auth' } },
          { route: '$disconnect', integration: { type: 'lambda', function: 'disconnectionHandler' } },
          { route: 'sendMessage', integration: { type: 'lambda', function: 'messageHandler' } },
          { route: '$default', integration: { type: 'lambda', function: 'defaultHandler' } },
        ],
        authorizers: { auth: { type: 'request', function: 'auth', identitySource: ['route.request.querystring.token'] } },
      },
    ])
  })

  it('serves the guide\'s client: connect with ?token=, sendMessage reaches every connection', async () => {
    const logger = memoryLogger()
    const gw = await startNode({ config: resolve(SLS, 'guide-websocket.yml'), port: 0, logger })
    try {
      expect(logger.lines.filter((l) => l.level === 'warn')).toEqual([])
      const ws = gw.url.replace('http://', 'ws://')
      expect(await handshakeStatus(`${ws}/dev`)).toBe(401)
      expect(await handshakeStatus(`${ws}/dev?token=wrong`)).toBe(403)
      const alice = await openSocket(`${ws}/dev?token=auth-token`)
      const bob = await openSocket(`${ws}/dev?token=auth-token`)
      // What the guide's browser client sends on open.
      alice.send(JSON.stringify({ action: 'sendMessage', message: 'Hello, world!' }))
      expect(JSON.parse(await bob.next())).toEqual({ message: 'Hello, world!' })
      expect(JSON.parse(await alice.next())).toEqual({ message: 'Hello, world!' })
      // Without a route response, the routes answer nothing themselves.
      alice.send('ping')
      await expectNoFrame(alice)
      alice.close()
      bob.close()
    } finally {
      await gw.close()
    }
  })
})
