/**
 * Authorization from OpenAPI: x-amazon-apigateway-authorizer (token, request, jwt,
 * cognito_user_pools), API key and IAM security schemes, x-amazon-apigateway-auth, and the
 * API-level extensions (gateway responses, resource policy, API key source, binary media
 * types, request validators, CORS), imported and served with local handlers.
 */
import { describe, expect, it } from 'vitest'
import { importOpenApi } from '../../../src/importers/openapi.ts'
import { makeGateway } from '../../helpers/gateway.ts'
import { fixture, OPENAPI_FIXTURES } from './helpers.ts'
// The same module instance the gateway's local invoker loads: its `calls` are the functions' calls.
import { calls } from '../../fixtures/openapi/handlers.ts'

const ordersMapping = { orders: 'handlers.orders', tokenAuth: 'handlers.tokenAuth' }
const KEY = 'partner-key-0123456789abcdef'

function ordersGateway() {
  const { config, warnings } = importOpenApi(fixture('orders-auth.yaml'), { lambdaMapping: ordersMapping })
  // API keys and settings are not part of an OpenAPI document (AWS does not export them either).
  const full = { ...config, apiKeys: [{ name: 'partner', value: KEY }], settings: { trustForwardedFor: true } }
  return { ...makeGateway(full, { baseDir: OPENAPI_FIXTURES }), warnings, config }
}

