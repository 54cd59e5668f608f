/**
 * How serverless.yml forms map onto the Portico model: detection by content, event short
 * forms, authorizer forms, API keys and usage plans, both caching syntaxes, HTTP API routes,
 * custom.portico, and the warnings for keys Portico does not act on.
 */
import { describe, expect, it } from 'vitest'
import { importServerless, isServerlessDocument } from '../../../src/importers/serverless.ts'
import { builtinFeatures } from '../../../src/features/index.ts'
import { makeGateway } from '../../helpers/gateway.ts'
import { SLS } from './helpers.ts'

type Doc = Record<string, any>
const BASE = 'http://localhost'

const imp = (doc: Doc, opts: { env?: Record<string, string>; stage?: string; file?: string } = {}) => {
  const { config, warnings } = importServerless(doc, { env: opts.env ?? {}, stage: opts.stage, file: opts.file })
  return { config: config as Doc, warnings }
}
const serve = (doc: Doc, env: Record<string, string> = {}) => {
  const { config, warnings } = imp(doc, { env })
  return { ...makeGateway(config, { baseDir: SLS, deps: { env }, gateway: { features: builtinFeatures } }), importWarnings: warnings }
}
const svc = (functions: Doc, provider: Doc = {}, extra: Doc = {}): Doc => ({ service: 'users', provider: { name: 'aws', ...provider }, functions, ...extra })
const get = (events: unknown[], more: Doc = {}) => ({ handler: 'users.get', events, ...more })

describe('isServerlessDocument', () => {
  it.each([
    [{ service: 'a', provider: { name: 'aws' } }, true],
    [{ functions: { f: { handler: 'h.x', events: [] } } }, true],
    [{ functions: [{ f: { handler: 'h.x', events: [{ http: 'GET /' }] } }] }, true],
    [{ service: 'a', provider: { name: 'azure' } }, false],
    [{ functions: { f: { handler: 'h.x' } } }, false],
    [{ apis: [], functions: { f: { handler: 'h.x', events: [] } } }, false],
    [{ service: 'a' }, false],
    [null, false],
    [['service'], false],
    ['service: a', false],
  ])('%j → %s', (doc, expected) => {
    expect(isServerlessDocument(doc)).toBe(expected)
  })
})

