/**
 * The events a Lambda authorizer receives (TOKEN, REQUEST, HTTP API 1.0 and 2.0), identity
 * sources, identityValidationExpression, and the 401 without invoking when a source is missing.
 */
import { describe, expect, it } from 'vitest'
import { gateway, httpConfig, policy, restConfig, scripted } from './helpers.ts'

const allowAll = (event: any) => policy('Allow', event.methodArn ?? event.routeArn)

describe('REST TOKEN event', () => {
  it('is exactly {type, authorizationToken, methodArn} with the request path in the ARN', async () => {
    const s = scripted(allowAll)
    const { app, model } = gateway(restConfig({ type: 'token' }), s.invoker)
    const res = await app.request('/prod/pets/42?x=1', { headers: { Authorization: 'Bearer abc.def' } })
    expect(res.status).toBe(200)
    expect(s.authEvents).toHaveLength(1)
    const event = s.authEvents[0]
    expect(Object.keys(event)).toEqual(['type', 'authorizationToken', 'methodArn'])
    expect(event).toEqual({
      type: 'TOKEN',
      authorizationToken: 'Bearer abc.def',
      methodArn: `arn:aws:execute-api:us-east-1:123456789012:${model.apis[0]!.id}/prod/GET/pets/42`,
    })
  })

  it('reads the configured header case-insensitively', async () => {
    const s = scripted(allowAll)
    const { app } = gateway(restConfig({ type: 'token', identitySource: 'method.request.header.X-Auth-Token' }), s.invoker)
    expect((await app.request('/prod/pets/1', { headers: { 'x-auth-token': 't0k' } })).status).toBe(200)
    expect(s.authEvents[0].authorizationToken).toBe('t0k')
  })

  it('uses region and account from settings, and the actual method of an ANY route', async () => {
    const s = scripted(allowAll)
    const config: any = restConfig({ type: 'token' }, [{ method: 'ANY', path: '/{proxy+}' }])
    config.settings = { region: 'eu-west-1', accountId: '210987654321' }
    const { app, model } = gateway(config, s.invoker)
    await app.request('/prod/a/b%20c', { method: 'DELETE', headers: { Authorization: 'x' } })
    expect(s.authEvents[0].methodArn).toBe(`arn:aws:execute-api:eu-west-1:210987654321:${model.apis[0]!.id}/prod/DELETE/a/b%20c`)
  })

  it('root resource: the ARN ends with the method and a slash', async () => {
    const s = scripted(allowAll)
    const { app } = gateway(restConfig({ type: 'token' }, [{ method: 'GET', path: '/' }]), s.invoker)
    expect((await app.request('/prod/', { headers: { Authorization: 'x' } })).status).toBe(200)
    expect(s.authEvents[0].methodArn).toMatch(/\/prod\/GET\/$/)
  })
})

describe('identityValidationExpression', () => {
  const config = restConfig({ type: 'token', identityValidationExpression: 'Bearer [-0-9a-zA-Z._]+' })

  it('a token that does not match is 401 without invoking', async () => {
    const s = scripted(allowAll)
    const { app } = gateway(config, s.invoker)
    const res = await app.request('/prod/pets/1', { headers: { Authorization: 'Basic dXNlcjpwYXNz' } })
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ message: 'Unauthorized' })
    expect(res.headers.get('x-amzn-ErrorType')).toBe('UnauthorizedException')
    expect(s.authEvents).toHaveLength(0)
    expect(s.integrationEvents).toHaveLength(0)
  })

  it('must match the whole token, not a part of it', async () => {
    const s = scripted(allowAll)
    const { app } = gateway(config, s.invoker)
    expect((await app.request('/prod/pets/1', { headers: { Authorization: 'Bearer abc def' } })).status).toBe(401)
    expect((await app.request('/prod/pets/1', { headers: { Authorization: 'xBearer abc' } })).status).toBe(401)
    expect(s.authEvents).toHaveLength(0)
    expect((await app.request('/prod/pets/1', { headers: { Authorization: 'Bearer abc.def-1' } })).status).toBe(200)
    expect(s.authEvents).toHaveLength(1)
  })
})

