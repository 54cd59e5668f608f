/**
 * The authorizer result cache: keyed by the identity sources (hashed), TTL from the fake
 * clock, the cached policy evaluated anew for every method, denials cached, failures not.
 */
import { describe, expect, it } from 'vitest'
import type { AuthorizerCache } from '../../../src/storage/ports.ts'
import { memoryAuthorizerCache } from '../../../src/storage/memory/authorizer-cache.ts'
import { gateway, httpConfig, policy, restConfig, scripted } from './helpers.ts'

const routes = [
  { method: 'GET', path: '/a' },
  { method: 'POST', path: '/b' },
]
const get = (app: any, path: string, token = 'tok-1', method = 'GET') => app.request(path, { method, headers: { Authorization: token } })

describe('authorizer result cache', () => {
  it('a second request with the same token does not invoke (default TTL 300 s)', async () => {
    const s = scripted((e) => policy('Allow', 'arn:aws:execute-api:*:*:*/prod/*', { context: { user: 'u-1' } }))
    const { app } = gateway(restConfig({ type: 'token' }, routes), s.invoker)
    expect((await get(app, '/prod/a')).status).toBe(200)
    expect((await get(app, '/prod/a')).status).toBe(200)
    expect((await get(app, '/prod/b', 'tok-1', 'POST')).status).toBe(200)
    expect(s.authEvents).toHaveLength(1)
    expect(s.integrationEvents).toHaveLength(3)
    // The cached context reaches the integration as on the first request.
    expect(s.integrationEvents[2].requestContext.authorizer).toEqual({ principalId: 'user-1', user: 'u-1', integrationLatency: 0 })
    // Another token is another entry.
    expect((await get(app, '/prod/a', 'tok-2')).status).toBe(200)
    expect(s.authEvents).toHaveLength(2)
  })

  it('a cached Allow for GET /a is checked against POST /b\'s ARN (403 without invoking)', async () => {
    // The policy covers only the method ARN of the first request, as the guide's authorizer writes it.
    const s = scripted((e) => policy('Allow', e.methodArn))
    const { app } = gateway(restConfig({ type: 'token' }, routes), s.invoker)
    expect((await get(app, '/prod/a')).status).toBe(200)
    const res = await get(app, '/prod/b', 'tok-1', 'POST')
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({ Message: 'User is not authorized to access this resource' })
    expect(s.authEvents).toHaveLength(1)
    expect(s.integrationEvents).toHaveLength(1)
    expect((await get(app, '/prod/a')).status).toBe(200)
    expect(s.authEvents).toHaveLength(1)
  })

  it('a cached Deny stays denied', async () => {
    const s = scripted((e) => policy('Deny', e.methodArn))
    const { app } = gateway(restConfig({ type: 'token' }, routes), s.invoker)
    for (let i = 0; i < 3; i++) {
      const res = await get(app, '/prod/a')
      expect(res.status).toBe(403)
      expect((await res.json()).Message).toContain('explicit deny')
    }
    expect(s.authEvents).toHaveLength(1)
    expect(s.integrationEvents).toHaveLength(0)
  })

  it('entries expire after the TTL on the gateway clock', async () => {
    const s = scripted(() => policy('Allow', '*'))
    const { app, clock } = gateway(restConfig({ type: 'token', resultTtlInSeconds: 60 }, routes), s.invoker)
    await get(app, '/prod/a')
    clock.advance(59_999)
    await get(app, '/prod/a')
    expect(s.authEvents).toHaveLength(1)
    clock.advance(1)
    await get(app, '/prod/a')
    expect(s.authEvents).toHaveLength(2)
  })

  it('TTL 0 invokes every time', async () => {
    const s = scripted(() => policy('Allow', '*'))
    const { app } = gateway(restConfig({ type: 'token', resultTtlInSeconds: 0 }, routes), s.invoker)
    for (let i = 0; i < 3; i++) expect((await get(app, '/prod/a')).status).toBe(200)
    expect(s.authEvents).toHaveLength(3)
  })

  it('failures are not cached: "Unauthorized" and broken answers invoke again', async () => {
    let n = 0
    const s = scripted(() => (++n === 1 ? { __error: { errorType: 'Error', errorMessage: 'Unauthorized' } } : n === 2 ? 'garbage' : policy('Allow', '*')))
    const { app } = gateway(restConfig({ type: 'token' }, routes), s.invoker)
    expect((await get(app, '/prod/a')).status).toBe(401)
    expect((await get(app, '/prod/a')).status).toBe(500)
    expect((await get(app, '/prod/a')).status).toBe(200)
    expect((await get(app, '/prod/a')).status).toBe(200)
    expect(s.authEvents).toHaveLength(3)
  })

  it('keys hold the API, stage, authorizer and a SHA-256 of the identity values, never the token', async () => {
    const keys: string[] = []
    const values: unknown[] = []
    const inner = memoryAuthorizerCache({ now: () => 0 })
    const recording: AuthorizerCache = {
      get: (k) => (keys.push(k), inner.get(k)),
      set: (k, v, ttl) => (values.push(v), inner.set(k, v, ttl)),
      clear: () => inner.clear(),
    }
    const token = 'Bearer secret-token-value'
    const s = scripted(() => policy('Allow', '*'))
    const { app, model } = gateway(restConfig({ type: 'token' }, routes), s.invoker, { stores: { authorizerCache: recording } as any })
    await get(app, '/prod/a', token)
    await get(app, '/prod/a', token)
    expect(s.authEvents).toHaveLength(1)
    const expectedHash = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify([token])))).toString('hex')
    expect(keys).toEqual([`auth-lambda:${model.apis[0]!.id}:prod:auth:${expectedHash}`, `auth-lambda:${model.apis[0]!.id}:prod:auth:${expectedHash}`])
    expect(JSON.stringify(keys)).not.toContain('secret-token-value')
    expect(JSON.stringify(values)).not.toContain('secret-token-value')
  })

  it('a failing cache store is a miss: the authorizer is invoked and the request is still decided', async () => {
    const broken: AuthorizerCache = {
      get: async () => {
        throw new Error('redis down')
      },
      set: async () => {
        throw new Error('redis down')
      },
      clear: async () => {},
    }
    const s = scripted((e) => policy('Deny', e.methodArn))
    const { app, logger } = gateway(restConfig({ type: 'token' }, routes), s.invoker, { stores: { authorizerCache: broken } as any })
    expect((await get(app, '/prod/a')).status).toBe(403)
    expect((await get(app, '/prod/a')).status).toBe(403)
    expect(s.authEvents).toHaveLength(2)
    expect(logger.lines.some((l) => l.level === 'warn' && l.message === 'authorizer cache read failed')).toBe(true)
  })

  it('a cache entry this feature did not write is ignored', async () => {
    const store = memoryAuthorizerCache({ now: () => 0 })
    const poisoned: AuthorizerCache = { get: async () => ({ kind: 'policy', statements: 'nope' }), set: store.set, clear: store.clear }
    const s = scripted(() => policy('Allow', '*'))
    const { app } = gateway(restConfig({ type: 'token' }, routes), s.invoker, { stores: { authorizerCache: poisoned } as any })
    expect((await get(app, '/prod/a')).status).toBe(200)
    expect(s.authEvents).toHaveLength(1)
  })

  it('HTTP APIs share one entry across routes; $context.routeKey in the identity sources splits it', async () => {
    const shared = scripted(() => ({ isAuthorized: true }))
    const one = gateway(httpConfig({ enableSimpleResponses: true, identitySource: '$request.header.Authorization' }, [{ route: 'GET /a' }, { route: 'GET /b' }]), shared.invoker)
    await get(one.app, '/a')
    await get(one.app, '/b')
    expect(shared.authEvents).toHaveLength(1)

    const split = scripted(() => ({ isAuthorized: true }))
    const two = gateway(
      httpConfig({ enableSimpleResponses: true, identitySource: ['$request.header.Authorization', '$context.routeKey'] }, [{ route: 'GET /a' }, { route: 'GET /b' }]),
      split.invoker,
    )
    await get(two.app, '/a')
    await get(two.app, '/b')
    await get(two.app, '/b')
    expect(split.authEvents).toHaveLength(2)
  })

  it('a cached simple denial stays denied', async () => {
    const s = scripted(() => ({ isAuthorized: false }))
    const { app } = gateway(httpConfig({ enableSimpleResponses: true, identitySource: '$request.header.Authorization' }), s.invoker)
    expect((await get(app, '/pets/1')).status).toBe(403)
    expect((await get(app, '/pets/1')).status).toBe(403)
    expect(s.authEvents).toHaveLength(1)
  })
})