describe('REST events', () => {
  it('short forms, paths without a leading slash, any and the root', () => {
    const { config, warnings } = imp(
      svc({
        a: get([{ http: 'GET users/{id}/' }, { http: { path: '', method: 'any' } }, { http: { path: '/files/{proxy+}', method: 'ANY' } }, { http: 'post /users' }]),
      }),
    )
    expect(warnings).toEqual([])
    expect(config.apis[0].routes.map((r: Doc) => `${r.method} ${r.path}`)).toEqual(['GET /users/{id}', 'ANY /', 'ANY /files/{proxy+}', 'POST /users'])
    expect(config.apis[0]).toMatchObject({ name: 'users', type: 'REST', stages: [{ name: 'dev' }] })
  })

  it('provider.apiName names the REST API; --stage names its stage', () => {
    const { config } = imp(svc({ a: get([{ http: 'GET /' }]) }, { apiName: 'users-api', stage: 'qa' }), { stage: 'prod' })
    expect(config.apis[0]).toMatchObject({ name: 'users-api', stages: [{ name: 'prod' }] })
  })

  it('authorizer forms: function name, Lambda ARN, user pool ARN, request, aws_iam, shared', () => {
    const { config, warnings } = imp(
      svc({
        auth: { handler: 'users.get' },
        keyAuth: { handler: 'users.get' },
        a: get([
          { http: { path: 'a', method: 'get', authorizer: 'auth' } },
          { http: { path: 'b', method: 'get', authorizer: 'arn:aws:lambda:us-east-1:123456789012:function:remote-auth' } },
          { http: { path: 'c', method: 'get', authorizer: 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC' } },
          { http: { path: 'd', method: 'get', authorizer: { name: 'keyAuth', type: 'request', identitySource: 'method.request.header.X-Key, method.request.querystring.k', resultTtlInSeconds: 60 } } },
          { http: { path: 'e', method: 'get', authorizer: { type: 'AWS_IAM' } } },
          { http: { path: 'f', method: 'get', authorizer: { name: 'pool', arn: 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC', scopes: ['users/read'], identitySource: 'method.request.header.X-Token' } } },
          { http: { path: 'g', method: 'get', authorizer: 'auth' } },
        ]),
      }),
    )
    expect(warnings).toEqual([])
    expect(config.apis[0].routes.map((r: Doc) => r.authorization)).toEqual([
      { authorizer: 'auth' },
      { authorizer: 'remote-auth' },
      { authorizer: 'cognito-us-east-1_AbC' },
      { authorizer: 'keyAuth' },
      'AWS_IAM',
      { authorizer: 'pool', scopes: ['users/read'] },
      { authorizer: 'auth' },
    ])
    expect(config.apis[0].authorizers).toEqual({
      auth: { type: 'token', function: 'auth', identitySource: 'method.request.header.Authorization' },
      'remote-auth': { type: 'token', function: 'arn:aws:lambda:us-east-1:123456789012:function:remote-auth', identitySource: 'method.request.header.Authorization' },
      'cognito-us-east-1_AbC': { type: 'cognito_user_pools', providerArns: ['arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC'] },
      keyAuth: { type: 'request', function: 'keyAuth', identitySource: 'method.request.header.X-Key, method.request.querystring.k', resultTtlInSeconds: 60 },
      pool: { type: 'cognito_user_pools', providerArns: ['arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC'], identitySource: 'method.request.header.X-Token' },
    })
  })

  it('a TOKEN authorizer function runs before the route, with its identity source', async () => {
    const gw = serve(
      svc({
        auth: { handler: 'authorizer.handler' },
        a: get([{ http: { path: 'users/{id}', method: 'get', authorizer: { name: 'auth', identitySource: 'method.request.header.X-Token', identityValidationExpression: '^allow-.+$' } } }]),
      }),
    )
    expect((await gw.app.request(`${BASE}/dev/users/1`, { headers: { Authorization: 'allow-ada' } })).status).toBe(401)
    expect((await gw.app.request(`${BASE}/dev/users/1`, { headers: { 'X-Token': 'nope' } })).status).toBe(401)
    const ok = await gw.app.request(`${BASE}/dev/users/1`, { headers: { 'X-Token': 'allow-ada' } })
    expect(ok.status).toBe(200)
    expect((await ok.json()).authorizer).toMatchObject({ principalId: 'ada' })
  })

  it('request parameters: declared on the route, with the framework\'s validator when one is required', () => {
    const { config, warnings } = imp(
      svc({
        a: get([
          {
            http: {
              path: 'users/{id}',
              method: 'get',
              request: { parameters: { paths: { id: true, other: true }, querystrings: { q: true, optional: false }, headers: { 'X-Trace': { required: true } } } },
            },
          },
        ]),
      }),
    )
    expect(warnings).toEqual(['functions.a.events[0].http.request.parameters.paths.other: {other} is not a path parameter of this route (ignored)'])
    const api = config.apis[0]
    expect(api.routes[0]).toMatchObject({
      requestValidator: 'users-dev | Validate request body and querystring parameters',
      requestParameters: { 'method.request.querystring.q': true, 'method.request.querystring.optional': false, 'method.request.path.id': true, 'method.request.header.X-Trace': true },
    })
    expect(api.requestValidators).toEqual({ 'users-dev | Validate request body and querystring parameters': { validateRequestBody: true, validateRequestParameters: true } })
  })

  it('request parameters: an object without required is required (the framework\'s rule); none required, no validator', () => {
    const one = imp(svc({ a: get([{ http: { path: 'u', method: 'get', request: { parameters: { headers: { 'X-A': { mappedFrom: 'x' } } } } } }]) }))
    expect(one.config.apis[0].routes[0].requestParameters).toEqual({ 'method.request.header.X-A': true })
    expect(one.warnings).toEqual(['functions.a.events[0].http.request.parameters.headers.X-A.mappedFrom: the framework maps parameters with mappedValue (http integrations); mappedFrom is ignored'])
    const none = imp(svc({ a: get([{ http: { path: 'u', method: 'get', request: { parameters: { querystrings: { q: false } } } } }]) }))
    expect(none.config.apis[0].routes[0].requestValidator).toBeUndefined()
    expect(none.config.apis[0].requestValidators).toBeUndefined()
  })

  it('request schemas: inline (named or not), the older `schema`, and provider schemas by key, served', async () => {
    const order = { type: 'object', required: ['sku'], properties: { sku: { type: 'string' }, ship: { $ref: 'Address' } } }
    const doc = svc(
      {
        a: get([
          { http: { path: 'orders', method: 'post', request: { schemas: { 'application/json': order } } } },
          { http: { path: 'orders/{id}', method: 'put', request: { schemas: { 'application/json': { schema: order, name: 'PutOrder', description: 'An order' }, 'text/plain': 'note-text' } } } },
          { http: { path: 'legacy', method: 'post', request: { schema: { 'application/json': 'note-text' } } } },
        ]),
      },
      {
        apiGateway: {
          request: {
            schemas: {
              'note-text': { type: 'string', maxLength: 4 },
              address: { name: 'Address', schema: { type: 'object', required: ['city'] }, description: 'where' },
            },
          },
        },
      },
    )
    const { config, warnings } = imp(doc)
    expect(warnings).toEqual([])
    const api = config.apis[0]
    expect(Object.keys(api.models)).toEqual(['NoteText', 'Address', 'OrdersPostApplicationJsonModel', 'PutOrder'])
    expect(api.routes.map((r: Doc) => r.requestModels)).toEqual([
      { 'application/json': 'OrdersPostApplicationJsonModel' },
      { 'application/json': 'PutOrder', 'text/plain': 'NoteText' },
      { 'application/json': 'NoteText' },
    ])
    const gw = serve(doc)
    const post = (path: string, body: string, type = 'application/json', method = 'POST') =>
      gw.app.request(`${BASE}/dev/${path}`, { method, headers: { 'content-type': type }, body })
    expect((await post('orders', '{"sku":"a"}')).status).toBe(200)
    expect((await post('orders', '{"sku":"a","ship":{}}')).status).toBe(400)
    expect((await post('orders', '{"sku":"a","ship":{"city":"Lyon"}}')).status).toBe(200)
    expect((await post('orders/1', '"long text"', 'text/plain', 'PUT')).status).toBe(400)
    expect((await post('legacy', '"ok"')).status).toBe(200)
  })

  it('request schemas: unknown provider schema names and bad model names are errors', () => {
    const bad = (request: Doc, provider: Doc = {}) => {
      try {
        imp(svc({ a: get([{ http: { path: 'o', method: 'post', request } }]) }, provider))
      } catch (e) {
        return (e as { issues: unknown[] }).issues
      }
      return []
    }
    expect(bad({ schemas: { 'application/json': 'nope' } })).toEqual([
      { path: ['functions', 'a', 'events', 0, 'http', 'request', 'schemas', 'application/json'], message: 'no schema "nope" in provider.apiGateway.request.schemas' },
    ])
    expect(bad({ schemas: { 'application/json': { schema: { type: 'object' }, name: 'my-model' } } })).toEqual([
      { path: ['functions', 'a', 'events', 0, 'http', 'request', 'schemas', 'application/json', 'name'], message: '"my-model" is not a model name (letters and digits, as on AWS)' },
    ])
  })

  it('cors on http events: true or the framework\'s object, served as an OPTIONS route', async () => {
    const doc = svc({
      a: get([
        { http: { path: 'users/{id}', method: 'get', cors: true } },
        { http: { path: 'users/{id}', method: 'put', cors: { origins: ['https://a.test', 'https://b.test'], headers: 'X-Custom', allowCredentials: 1, maxAge: 86400, cacheControl: 'max-age=600' } } },
      ]),
    })
    const { config, warnings } = imp(doc)
    expect(warnings).toEqual([])
    expect(config.apis[0].routes.map((r: Doc) => r.cors)).toEqual([
      true,
      { origins: ['https://a.test', 'https://b.test'], headers: ['X-Custom'], allowCredentials: true, maxAge: 86400, cacheControl: 'max-age=600' },
    ])
    const gw = serve(doc)
    expect(gw.model.apis[0]!.routes.map((r) => r.routeKey)).toEqual(['GET /users/{id}', 'PUT /users/{id}', 'OPTIONS /users/{id}'])
    const res = await gw.app.request(`${BASE}/dev/users/1`, { method: 'OPTIONS', headers: { Origin: 'https://b.test', 'Access-Control-Request-Method': 'PUT' } })
    expect(res.status).toBe(200)
    expect(Object.fromEntries([...res.headers].filter(([k]) => k.startsWith('access-control-') || k === 'cache-control'))).toEqual({
      'access-control-allow-origin': 'https://b.test',
      'access-control-allow-headers': 'X-Custom,Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent,X-Amzn-Trace-Id',
      'access-control-allow-methods': 'OPTIONS,PUT,GET',
      'access-control-allow-credentials': 'true',
      'access-control-max-age': '86400',
      'cache-control': 'max-age=600',
    })
    expect(() => imp(svc({ a: get([{ http: { path: 'u', method: 'get', cors: 'yes' } }]) }))).toThrow(/http\.cors: cors is true, or a mapping/)
  })

  it('provider.httpApi.cors: the framework\'s object, methods filled in from the routes when not given', () => {
    const events = [{ httpApi: 'GET /a' }, { httpApi: 'DELETE /a' }]
    const filled = imp(svc({ a: get(events) }, { httpApi: { cors: { allowedOrigins: 'https://a.test', allowCredentials: true, exposedResponseHeaders: ['X-Id'], maxAge: 60 } } }))
    expect(filled.warnings).toEqual([])
    expect(filled.config.apis[0].cors).toEqual({
      allowOrigins: ['https://a.test'],
      allowHeaders: ['Content-Type', 'X-Amz-Date', 'Authorization', 'X-Api-Key', 'X-Amz-Security-Token', 'X-Amz-User-Agent', 'X-Amzn-Trace-Id'],
      allowMethods: ['OPTIONS', 'GET', 'DELETE'],
      allowCredentials: true,
      exposeHeaders: ['X-Id'],
      maxAge: 60,
    })
    const given = imp(svc({ a: get([{ httpApi: '*' }]) }, { httpApi: { cors: { allowedMethods: ['get', 'post'], allowedHeaders: ['X-A'], shiny: 1 } } }))
    expect(given.config.apis[0].cors).toEqual({ allowOrigins: ['*'], allowHeaders: ['X-A'], allowMethods: ['GET', 'POST'] })
    expect(given.warnings).toEqual(['provider.httpApi.cors.shiny: not supported by Portico yet (ignored)'])
    const any = imp(svc({ a: get([{ httpApi: '*' }]) }, { httpApi: { cors: true } }))
    expect(any.config.apis[0].cors.allowMethods).toEqual(['OPTIONS', 'GET', 'POST', 'PUT', 'PATCH', 'HEAD', 'DELETE'])
  })

  it('templates, responses and unknown keys are warned about with their paths', () => {
    const { warnings } = imp(
      svc(
        {
          a: get(
            [
              {
                http: {
                  path: 'users',
                  method: 'post',
                  cors: { origin: '*', shiny: true },
                  async: true,
                  timeout: 10,
                  request: { template: { 'application/json': '{"id": "$input.params(\'id\')"}' }, passThrough: 'NEVER', contentHandling: 'CONVERT_TO_TEXT' },
                  response: { headers: { 'Content-Type': "'text/html'" }, template: "$input.path('$')" },
                },
              },
              { sqs: 'arn:aws:sqs:us-east-1:123456789012:q' },
            ],
            { layers: ['arn:aws:lambda:us-east-1:123456789012:layer:x:1'], url: true, onStart: 'x' },
          ),
        },
        { endpointType: 'EDGE', tracing: { apiGateway: true }, shiny: true },
        { useDotenv: true, frameworkVersion: '3', outputs: { a: 1 }, mystery: 1 },
      ),
    )
    expect(warnings).toEqual([
      'useDotenv: Portico does not load .env files: set the variables in the environment',
      'outputs: deployment setting, not used by Portico (ignored)',
      'mystery: not supported by Portico yet (ignored)',
      'provider.tracing: deployment setting, not used by Portico (ignored)',
      'provider.shiny: not supported by Portico yet (ignored)',
      'provider.endpointType: Portico serves regional endpoints: EDGE behaviour (CloudFront headers, VPC endpoints) is not reproduced',
      'functions.a.url: Lambda function URLs are not supported yet by Portico (ignored)',
      'functions.a.layers: deployment setting, not used by Portico (ignored)',
      'functions.a.onStart: not supported by Portico yet (ignored)',
      'functions.a.events[0].http.timeout: not supported by Portico yet (ignored)',
      'functions.a.events[0].http.async: Portico invokes synchronously (RequestResponse); asynchronous invocation is not supported (ignored)',
      'functions.a.events[0].http.cors.shiny: not supported by Portico yet (ignored)',
      'functions.a.events[0].http.request.template: request templates apply to non-proxy integrations only; a proxy passes the request through (ignored, as the framework does)',
      'functions.a.events[0].http.request.passThrough: passThrough applies to non-proxy integrations only (ignored)',
      'functions.a.events[0].http.request.contentHandling: content handling conversions are not supported yet (ignored)',
      'functions.a.events[0].http.response: response templates and status codes apply to non-proxy integrations only; a proxy passes its answer through (ignored, as the framework does)',
      'functions.a.events[1].sqs: sqs events are not served by Portico (only http, httpApi and websocket events are)',
    ])
  })

  it('environment: provider values merged under the function\'s, scalars as strings, CloudFormation references reported', () => {
    const { config, warnings } = imp(
      svc({ a: get([], { environment: { B: 'fn', C: 3, T: { Ref: 'Table' } } }) }, { environment: { A: 'p', B: 'p', D: true } }),
    )
    expect(config.functions.a.environment).toEqual({ A: 'p', B: 'fn', D: 'true', C: '3' })
    expect(warnings).toEqual([
      'functions.a.environment.T: the CloudFormation reference {Ref} cannot be resolved by Portico: the variable is not set (set it in custom or through ${env:...})',
    ])
  })
})

describe('API keys and usage plans', () => {
  const KEY = 'value-of-the-key-0123456789'

  it('keys without a plan get the default plan, as the framework creates one; private routes need a key', async () => {
    const doc = svc({ a: get([{ http: { path: 'users/{id}', method: 'get', private: true } }]) }, { apiGateway: { apiKeys: ['partner', { name: 'internal', value: KEY, enabled: false, description: 'ops' }] } })
    const { config, warnings } = imp(doc, { env: { API_KEY_PARTNER: 'partner-key-0123456789abc' } })
    expect(warnings).toEqual([])
    expect(config.apiKeys).toEqual([
      { name: 'partner', valueEnv: 'API_KEY_PARTNER' },
      { name: 'internal', value: KEY, description: 'ops', enabled: false },
    ])
    expect(config.usagePlans).toEqual([{ name: 'users-dev', apiStages: [{ api: 'users', stage: 'dev' }], apiKeys: ['partner', 'internal'] }])
    expect(config.apis[0].routes[0].apiKeyRequired).toBe(true)

    const gw = serve(doc, { API_KEY_PARTNER: 'partner-key-0123456789abc' })
    await gw.gateway.ready
    expect((await gw.app.request(`${BASE}/dev/users/1`)).status).toBe(403)
    expect((await gw.app.request(`${BASE}/dev/users/1`, { headers: { 'x-api-key': KEY } })).status).toBe(403)
    expect((await gw.app.request(`${BASE}/dev/users/1`, { headers: { 'x-api-key': 'partner-key-0123456789abc' } })).status).toBe(200)
  })

  it('a single usagePlan with quota and throttle; key names become variable names', () => {
    const { config, warnings } = imp(
      svc({ a: get([{ http: 'GET /' }]) }, { apiGateway: { apiKeys: ['my-partner.key'], usagePlan: { quota: { limit: 5000, offset: 2, period: 'month' }, throttle: { burstLimit: 200, rateLimit: 100 } } } }),
    )
    expect(warnings).toEqual([
      'provider.apiGateway.apiKeys[0]: API key "my-partner.key" has no value: Portico reads it from the environment variable API_KEY_MY_PARTNER_KEY, which is not set (the gateway does not start until it is)',
    ])
    expect(config.usagePlans).toEqual([
      { name: 'users-dev', apiStages: [{ api: 'users', stage: 'dev' }], apiKeys: ['my-partner.key'], quota: { limit: 5000, offset: 2, period: 'MONTH' }, throttle: { burstLimit: 200, rateLimit: 100 } },
    ])
  })

  it('apiKeySourceType AUTHORIZER', () => {
    const { config } = imp(svc({ a: get([{ http: 'GET /' }]) }, { apiGateway: { apiKeySourceType: 'AUTHORIZER' } }))
    expect(config.apis[0].apiKeySource).toBe('AUTHORIZER')
  })

  it('REST settings without REST routes, and HTTP API settings without HTTP API routes, are reported', () => {
    const rest = imp(svc({ a: get([{ httpApi: 'GET /' }]) }, { apiGateway: { apiKeys: [{ name: 'k', value: KEY }], throttle: { burstLimit: 1, rateLimit: 1 } } }))
    expect(rest.warnings).toEqual([
      'provider.apiGateway.throttle: applies to the REST API (http events); this service has none (ignored)',
      'provider.apiGateway.apiKeys: API keys and usage plans apply to REST APIs (http events); this service has none',
    ])
    const http = imp(svc({ a: get([{ http: 'GET /' }]) }, { httpApi: { payload: '1.0' } }))
    expect(http.warnings).toEqual(['provider.httpApi: applies to the HTTP API (httpApi events); this service has none (ignored)'])
  })
})

describe('caching', () => {
  const routes = () =>
    get([
      { http: { path: 'users/{id}', method: 'get', caching: { enabled: true, ttlInSeconds: 60, perKeyInvalidation: { requireAuthorization: false, handleUnauthorizedRequests: 'Fail' } } } },
      { http: { path: 'users', method: 'get' } },
      { http: { path: 'items/{proxy+}', method: 'any', caching: { enabled: true } } },
    ])

  it('provider.apiGateway.caching (stage semantics): GETs cached; path keys only where the route has the parameter', async () => {
    const doc = svc({ a: routes() }, { apiGateway: { caching: { enabled: true, cacheKeyParameters: [{ name: 'request.path.id' }, { name: 'request.header.Accept' }] } } })
    const { config, warnings } = imp(doc)
    expect(warnings).toEqual([])
    expect(config.apis[0].stages[0].cache).toEqual({ enabled: true, ttlInSeconds: 300 })
    expect(config.apis[0].routes.map((r: Doc) => r.caching)).toEqual([
      { enabled: true, ttlInSeconds: 60, requireAuthorizationForCacheControl: false, unauthorizedCacheControlHeaderStrategy: 'FAIL_WITH_403', cacheKeyParameters: ['request.path.id', 'request.header.Accept'] },
      { cacheKeyParameters: ['request.header.Accept'] },
      { cacheKeyParameters: ['request.header.Accept'] },
    ])
    const gw = serve(doc)
    const call = async (path: string) => (await (await gw.app.request(`${BASE}/dev${path}`)).json()).invocation
    const list = await call('/users')
    expect(await call('/users')).toBe(list)
  })

  it('custom.apiGatewayCaching (the plugin): only events with caching.enabled are cached, ANY on GET only', async () => {
    const doc = svc({ a: routes() }, {}, { custom: { apiGatewayCaching: { enabled: true, clusterSize: '0.5' } } })
    const { config, warnings } = imp(doc)
    expect(warnings).toEqual(['custom.apiGatewayCaching.clusterSize: the memory cache is sized by capacityBytes (custom.portico has no cluster sizes; ignored)'])
    expect(config.apis[0].stages[0].cache).toEqual({ enabled: true, ttlInSeconds: 3600 })
    expect(config.apis[0].routes.map((r: Doc) => r.caching?.enabled)).toEqual([true, false, undefined])
    const gw = serve(doc)
    const call = async (path: string, method = 'GET') => (await (await gw.app.request(`${BASE}/dev${path}`, { method })).json()).invocation
    const list = await call('/users')
    expect(await call('/users')).not.toBe(list)
    const one = await call('/users/1')
    expect(await call('/users/1')).toBe(one)
    const item = await call('/items/x')
    expect(await call('/items/x')).toBe(item)
    const posted = await call('/items/x', 'POST')
    expect(await call('/items/x', 'POST')).not.toBe(posted)
  })

  it('an event enabling caching on a stage without cache is reported', () => {
    const { warnings } = imp(svc({ a: routes() }))
    expect(warnings).toEqual([
      'functions.a.events[0].http.caching.enabled: the stage has no cache (provider.apiGateway.caching or custom.apiGatewayCaching with enabled: true): not cached, as on AWS',
      'functions.a.events[2].http.caching.enabled: the stage has no cache (provider.apiGateway.caching or custom.apiGatewayCaching with enabled: true): not cached, as on AWS',
    ])
  })
})

describe('HTTP API events', () => {
  it('"*" is the $default route; payload 1.0; aws_iam; the function throttle on its routes', () => {
    const { config, warnings } = imp(
      svc(
        {
          a: get([{ httpApi: '*' }, { httpApi: { method: '*', path: '/any' } }, { httpApi: { method: 'get', path: 'iam', authorizer: { type: 'aws_iam' } } }], { throttle: { burstLimit: 10, rateLimit: 5 } }),
        },
        { httpApi: { payload: '1.0', name: 'users-v2', metrics: true } },
      ),
    )
    expect(warnings).toEqual(['provider.httpApi.metrics: deployment setting, not used by Portico (ignored)'])
    expect(config.apis).toEqual([
      {
        name: 'users-v2',
        type: 'HTTP',
        routes: [
          { route: '$default', integration: { type: 'lambda', function: 'a', payloadFormatVersion: '1.0' }, throttle: { burstLimit: 10, rateLimit: 5 } },
          { method: 'ANY', path: '/any', integration: { type: 'lambda', function: 'a', payloadFormatVersion: '1.0' }, throttle: { burstLimit: 10, rateLimit: 5 } },
          { method: 'GET', path: '/iam', integration: { type: 'lambda', function: 'a', payloadFormatVersion: '1.0' }, authorization: 'AWS_IAM', throttle: { burstLimit: 10, rateLimit: 5 } },
        ],
      },
    ])
  })

  it('serves the $default route with payload 2.0', async () => {
    const gw = serve(svc({ a: get([{ httpApi: '*' }]) }))
    const res = await gw.app.request(`${BASE}/anything/here?x=1`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ user_id: 'here', method: 'GET', query: { x: '1' } })
  })

  it('custom.portico: base path, authorizer overrides, settings', () => {
    const { config, warnings } = imp(
      svc(
        { a: get([{ http: 'GET /' }, { httpApi: { method: 'get', path: '/me', authorizer: 'idp' } }]) },
        { httpApi: { authorizers: { idp: { issuerUrl: 'https://idp.example.com', audience: 'web' } } } },
        { custom: { portico: { httpApiBasePath: '/v2', settings: { accountId: '111122223333' }, authorizers: { idp: { issuer: 'http://127.0.0.1:9999/pool', jwksUri: 'http://127.0.0.1:9999/jwks' }, ghost: {} }, extra: 1 } } },
      ),
    )
    expect(warnings).toEqual([
      'custom.portico.extra: unknown key (custom.portico takes settings, iam, authorizers, httpApiBasePath, websocketBasePath)',
      'custom.portico.authorizers.ghost: no authorizer of that name in this service (ignored)',
    ])
    expect(config.settings).toEqual({ region: 'us-east-1', accountId: '111122223333' })
    expect(config.apis[1]).toMatchObject({
      name: 'users-http',
      basePath: '/v2',
      authorizers: { idp: { type: 'jwt', issuer: 'http://127.0.0.1:9999/pool', audience: ['web'], jwksUri: 'http://127.0.0.1:9999/jwks' } },
    })
  })
})

describe('other forms', () => {
  it('a mock with statusCodes and static templates', async () => {
    const doc = svc({
      a: get([
        {
          http: {
            path: 'teapot',
            method: 'get',
            integration: 'MOCK',
            request: { template: { 'application/json': '{"statusCode": 418}' } },
            response: { template: 'default', statusCodes: { 200: { pattern: '' }, 418: { pattern: '418', template: { 'text/plain': 'short and stout' }, headers: { 'Content-Type': "'text/plain'" } } } },
          },
        },
      ]),
    })
    const { config, warnings } = imp(doc)
    expect(warnings).toEqual([])
    expect(config.apis[0].routes[0].integration).toEqual({
      type: 'mock',
      requestTemplates: { 'application/json': '{"statusCode": 418}' },
      responses: [
        { statusCode: 200, responseTemplates: { 'application/json': 'default' } },
        {
          statusCode: 418,
          selectionPattern: '418',
          // response.template is every status code's application/json template, as the framework merges it.
          responseTemplates: { 'application/json': 'default', 'text/plain': 'short and stout' },
          responseParameters: { 'method.response.header.Content-Type': "'text/plain'" },
        },
      ],
    })
    const { app } = serve(doc)
    const plain = await app.request(`${BASE}/dev/teapot`, { headers: { accept: 'text/plain' } })
    expect(plain.status).toBe(418)
    expect(await plain.text()).toBe('short and stout')
    // Without Accept, the application/json template answers (with the mapped Content-Type).
    const json = await app.request(`${BASE}/dev/teapot`)
    expect(json.status).toBe(418)
    expect(json.headers.get('content-type')).toBe('text/plain')
    expect(await json.text()).toBe('default')
  })

  it('functions as a list of mappings; a missing service is named after the folder', () => {
    const { config, warnings } = imp({ provider: { name: 'aws' }, functions: [{ a: get([{ http: 'GET /a' }]) }, { b: get([{ http: 'GET /b' }]) }] }, { file: '/srv/orders-api/serverless.yml' })
    expect(warnings).toEqual(['service: missing: the API is named "orders-api"'])
    expect(Object.keys(config.functions)).toEqual(['a', 'b'])
    expect(config.apis[0].name).toBe('orders-api')
  })

  it('access log format per API; timeouts and memory from the provider', () => {
    const { config } = imp(
      svc({ a: get([{ http: 'GET /' }, { httpApi: 'GET /' }], { timeout: 3 }) }, { timeout: 20, memorySize: 256, logs: { restApi: { format: '$context.requestId', executionLogging: false }, httpApi: true } }),
    )
    expect(config.functions.a).toMatchObject({ timeout: 3, memorySize: 256 })
    expect(config.apis[0].stages[0].accessLog).toEqual({ enabled: true, format: '$context.requestId' })
    expect(config.apis[1].stages).toEqual([{ name: '$default', accessLog: { enabled: true } }])
  })
})