describe('missing identity sources: 401 without invoking', () => {
  it('TOKEN: no header, or an empty one', async () => {
    const s = scripted(allowAll)
    const { app } = gateway(restConfig({ type: 'token' }), s.invoker)
    for (const headers of [{}, { Authorization: '' }] as Record<string, string>[]) {
      const res = await app.request('/prod/pets/1', { headers })
      expect(res.status).toBe(401)
      expect(await res.text()).toBe('{"message":"Unauthorized"}')
    }
    expect(s.authEvents).toHaveLength(0)
    expect(s.integrationEvents).toHaveLength(0)
  })

  it('REQUEST: every source must be present (header, query string, stage variable, context)', async () => {
    const s = scripted(allowAll)
    const sources = 'method.request.header.X-Api-Key, method.request.querystring.tenant, stageVariables.tenant, context.identity.sourceIp'
    const { app } = gateway(restConfig({ type: 'request', identitySource: sources }), s.invoker)
    expect((await app.request('/prod/pets/1?tenant=a', {})).status).toBe(401)
    expect((await app.request('/prod/pets/1', { headers: { 'X-API-KEY': 'k' } })).status).toBe(401)
    // Query string names are case-sensitive.
    expect((await app.request('/prod/pets/1?Tenant=a', { headers: { 'X-API-KEY': 'k' } })).status).toBe(401)
    expect((await app.request('/prod/pets/1?tenant=', { headers: { 'X-API-KEY': 'k' } })).status).toBe(401)
    expect(s.authEvents).toHaveLength(0)
    expect((await app.request('/prod/pets/1?tenant=a', { headers: { 'X-API-KEY': 'k' } })).status).toBe(200)
    expect(s.authEvents).toHaveLength(1)
  })

  it('REQUEST: a stage variable the stage does not have', async () => {
    const s = scripted(allowAll)
    const { app } = gateway(restConfig({ type: 'request', identitySource: 'stageVariables.missing' }), s.invoker)
    expect((await app.request('/prod/pets/1')).status).toBe(401)
    expect(s.authEvents).toHaveLength(0)
  })

  it('HTTP API: 401 {"message":"Unauthorized"} without an error-type header', async () => {
    const s = scripted(allowAll)
    const { app } = gateway(httpConfig({ identitySource: ['$request.header.Authorization', '$request.querystring.q'] }), s.invoker)
    const res = await app.request('/pets/1?q=1')
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ message: 'Unauthorized' })
    expect(res.headers.get('x-amzn-ErrorType')).toBeNull()
    expect(s.authEvents).toHaveLength(0)
    expect(s.integrationEvents).toHaveLength(0)
  })
})

describe('REST REQUEST event', () => {
  it('carries the proxy event fields without the body, and the same requestContext as the integration', async () => {
    const s = scripted(allowAll)
    const { app, model } = gateway(restConfig({ type: 'request', identitySource: 'method.request.header.X-Api-Key' }), s.invoker)
    const res = await app.request('/prod/pets/42?a=1&a=2&b=x', { method: 'GET', headers: { 'X-Api-Key': 'k-1', 'User-Agent': 'ua/1' } })
    expect(res.status).toBe(200)
    const event = s.authEvents[0]
    expect(Object.keys(event)).toEqual([
      'type',
      'methodArn',
      'resource',
      'path',
      'httpMethod',
      'headers',
      'multiValueHeaders',
      'queryStringParameters',
      'multiValueQueryStringParameters',
      'pathParameters',
      'stageVariables',
      'requestContext',
    ])
    expect(event.type).toBe('REQUEST')
    expect(event.methodArn).toBe(`arn:aws:execute-api:us-east-1:123456789012:${model.apis[0]!.id}/prod/GET/pets/42`)
    expect(event.resource).toBe('/pets/{id}')
    expect(event.path).toBe('/pets/42')
    expect(event.httpMethod).toBe('GET')
    expect(event.queryStringParameters).toEqual({ a: '2', b: 'x' })
    expect(event.multiValueQueryStringParameters).toEqual({ a: ['1', '2'], b: ['x'] })
    expect(event.pathParameters).toEqual({ id: '42' })
    expect(event.stageVariables).toEqual({ tenant: 't-1' })
    const apiKeyHeader = Object.keys(event.headers).find((k) => k.toLowerCase() === 'x-api-key')!
    expect(event.headers[apiKeyHeader]).toBe('k-1')
    expect(event.multiValueHeaders[apiKeyHeader]).toEqual(['k-1'])
    expect(event.requestContext.requestId).toBe(res.headers.get('x-amzn-RequestId'))
    expect(event.requestContext.resourcePath).toBe('/pets/{id}')
    expect(event.requestContext.path).toBe('/prod/pets/42')
    expect(event.requestContext.authorizer).toBeUndefined()

    const { authorizer, ...integrationContext } = s.integrationEvents[0].requestContext
    expect(authorizer).toBeDefined()
    expect(event.requestContext).toEqual(integrationContext)
  })
})

