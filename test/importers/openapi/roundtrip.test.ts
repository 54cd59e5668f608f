/**
 * Export and round trip: import → loadModel → export → import → loadModel gives the same
 * compiled model; exports of native configs say what they leave out; `portico export openapi`.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'
import { z } from 'zod'
import { importOpenApi, type OpenApiImportOptions } from '../../../src/importers/openapi.ts'
import { exportOpenApi, exportOpenApiDocument } from '../../../src/exporters/openapi.ts'
import { exportCommand } from '../../../src/exporters/cli.ts'
import { loadModel } from '../../../src/model/load.ts'
import { loadConfigFile } from '../../../src/model/load-file.ts'
import { makeGateway } from '../../helpers/gateway.ts'
import { fixture, OPENAPI_FIXTURES } from './helpers.ts'

const load = (config: unknown) => loadModel(config, { baseDir: OPENAPI_FIXTURES }).model

describe('round trip', () => {
  const cases: [string, OpenApiImportOptions][] = [
    ['petstore.yaml', {}],
    ['petstore-mock.json', {}],
    ['orders-auth.yaml', { lambdaMapping: { orders: 'handlers.orders', tokenAuth: 'handlers.tokenAuth' } }],
    ['http-api.yaml', { lambdaMapping: { items: 'handlers.items', teamAuth: 'handlers.teamAuth' } }],
    ['mapping.yaml', { lambdaMapping: { users: 'handlers.users' } }],
  ]
  it.each(cases)('%s: the export imports back into the same model, and exports the same', (file, opts) => {
    const first = load(importOpenApi(fixture(file), opts).config)
    const exported = exportOpenApi(first)
    const again = importOpenApi(exported, opts)
    // What the export writes, the import reads without anything to warn about.
    expect(again.warnings).toEqual([])
    const second = load(again.config)
    expect(second).toEqual(first)
    expect(exportOpenApi(second)).toEqual(exported)
  })

  it('writes API Gateway\'s extensions as AWS exports them', () => {
    const model = load(importOpenApi(fixture('orders-auth.yaml'), { lambdaMapping: { orders: 'handlers.orders', tokenAuth: 'handlers.tokenAuth' } }).config)
    const doc = exportOpenApi(model) as any
    expect(doc.openapi).toBe('3.0.1')
    expect(doc.servers).toEqual([{ url: `https://${model.apis[0]!.id}.execute-api.us-east-1.amazonaws.com/{basePath}`, variables: { basePath: { default: 'v1' } } }])
    expect(doc.paths['/orders'].post.security).toEqual([{ 'token-auth': [], api_key: [] }])
    expect(doc.paths['/orders'].get['x-amazon-apigateway-integration']).toEqual({
      type: 'aws_proxy',
      httpMethod: 'POST',
      uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:orders/invocations',
      timeoutInMillis: 5000,
    })
    // A remote function keeps its ARN, and its region in the invocation URI.
    expect(doc.paths['/admin/{proxy+}']['x-amazon-apigateway-any-method']['x-amazon-apigateway-integration'].uri).toBe(
      'arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:210987654321:function:admin:live/invocations',
    )
    expect(doc.components.securitySchemes.sigv4).toEqual({ type: 'apiKey', name: 'Authorization', in: 'header', 'x-amazon-apigateway-authtype': 'awsSigv4' })
    expect(doc['x-amazon-apigateway-gateway-responses'].UNAUTHORIZED).toEqual({
      statusCode: '401',
      responseParameters: { 'gatewayresponse.header.WWW-Authenticate': "'Bearer'" },
      responseTemplates: { 'application/json': '{"error": "unauthorized", "requestId": "$context.requestId"}' },
    })
  })
})

describe('exporting a native config', () => {
  it('lists what the extensions cannot carry, and the export serves the same answers', async () => {
    const { model } = await loadConfigFile('examples/users/portico.yaml', { checkHandlers: false })
    const { document, omitted } = exportOpenApiDocument(model, { api: 'users-rest' })
    expect(omitted).toEqual([
      'stage "prod": stage variables (backendUrl)',
      'function "getUser": the local handler users.get (exported as the Lambda function "getUser": import with lambdaMapping {"getUser": "users.get"})',
      'function "createUser": the local handler users.create (exported as the Lambda function "createUser": import with lambdaMapping {"createUser": "users.create"})',
      'function "me": the local handler users.me (exported as the Lambda function "me": import with lambdaMapping {"me": "users.me"})',
      'function "getProfile": the local handler users.profile (exported as the Lambda function "getProfile": import with lambdaMapping {"getProfile": "users.profile"})',
      'function "tokenAuthorizer": the local handler auth.token (exported as the Lambda function "tokenAuthorizer": import with lambdaMapping {"tokenAuthorizer": "auth.token"}); also its environment',
    ])
    const paths = (document as any).paths
    expect(Object.keys(paths)).toEqual(['/users/{id}', '/users', '/backend/{proxy+}', '/health', '/me', '/partner/users/{id}', '/users/{id}/profile'])
    // The Lambda custom route: an aws integration with its templates and responses.
    const profile = paths['/users/{id}/profile'].get
    expect(profile.responses).toEqual({ '200': { description: '200 response' }, '404': { description: '404 response' } })
    expect(profile['x-amazon-apigateway-integration']).toMatchObject({
      type: 'aws',
      httpMethod: 'POST',
      uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:getProfile/invocations',
      passthroughBehavior: 'when_no_match',
      requestTemplates: { 'application/json': expect.stringContaining("$input.params('id')") },
      responses: { default: { statusCode: '200' }, '.*\\[404\\].*': { statusCode: '404' } },
    })
    expect(paths['/backend/{proxy+}']['x-amazon-apigateway-any-method']['x-amazon-apigateway-integration']).toEqual({
      type: 'http_proxy',
      httpMethod: 'ANY',
      uri: '${stageVariables.backendUrl}/{proxy}',
      requestParameters: { 'integration.request.path.proxy': 'method.request.path.proxy' },
    })
    const { config, warnings } = importOpenApi(document, {
      lambdaMapping: { getUser: 'users.get', createUser: 'users.create', me: 'users.me', tokenAuthorizer: 'auth.token', getProfile: 'users.profile' },
    })
    expect(warnings).toEqual([])
    const { app } = makeGateway(config, { baseDir: resolve('examples/users') })
    const health = await app.request('/prod/health')
    expect(health.status).toBe(200)
    expect(await health.text()).toBe('{"status":"ok"}')
    const profileRes = await app.request('/prod/users/9/profile')
    expect(((await profileRes.json()) as { user: unknown }).user).toEqual({ id: '9', name: 'User 9', email: 'user9@example.com' })
  })

  it('needs the API named when the config has several', async () => {
    const { model } = await loadConfigFile('examples/users/portico.yaml', { checkHandlers: false })
    expect(() => exportOpenApi(model)).toThrow('the config has 2 APIs (users-rest, users-http): name the one to export with --api <name>')
    expect(() => exportOpenApi(model, { api: 'nope' })).toThrow('no API named "nope" (APIs: users-rest, users-http)')
    const http = exportOpenApiDocument(model, { api: 'users-http' })
    expect(http.omitted[0]).toBe('basePath /v2 (where Portico mounts the API)')
    expect((http.document as any).servers[0].variables.basePath).toEqual({ default: '' })
    expect(importOpenApi(http.document).config.apis[0]!.type).toBe('HTTP')
  })
})

describe('CORS and request validation round trip', () => {
  const fn = { type: 'lambda', function: 'orders' }
  const functions = { orders: { handler: 'handlers.orders' } }
  const mapping = { lambdaMapping: { orders: 'handlers.orders' } }

  it('HTTP API cors: x-amazon-apigateway-cors out and back', () => {
    const cors = { allowOrigins: ['https://a.test', 'https://*'], allowCredentials: true, exposeHeaders: ['x-id'], maxAge: 600, allowMethods: ['GET', '*'], allowHeaders: ['authorization'] }
    const first = load({ functions, apis: [{ name: 'h', type: 'HTTP', cors, routes: [{ route: 'GET /o', integration: { ...fn, payloadFormatVersion: '2.0' } }] }] })
    const doc = exportOpenApi(first) as any
    expect(doc['x-amazon-apigateway-cors']).toEqual(cors)
    const again = importOpenApi(doc, mapping)
    expect(again.warnings).toEqual([])
    const second = load(again.config)
    expect(second.apis[0]!.cors).toEqual(first.apis[0]!.cors)
    expect(exportOpenApi(second)).toEqual(doc)
  })

  it('REST models, validators, parameters and body models: the same model back, as AWS exports them', () => {
    const config = {
      functions,
      apis: [
        {
          name: 'r',
          type: 'REST',
          models: {
            Order: { type: 'object', required: ['item'], properties: { item: { type: 'string' }, ship: { $ref: 'Address' }, bill: { $ref: 'https://apigateway.amazonaws.com/restapis/x/models/Address' } } },
            Address: { type: 'object', required: ['city'] },
          },
          requestValidators: { all: { validateRequestBody: true, validateRequestParameters: true }, params: { validateRequestParameters: true } },
          routes: [
            {
              method: 'POST',
              path: '/orders/{id}',
              integration: fn,
              requestValidator: 'all',
              requestParameters: { 'method.request.path.id': true, 'method.request.querystring.q': true, 'method.request.header.X-Trace': false },
              requestModels: { 'application/json': 'Order', $default: 'Empty' },
            },
            { method: 'GET', path: '/orders', integration: fn, requestValidator: 'params' },
          ],
        },
      ],
    }
    const first = load(config)
    const doc = exportOpenApi(first) as any
    expect(doc['x-amazon-apigateway-request-validators']).toEqual({
      all: { validateRequestBody: true, validateRequestParameters: true },
      params: { validateRequestBody: false, validateRequestParameters: true },
    })
    // References between models are written as OpenAPI's, as API Gateway exports them.
    expect(doc.components.schemas.Order.properties.ship).toEqual({ $ref: '#/components/schemas/Address' })
    expect(doc.components.schemas.Order.properties.bill).toEqual({ $ref: '#/components/schemas/Address' })
    const post = doc.paths['/orders/{id}'].post
    expect(post['x-amazon-apigateway-request-validator']).toBe('all')
    expect(post.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'q', in: 'query', required: true, schema: { type: 'string' } },
      { name: 'X-Trace', in: 'header', required: false, schema: { type: 'string' } },
    ])
    expect(post.requestBody).toEqual({ content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } }, $default: { schema: { $ref: '#/components/schemas/Empty' } } } })

    const again = importOpenApi(doc, mapping)
    expect(again.warnings).toEqual([])
    const second = load(again.config)
    const strip = (m: typeof first) => m.apis[0]!.routes.map((r) => ({ key: r.routeKey, request: r.request }))
    expect(strip(second)).toEqual(strip(first))
    expect(second.apis[0]!.requestValidators).toEqual(first.apis[0]!.requestValidators)
    // The imported document's models say the same, in OpenAPI's reference form; a third pass is a fixed point.
    const third = load(importOpenApi(exportOpenApi(second), mapping).config)
    expect(third).toEqual(second)
    expect(exportOpenApi(third)).toEqual(exportOpenApi(second))
  })

  it('the imported export validates as the original did', async () => {
    const config = {
      functions,
      apis: [
        {
          name: 'r',
          type: 'REST',
          models: { Order: { type: 'object', required: ['item'], properties: { ship: { $ref: 'Address' } } }, Address: { type: 'object', required: ['city'] } },
          requestValidators: { all: { validateRequestBody: true, validateRequestParameters: true } },
          routes: [{ method: 'POST', path: '/orders', integration: fn, requestValidator: 'all', requestParameters: { 'method.request.querystring.q': true }, requestModels: { 'application/json': 'Order' } }],
        },
      ],
    }
    const exported = importOpenApi(exportOpenApi(load(config)), mapping).config
    for (const c of [config, exported]) {
      const { app } = makeGateway(c, { baseDir: OPENAPI_FIXTURES })
      const post = (q: string, body: string) => app.request(`/prod/orders${q}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      expect(await (await post('', '{"item":1}')).text()).toBe('{"message": "Missing required request parameters: [q]"}')
      expect((await post('?q=1', '{"item":1,"ship":{}}')).status).toBe(400)
      expect((await post('?q=1', '{"item":1,"ship":{"city":"x"}}')).status).toBe(200)
    }
  })

  it('REST cors: exported as the OPTIONS mock it is, which imports back and answers the same', async () => {
    const config = { functions, apis: [{ name: 'r', type: 'REST', routes: [{ method: 'GET', path: '/o', integration: fn, cors: { origin: 'https://a.test', maxAge: 60 } }] }] }
    const first = load(config)
    const { document, omitted } = exportOpenApiDocument(first)
    expect(omitted.filter((o) => o.includes('Access-Control'))).toEqual([])
    const options = (document as any).paths['/o'].options['x-amazon-apigateway-integration']
    expect(options.type).toBe('mock')
    expect(options.responses.default.responseParameters).toEqual({
      'method.response.header.Access-Control-Allow-Origin': "'https://a.test'",
      'method.response.header.Access-Control-Allow-Headers': "'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent,X-Amzn-Trace-Id'",
      'method.response.header.Access-Control-Allow-Methods': "'OPTIONS,GET'",
      'method.response.header.Access-Control-Max-Age': "'60'",
    })
    const again = importOpenApi(document, mapping)
    expect(again.warnings).toEqual([])
    const answers = async (c: unknown) => {
      const { app } = makeGateway(c, { baseDir: OPENAPI_FIXTURES })
      const res = await app.request('/prod/o', { method: 'OPTIONS', headers: { Origin: 'https://a.test', 'Access-Control-Request-Method': 'GET' } })
      return [res.status, [...res.headers].filter(([k]) => k.startsWith('access-control-'))]
    }
    expect(await answers(again.config)).toEqual(await answers(config))
    // Several origins need VTL on AWS: the export says what it leaves out.
    const several = exportOpenApiDocument(load({ functions, apis: [{ name: 'r', type: 'REST', routes: [{ method: 'GET', path: '/o', integration: fn, cors: { origins: ['https://a.test', 'https://b.test'] } }] }] }))
    expect(several.omitted).toContain('route "OPTIONS /o": Access-Control-Allow-Origin chosen among https://a.test, https://b.test (exported as the first; API Gateway needs a VTL template to choose)')
  })

  it('a zod model is exported as the JSON Schema zod derives, said in what is left out', () => {
    const Order = z.object({ item: z.string(), quantity: z.number().int().min(1) })
    const model = load({ functions, apis: [{ name: 'r', type: 'REST', models: { Order }, routes: [{ method: 'POST', path: '/o', integration: fn }] }] })
    const { document, omitted } = exportOpenApiDocument(model)
    expect((document as any).components.schemas.Order).toMatchObject({ type: 'object', required: ['item', 'quantity'], properties: { item: { type: 'string' }, quantity: { type: 'integer', minimum: 1 } } })
    expect(omitted).toContain('model "Order": a zod schema, exported as the JSON Schema zod derives from it (refinements and transforms are not in it)')
  })
})

describe('portico export openapi', () => {
  let out: string[]
  let err: string[]
  let dir: string
  beforeEach(() => {
    out = []
    err = []
    dir = mkdtempSync(join(tmpdir(), 'portico-export-'))
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk))
      return true
    })
    vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ') + '\n'))
    vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')))
  })
  afterEach(() => {
    vi.restoreAllMocks()
    rmSync(dir, { recursive: true, force: true })
  })

  it('prints YAML on stdout and what it left out on stderr', async () => {
    expect(await exportCommand(['openapi', '--config', 'examples/users/portico.yaml', '--api', 'users-rest'])).toBe(0)
    const doc = parse(out.join(''), { version: '1.1' })
    expect(doc.info.title).toBe('users-rest')
    expect(doc.paths['/health'].get['x-amazon-apigateway-integration'].type).toBe('mock')
    expect(err[0]).toBe('not exported: stage "prod": stage variables (backendUrl)')
  })

  it('writes JSON to --out', async () => {
    const file = join(dir, 'api.json')
    expect(await exportCommand(['openapi', '--config', 'examples/users/portico.yaml', '--api', 'users-http', '--out', file])).toBe(0)
    const doc = JSON.parse(readFileSync(file, 'utf8'))
    expect(doc.paths['/users/{id}'].get['x-amazon-apigateway-integration'].payloadFormatVersion).toBe('2.0')
    expect(err.at(-1)).toBe(`wrote ${file}`)
  })

  it('exits 1 with a clear message', async () => {
    expect(await exportCommand(['openapi', '--config', 'examples/users/portico.yaml'])).toBe(1)
    expect(err).toEqual(['portico export: the config has 2 APIs (users-rest, users-http): name the one to export with --api <name>'])
    err.length = 0
    expect(await exportCommand(['swagger'])).toBe(1)
    expect(err[0]).toMatch(/^portico export: unknown format "swagger" \(openapi is the one there is\)/)
    err.length = 0
    expect(await exportCommand(['openapi', '--config', 'test/fixtures/configs/bad.yaml'])).toBe(1)
    expect(err[0]).toBe('test/fixtures/configs/bad.yaml: invalid config')
    expect(await exportCommand(['openapi', '--help'])).toBe(0)
    expect(out.join('')).toContain('portico export openapi [--config <file>]')
  })
})