describe('a REST API with a TOKEN authorizer, API keys, IAM and Cognito', () => {
  it('imports authorizers, security requirements and the API-level extensions', () => {
    const { config, warnings } = importOpenApi(fixture('orders-auth.yaml'), { lambdaMapping: ordersMapping })
    expect(config.functions).toEqual({ tokenAuth: { handler: 'handlers.tokenAuth' }, orders: { handler: 'handlers.orders' } })
    const api = config.apis[0]!
    expect(api.stages).toEqual([{ name: 'v1' }])
    expect(api.authorizers).toEqual({
      'token-auth': { type: 'token', function: 'tokenAuth', identityValidationExpression: '^Bearer [-a-z]+$', resultTtlInSeconds: 0 },
      pool: {
        type: 'cognito_user_pools',
        providerArns: ['arn:aws:cognito-idp:eu-west-1:210987654321:userpool/eu-west-1_AbCdEf123'],
        identitySource: 'method.request.header.Authorization',
      },
    })
    expect(api.routes!.map((r) => [r.method, r.path, r.authorization ?? 'NONE', r.apiKeyRequired ?? false])).toEqual([
      ['GET', '/orders', { authorizer: 'token-auth' }, false],
      ['POST', '/orders', { authorizer: 'token-auth' }, true],
      ['GET', '/orders/{id}', 'NONE', true],
      ['ANY', '/admin/{proxy+}', 'AWS_IAM', false],
      ['GET', '/profile', { authorizer: 'pool', scopes: ['email'] }, false],
    ])
    // Unmapped functions stay remote: the ARN, qualifier included.
    expect(api.routes![3]!.integration).toEqual({ type: 'lambda', function: 'arn:aws:lambda:eu-west-1:210987654321:function:admin:live' })
    expect(api.routes![0]!.integration).toEqual({ type: 'lambda', function: 'orders', timeoutMs: 5000 })
    expect(api.apiKeySource).toBe('HEADER')
    expect(api.binaryMediaTypes).toEqual(['image/png', 'application/octet-stream'])
    expect(api.gatewayResponses).toEqual({
      UNAUTHORIZED: { statusCode: 401, headers: { 'WWW-Authenticate': "'Bearer'" }, body: '{"error": "unauthorized", "requestId": "$context.requestId"}' },
      DEFAULT_4XX: { headers: { 'Access-Control-Allow-Origin': "'*'" } },
    })
    expect(api.resourcePolicy).toMatchObject({ Statement: [{ Effect: 'Allow' }, { Effect: 'Deny', Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } } }] })
    expect(warnings).toEqual([
      `x-amazon-apigateway-gateway-responses.UNAUTHORIZED.responseParameters.gatewayresponse.header.X-Origin: only static values ('...') are supported; "method.request.header.Origin" is ignored`,
      'components.securitySchemes.token-auth.x-amazon-apigateway-authorizer.authorizerCredentials: Portico invokes authorizers with its own AWS credentials (environment); ignored',
      'paths./orders.get.x-amazon-apigateway-integration.contentHandling: payload conversion is not supported; ignored',
      'components.x-amazon-apigateway-integrations.orders.passthroughBehavior: proxy integrations pass every request through; ignored',
    ])
  })

  it('TOKEN authorizer: no token is the 401 gateway response of the document, and nothing is invoked', async () => {
    const { app } = ordersGateway()
    calls.length = 0
    const res = await app.request('/v1/orders')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    expect(res.headers.get('access-control-allow-origin')).toBeNull() // UNAUTHORIZED's own override wins
    expect(await res.json()).toEqual({ error: 'unauthorized', requestId: res.headers.get('x-amzn-requestid') })
    // A token failing identityValidationExpression is refused without invoking too.
    expect((await app.request('/v1/orders', { headers: { authorization: 'Basic abc' } })).status).toBe(401)
    expect(calls).toEqual([])
  })

  it('TOKEN authorizer: an allowed caller reaches the function with the authorizer context; a denied one does not', async () => {
    const { app } = ordersGateway()
    calls.length = 0
    const ok = await app.request('/v1/orders', { headers: { authorization: 'Bearer allow-ada' } })
    expect(ok.status).toBe(200)
    const body = await ok.json()
    expect(body.authorizer).toMatchObject({ principalId: 'ada', user: 'ada' })
    const denied = await app.request('/v1/orders', { headers: { authorization: 'Bearer deny' } })
    expect(denied.status).toBe(403)
    expect(await denied.json()).toEqual({ Message: 'User is not authorized to access this resource with an explicit deny' })
    expect(denied.headers.get('access-control-allow-origin')).toBe('*') // DEFAULT_4XX
    expect(calls.map((c) => c.fn)).toEqual(['tokenAuth', 'orders', 'tokenAuth'])
  })

  it('API keys: required where the operation lists the api_key scheme', async () => {
    const { app } = ordersGateway()
    calls.length = 0
    const token = { authorization: 'Bearer allow-ada' }
    const noKey = await app.request('/v1/orders', { method: 'POST', headers: token, body: '{"item":"tea"}' })
    expect(noKey.status).toBe(403)
    expect(await noKey.json()).toEqual({ message: 'Forbidden' })
    expect(calls.map((c) => c.fn)).toEqual(['tokenAuth'])
    const withKey = await app.request('/v1/orders', { method: 'POST', headers: { ...token, 'x-api-key': KEY }, body: '{"item":"tea"}' })
    expect(withKey.status).toBe(200)
    expect((await withKey.json()).apiKeyId).toMatch(/^[a-z0-9]{10}$/)
    const byKey = await app.request('/v1/orders/7', { headers: { 'x-api-key': KEY } })
    expect(byKey.status).toBe(200)
    expect((await byKey.json()).pathParameters).toEqual({ id: '7' })
    expect((await app.request('/v1/orders/7', { headers: { 'x-api-key': 'wrong-key-0123456789abcdef' } })).status).toBe(403)
  })

  it('IAM (awsSigv4 scheme): an unsigned request never reaches the remote function', async () => {
    const { app } = ordersGateway()
    calls.length = 0
    const res = await app.request('/v1/admin/users', { method: 'DELETE' })
    expect(res.status).toBe(403)
    expect(calls).toEqual([])
  })

  it('the resource policy refuses the denied network', async () => {
    const { app } = ordersGateway()
    calls.length = 0
    const res = await app.request('/v1/orders/7', { headers: { 'x-api-key': KEY, 'x-forwarded-for': '203.0.113.9' } })
    expect(res.status).toBe(403)
    expect((await res.json()).Message).toMatch(/^User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:.+\/v1\/GET\/orders\/7 with an explicit deny$/)
    expect(calls).toEqual([])
    expect((await app.request('/v1/orders/7', { headers: { 'x-api-key': KEY, 'x-forwarded-for': '198.51.100.1' } })).status).toBe(200)
  })

  it('Cognito: the route asks for a token', async () => {
    const { app } = ordersGateway()
    expect((await app.request('/v1/profile')).status).toBe(401)
  })
})