describe('HTTP API authorizer events', () => {
  it('2.0: routeArn, identitySource as an array, the 2.0 request fields, no body', async () => {
    const s = scripted(allowAll)
    const { app, model } = gateway(
      httpConfig({ identitySource: ['$request.header.X-Api-Key', '$request.querystring.tenant', '$context.routeKey'] }),
      s.invoker,
    )
    const res = await app.request('/pets/7?tenant=a&tenant=b', { method: 'GET', headers: { 'X-Api-Key': 'k-2', cookie: 'c1=1; c2=2' } })
    expect(res.status).toBe(200)
    const event = s.authEvents[0]
    expect(Object.keys(event)).toEqual([
      'version',
      'type',
      'routeArn',
      'identitySource',
      'routeKey',
      'rawPath',
      'rawQueryString',
      'cookies',
      'headers',
      'queryStringParameters',
      'requestContext',
      'pathParameters',
    ])
    expect(event.version).toBe('2.0')
    expect(event.type).toBe('REQUEST')
    expect(event.routeArn).toBe(`arn:aws:execute-api:us-east-1:123456789012:${model.apis[0]!.id}/$default/GET/pets/7`)
    // Repeated query keys are joined with "," as in the 2.0 event.
    expect(event.identitySource).toEqual(['k-2', 'a,b', 'GET /pets/{id}'])
    expect(event.routeKey).toBe('GET /pets/{id}')
    expect(event.rawPath).toBe('/pets/7')
    expect(event.rawQueryString).toBe('tenant=a&tenant=b')
    expect(event.cookies).toEqual(['c1=1', 'c2=2'])
    expect(event.headers['x-api-key']).toBe('k-2')
    expect(event.queryStringParameters).toEqual({ tenant: 'a,b' })
    expect(event.pathParameters).toEqual({ id: '7' })
    expect(event.requestContext.requestId).toBe(res.headers.get('apigw-requestid'))
    expect(event.requestContext.http.method).toBe('GET')
    expect(event.body).toBeUndefined()
    expect(event.isBase64Encoded).toBeUndefined()
  })

  it('1.0: the REQUEST event plus version, identitySource and authorizationToken (values joined)', async () => {
    const s = scripted(allowAll)
    const { app, model } = gateway(
      httpConfig({ payloadFormatVersion: '1.0', identitySource: '$request.header.X-Api-Key,$request.querystring.tenant' }),
      s.invoker,
    )
    expect((await app.request('/pets/7?tenant=a', { headers: { 'X-Api-Key': 'k-2' } })).status).toBe(200)
    const event = s.authEvents[0]
    expect(Object.keys(event)).toEqual([
      'version',
      'type',
      'methodArn',
      'identitySource',
      'authorizationToken',
      'resource',
      'path',
      'httpMethod',
      'headers',
      'multiValueHeaders',
      'queryStringParameters',
      'multiValueQueryStringParameters',
      'pathParameters',
      'stageVariables',
      'requestContext',
    ])
    expect(event.version).toBe('1.0')
    expect(event.methodArn).toBe(`arn:aws:execute-api:us-east-1:123456789012:${model.apis[0]!.id}/$default/GET/pets/7`)
    expect(event.identitySource).toBe('k-2,a')
    expect(event.authorizationToken).toBe('k-2,a')
    expect(event.resource).toBe('/pets/{id}')
    expect(event.requestContext.resourceId).toBe('GET /pets/{id}')
    expect(event.stageVariables).toBeNull()
  })
})
