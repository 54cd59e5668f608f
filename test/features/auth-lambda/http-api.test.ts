/**
 * HTTP API Lambda authorizers: simple responses and IAM policy responses, and where their
 * context lands in 1.0 and 2.0 integration events.
 */
import { describe, expect, it } from 'vitest'
import { gateway, httpConfig, policy, scripted } from './helpers.ts'

const auth = { identitySource: '$request.header.Authorization', resultTtlInSeconds: 0 }
const call = (app: any, path = '/pets/1') => app.request(path, { headers: { Authorization: 'tok' } })

describe('simple responses (enableSimpleResponses, payload 2.0)', () => {
  it('isAuthorized true: the 2.0 integration gets the context, objects and types kept, under authorizer.lambda', async () => {
    const context = { user: { id: 7, roles: ['a', 'b'] }, n: 1, ok: true, s: 'x' }
    const s = scripted(() => ({ isAuthorized: true, context }))
    const { app } = gateway(httpConfig({ ...auth, enableSimpleResponses: true }), s.invoker)
    expect((await call(app)).status).toBe(200)
    expect(s.integrationEvents[0].requestContext.authorizer).toEqual({ lambda: context })
  })

  it('isAuthorized false: 403 {"message":"Forbidden"}, integration not reached', async () => {
    const s = scripted(() => ({ isAuthorized: false, context: { why: 'no' } }))
    const { app } = gateway(httpConfig({ ...auth, enableSimpleResponses: true }), s.invoker)
    const res = await call(app)
    expect(res.status).toBe(403)
    expect(await res.text()).toBe('{"message":"Forbidden"}')
    expect(res.headers.get('x-amzn-ErrorType')).toBeNull()
    expect(s.integrationEvents).toHaveLength(0)
  })

  it.each([
    ['an IAM policy instead', policy('Allow', '*')],
    ['isAuthorized as a string', { isAuthorized: 'true' }],
    ['context not an object', { isAuthorized: true, context: 'x' }],
    ['null', null],
  ])('%s: 500 {"message":"Internal Server Error"}', async (_name, answer) => {
    const s = scripted(() => answer)
    const { app } = gateway(httpConfig({ ...auth, enableSimpleResponses: true }), s.invoker)
    const res = await call(app)
    expect(res.status).toBe(500)
    expect(await res.text()).toBe('{"message":"Internal Server Error"}')
    expect(s.integrationEvents).toHaveLength(0)
  })

  it('a 1.0 integration gets the context flat and as strings, without principalId', async () => {
    const s = scripted(() => ({ isAuthorized: true, context: { n: 1, ok: true, obj: { a: 1 } } }))
    const { app } = gateway(httpConfig({ ...auth, enableSimpleResponses: true }, [{ route: 'GET /pets/{id}', payloadFormatVersion: '1.0' }]), s.invoker)
    expect((await call(app)).status).toBe(200)
    expect(s.integrationEvents[0].version).toBe('1.0')
    expect(s.integrationEvents[0].requestContext.authorizer).toEqual({ n: '1', ok: 'true', obj: '{"a":1}', integrationLatency: 0 })
  })
})

describe('IAM policy responses', () => {
  it('2.0 authorizer, Allow on routeArn: the 2.0 integration gets the context under lambda', async () => {
    const s = scripted((e) => policy('Allow', e.routeArn, { context: { n: 1, role: 'admin' } }))
    const { app } = gateway(httpConfig(auth), s.invoker)
    expect((await call(app)).status).toBe(200)
    expect(s.integrationEvents[0].requestContext.authorizer).toEqual({ lambda: { n: 1, role: 'admin' } })
  })

  it('principalId is optional on HTTP APIs', async () => {
    const s = scripted((e) => ({ policyDocument: policy('Allow', e.routeArn).policyDocument }))
    const { app } = gateway(httpConfig(auth), s.invoker)
    expect((await call(app)).status).toBe(200)
  })

  it('explicit and implicit denials are 403 {"message":"Forbidden"}', async () => {
    for (const answer of [(e: any) => policy('Deny', e.routeArn), (e: any) => policy('Allow', e.routeArn.replace('/GET/', '/PUT/'))]) {
      const s = scripted(answer)
      const { app } = gateway(httpConfig(auth), s.invoker)
      const res = await call(app)
      expect(res.status).toBe(403)
      expect(await res.text()).toBe('{"message":"Forbidden"}')
      expect(s.integrationEvents).toHaveLength(0)
    }
  })

  it('context objects are refused in policy responses (500)', async () => {
    const s = scripted((e) => policy('Allow', e.routeArn, { context: { user: { id: 1 } } }))
    const { app } = gateway(httpConfig(auth), s.invoker)
    const res = await call(app)
    expect(res.status).toBe(500)
    expect(await res.text()).toBe('{"message":"Internal Server Error"}')
  })

  it('1.0 authorizer with a 1.0 integration: flat principalId, string context, integrationLatency', async () => {
    const s = scripted((e) => policy('Allow', e.methodArn, { context: { n: 2, admin: false } }))
    const { app } = gateway(httpConfig({ ...auth, payloadFormatVersion: '1.0' }, [{ route: 'GET /pets/{id}', payloadFormatVersion: '1.0' }]), s.invoker)
    expect((await call(app)).status).toBe(200)
    expect(s.integrationEvents[0].requestContext.authorizer).toEqual({ principalId: 'user-1', n: '2', admin: 'false', integrationLatency: 0 })
  })

  it('a named stage is part of the route ARN', async () => {
    const s = scripted((e) => policy('Allow', e.routeArn))
    const config: any = httpConfig(auth)
    config.apis[0].stages = [{ name: 'beta', variables: {} }]
    const { app, model } = gateway(config, s.invoker)
    expect((await call(app, '/beta/pets/3')).status).toBe(200)
    expect(s.authEvents[0].routeArn).toBe(`arn:aws:execute-api:us-east-1:123456789012:${model.apis[0]!.id}/beta/GET/pets/3`)
  })
})