describe('an HTTP API (inferred from payloadFormatVersion)', () => {
  const mapping = { items: 'handlers.items', teamAuth: 'handlers.teamAuth' }

  it('imports JWT and simple-response Lambda authorizers, x-amazon-apigateway-auth, $default and CORS', () => {
    const { config, warnings } = importOpenApi(fixture('http-api.yaml'), { lambdaMapping: mapping })
    expect(config).toEqual({
      functions: { items: { handler: 'handlers.items' }, teamAuth: { handler: 'handlers.teamAuth' } },
      apis: [
        {
          name: 'items',
          type: 'HTTP',
          stages: [{ name: '$default' }],
          cors: { allowOrigins: ['https://www.example.com'], allowMethods: ['GET', 'POST'] },
          authorizers: {
            team: {
              type: 'request',
              function: 'teamAuth',
              identitySource: ['$request.header.x-team'],
              resultTtlInSeconds: 300,
              payloadFormatVersion: '2.0',
              enableSimpleResponses: true,
            },
            oidc: { type: 'jwt', issuer: 'https://idp.example.com/realms/items', audience: ['items-api'], identitySource: '$request.header.Authorization' },
          },
          routes: [
            { method: 'GET', path: '/items', integration: { type: 'lambda', function: 'items', payloadFormatVersion: '2.0' }, authorization: { authorizer: 'team' } },
            {
              method: 'GET',
              path: '/items/{id}',
              integration: { type: 'lambda', function: 'items', payloadFormatVersion: '1.0', timeoutMs: 10000 },
              authorization: { authorizer: 'oidc', scopes: ['items/read'] },
            },
            { method: 'DELETE', path: '/items/{id}', integration: { type: 'lambda', function: 'items', payloadFormatVersion: '2.0' }, authorization: 'AWS_IAM' },
            { method: 'ANY', path: '/legacy/{proxy+}', integration: { type: 'http_proxy', uri: 'https://legacy.example.com/{proxy}', method: 'ANY' } },
            { route: '$default', integration: { type: 'lambda', function: 'items', payloadFormatVersion: '2.0' } },
          ],
        },
      ],
    })
    expect(warnings).toEqual([])
  })

  it('answers preflights from x-amazon-apigateway-cors, before the authorizer', async () => {
    const { config } = importOpenApi(fixture('http-api.yaml'), { lambdaMapping: mapping })
    const { app } = makeGateway(config, { baseDir: OPENAPI_FIXTURES })
    calls.length = 0
    const res = await app.request('/items', { method: 'OPTIONS', headers: { Origin: 'https://www.example.com', 'Access-Control-Request-Method': 'GET' } })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://www.example.com')
    expect(res.headers.get('access-control-allow-methods')).toBe('GET,POST')
    expect(calls).toEqual([])
    const ok = await app.request('/items', { headers: { 'x-team': 'core', Origin: 'https://www.example.com' } })
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://www.example.com')
  })

  it('serves the routes: the simple-response authorizer guards /items, $default catches the rest', async () => {
    const { config } = importOpenApi(fixture('http-api.yaml'), { lambdaMapping: mapping })
    const { app } = makeGateway(config, { baseDir: OPENAPI_FIXTURES })
    calls.length = 0
    const ok = await app.request('/items', { headers: { 'x-team': 'core' } })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ version: '2.0', routeKey: 'GET /items', authorizer: { lambda: { team: 'core' } } })
    const refused = await app.request('/items', { headers: { 'x-team': 'other' } })
    expect(refused.status).toBe(403)
    const fallback = await app.request('/anything/else')
    expect(await fallback.json()).toMatchObject({ version: '2.0', routeKey: '$default', path: '/anything/else' })
    expect((await app.request('/items/1', { method: 'DELETE' })).status).toBe(403) // unsigned, IAM
    expect(calls.map((c) => c.fn)).toEqual(['teamAuth', 'items', 'teamAuth', 'items'])
  })

  it('is a REST API when the options say so (and then the HTTP-only parts are model errors)', () => {
    const { config } = importOpenApi(fixture('petstore-mock.json'), { type: 'HTTP' })
    expect(config.apis[0]!.type).toBe('HTTP')
    expect(() => makeGateway(config)).toThrow('apis[0].routes[0].integration.type: mock integrations exist on REST APIs only (as on AWS)')
  })
})
