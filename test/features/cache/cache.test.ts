/**
 * Response caching through a whole gateway: what is a hit, what separates entries, who may
 * refresh them, what is never stored, and that a hit still passes the checks before it.
 */
import { describe, expect, it } from 'vitest'
import { makeGateway, scriptedInvoker } from '../../helpers/gateway.ts'
import { cacheFeature, cacheStats, flushStageCache } from '../../../src/features/cache/index.ts'
import type { Feature } from '../../../src/core/feature.ts'
import { GatewayError } from '../../../src/core/errors.ts'
import { lastHeader } from '../../../src/core/request.ts'
import type { CachedResponse, ResponseCacheFactory } from '../../../src/storage/ports.ts'

const functions = { fn: { handler: 'echo.handler' } }
const lambda = { type: 'lambda', function: 'fn' }

/** Stands in for the API key feature (priority 1000): no x-api-key, no entry. */
const fakeApiKey: Feature = {
  name: 'fake-api-key',
  priority: 1000,
  create: ({ route }) =>
    route.apiKeyRequired
      ? async (req, next) => {
          const key = lastHeader(req, 'x-api-key')
          if (!key) throw new GatewayError('INVALID_API_KEY', { detail: 'no x-api-key header' })
          req.identity = { ...req.identity, apiKey: key, apiKeyId: `id-${key}` }
          return next()
        }
      : undefined,
}

/** Stands in for an authorizer (priority 1500): x-user → principalId, x-admin → may invalidate. */
const fakeAuthorizer: Feature = {
  name: 'fake-authorizer',
  priority: 1500,
  create: () => async (req, next) => {
    const user = lastHeader(req, 'x-user')
    if (user) req.authorizer = { principalId: user, integrationLatency: Math.floor(Math.random() * 100) }
    if (lastHeader(req, 'x-admin') === 'yes') (req as { invalidateCacheAllowed?: boolean }).invalidateCacheAllowed = true
    return next()
  },
}

interface Setup {
  stage?: Record<string, unknown>
  settings?: Record<string, unknown>
  routes: unknown[]
  answer?: (event: any, n: number) => unknown
  env?: Record<string, string>
  stores?: Record<string, unknown>
}

/** A REST API on stage prod with caching on; the Lambda answers with its call count. */
function setup(s: Setup) {
  let calls = 0
  const { invoker, events } = scriptedInvoker((event) => {
    calls++
    return s.answer ? s.answer(event, calls) : { statusCode: 200, body: JSON.stringify({ n: calls, path: event.path }) }
  })
  const config = {
    functions,
    settings: { cache: { debugHeader: true, ...s.settings } },
    apis: [
      {
        name: 'rest',
        type: 'REST',
        stages: [{ name: 'prod', variables: {}, cache: { enabled: true, ttlInSeconds: 60, ...s.stage } }],
        routes: s.routes,
      },
    ],
  }
  const built = makeGateway(config, {
    invoker,
    deps: { env: s.env },
    gateway: { features: [cacheFeature, fakeApiKey, fakeAuthorizer] },
  })
  // The gateway's resolveDeps does not pass stores.responseCache through yet (reported); the
  // feature picks its backend on first use, so setting it on the resolved deps works.
  if (s.stores?.responseCache) built.gateway.deps.stores.responseCache = s.stores.responseCache as ResponseCacheFactory
  const get = async (path: string, headers: Record<string, string> = {}, method = 'GET') => {
    const res = await built.app.request(`/prod${path}`, { method, headers })
    const text = await res.text()
    return { res, text, status: res.status, cache: res.headers.get('X-Portico-Cache'), n: text.startsWith('{"n"') ? JSON.parse(text).n : undefined }
  }
  const ns = `${built.model.apis[0]!.id}/prod`
  return { ...built, get, events, calls: () => calls, stats: () => cacheStats(built.gateway.deps)[ns]!, ns }
}

describe('hits, misses and TTL', () => {
  it('a hit costs no integration call; the entry expires after ttlInSeconds (fake clock)', async () => {
    const t = setup({ routes: [{ method: 'GET', path: '/items', integration: lambda }] })
    const first = await t.get('/items')
    expect(first).toMatchObject({ status: 200, n: 1, cache: 'miss' })
    const second = await t.get('/items')
    expect(second).toMatchObject({ status: 200, n: 1, cache: 'hit' })
    expect(second.text).toBe(first.text)
    expect(second.res.headers.get('content-type')).toBe('application/json')
    expect(second.res.headers.get('x-amzn-RequestId')).not.toBe(first.res.headers.get('x-amzn-RequestId'))
    expect(t.calls()).toBe(1)

    t.clock.advance(30_000)
    const aged = await t.get('/items')
    expect(aged).toMatchObject({ n: 1, cache: 'hit' })
    expect(aged.res.headers.get('Age')).toBe('30')
    t.clock.advance(29_999)
    expect((await t.get('/items')).n).toBe(1)
    t.clock.advance(1)
    expect(await t.get('/items')).toMatchObject({ n: 2, cache: 'miss' })
    expect(t.calls()).toBe(2)
    expect(t.stats()).toMatchObject({ hits: 3, misses: 2, stores: 2 })
  })

  it('a route ttlInSeconds overrides the stage; 0 turns caching off for the route', async () => {
    const t = setup({
      routes: [
        { method: 'GET', path: '/short', integration: lambda, caching: { ttlInSeconds: 5 } },
        { method: 'GET', path: '/never', integration: lambda, caching: { ttlInSeconds: 0 } },
      ],
    })
    await t.get('/short')
    t.clock.advance(4_999)
    expect((await t.get('/short')).n).toBe(1)
    t.clock.advance(1)
    expect((await t.get('/short')).n).toBe(2)
    const a = await t.get('/never')
    const b = await t.get('/never')
    expect([a.n, b.n, b.cache]).toEqual([3, 4, null])
  })

  it('stage ttlInSeconds 0 or enabled false: no caching at all', async () => {
    for (const stage of [{ ttlInSeconds: 0 }, { enabled: false }]) {
      const t = setup({ stage, routes: [{ method: 'GET', path: '/x', integration: lambda }] })
      await t.get('/x')
      expect(await t.get('/x')).toMatchObject({ n: 2, cache: null })
    }
  })

  it('only GET by default; another method when the route enables caching; enabled false turns GET off', async () => {
    const t = setup({
      routes: [
        { method: 'POST', path: '/p', integration: lambda },
        { method: 'PUT', path: '/q', integration: lambda, caching: { enabled: true } },
        { method: 'GET', path: '/off', integration: lambda, caching: { enabled: false } },
      ],
    })
    await t.get('/p', {}, 'POST')
    expect((await t.get('/p', {}, 'POST')).n).toBe(2)
    await t.get('/q', {}, 'PUT')
    expect(await t.get('/q', {}, 'PUT')).toMatchObject({ n: 3, cache: 'hit' })
    await t.get('/off')
    expect(await t.get('/off')).toMatchObject({ n: 5, cache: null })
  })

  it('the debug header is off by default (AWS sends none)', async () => {
    const t = setup({ settings: { debugHeader: false }, routes: [{ method: 'GET', path: '/x', integration: lambda }] })
    await t.get('/x')
    const hit = await t.get('/x')
    expect(hit.n).toBe(1)
    expect(hit.cache).toBeNull()
    expect(hit.res.headers.get('Age')).toBeNull()
  })

  it('flushStageCache empties the stage', async () => {
    const t = setup({ routes: [{ method: 'GET', path: '/x', integration: lambda }] })
    await t.get('/x')
    expect(await flushStageCache(t.gateway.deps, t.model.apis[0]!.id, 'prod')).toBe(true)
    expect((await t.get('/x')).n).toBe(2)
    expect(await flushStageCache(t.gateway.deps, t.model.apis[0]!.id, 'dev')).toBe(false)
  })
})

describe('cache keys', () => {
  it('path parameters are not in the key unless listed (as on AWS)', async () => {
    const t = setup({
      routes: [
        { method: 'GET', path: '/shared/{id}', integration: lambda },
        { method: 'GET', path: '/keyed/{id}', integration: lambda, caching: { cacheKeyParameters: ['method.request.path.id'] } },
      ],
    })
    expect((await t.get('/shared/a')).n).toBe(1)
    const b = await t.get('/shared/b')
    expect(b).toMatchObject({ n: 1, cache: 'hit' })
    expect(JSON.parse(b.text).path).toBe('/shared/a')
    expect((await t.get('/keyed/a')).n).toBe(2)
    expect((await t.get('/keyed/b')).n).toBe(3)
    expect((await t.get('/keyed/a')).n).toBe(2)
  })

  it('listed query parameters separate entries (last value counts); others do not', async () => {
    const t = setup({ routes: [{ method: 'GET', path: '/q', integration: lambda, caching: { cacheKeyParameters: ['request.querystring.type'] } }] })
    expect((await t.get('/q?type=admin&department=A')).n).toBe(1)
    expect((await t.get('/q?type=admin&department=B')).n).toBe(1)
    expect((await t.get('/q?type=user')).n).toBe(2)
    expect((await t.get('/q?type=user&type=admin')).n).toBe(1)
    expect((await t.get('/q')).n).toBe(3)
    expect((await t.get('/q?type=')).n).toBe(4)
  })

  it('listed headers separate entries, whatever the name casing; others do not', async () => {
    const t = setup({ routes: [{ method: 'GET', path: '/h', integration: lambda, caching: { cacheKeyParameters: ['method.request.header.Accept-Language'] } }] })
    expect((await t.get('/h', { 'accept-language': 'en' })).n).toBe(1)
    expect((await t.get('/h', { 'ACCEPT-LANGUAGE': 'en', 'x-other': '1' })).n).toBe(1)
    expect((await t.get('/h', { 'Accept-Language': 'fr' })).n).toBe(2)
    expect((await t.get('/h')).n).toBe(3)
  })

  it('routes and methods never share entries', async () => {
    const t = setup({
      routes: [
        { method: 'GET', path: '/a', integration: lambda },
        { method: 'GET', path: '/b', integration: lambda },
        { method: 'ANY', path: '/c', integration: lambda, caching: { enabled: true } },
      ],
    })
    expect((await t.get('/a')).n).toBe(1)
    expect((await t.get('/b')).n).toBe(2)
    expect((await t.get('/c')).n).toBe(3)
    expect((await t.get('/c', {}, 'DELETE')).n).toBe(4)
    expect((await t.get('/c')).n).toBe(3)
  })
})

describe('callers', () => {
  it('API key routes key by caller by default: two keys never share an entry', async () => {
    const t = setup({ routes: [{ method: 'GET', path: '/me', integration: lambda, apiKeyRequired: true }] })
    expect((await t.get('/me', { 'x-api-key': 'alice-key' })).n).toBe(1)
    expect((await t.get('/me', { 'x-api-key': 'bob-key' })).n).toBe(2)
    expect((await t.get('/me', { 'x-api-key': 'alice-key' })).n).toBe(1)
    expect((await t.get('/me', { 'x-api-key': 'bob-key' })).n).toBe(2)
  })

  it('authorizer principals separate entries on perCaller routes', async () => {
    const t = setup({ routes: [{ method: 'GET', path: '/me', integration: lambda, caching: { perCaller: true } }] })
    expect((await t.get('/me', { 'x-user': 'alice' })).n).toBe(1)
    expect((await t.get('/me', { 'x-user': 'bob' })).n).toBe(2)
    // integrationLatency differs on every call and must not split one caller's entries.
    expect((await t.get('/me', { 'x-user': 'alice' })).n).toBe(1)
  })

  it('a perCaller route with nobody to key on is not cached (bypass)', async () => {
    const t = setup({ routes: [{ method: 'GET', path: '/me', integration: lambda, caching: { perCaller: true } }] })
    expect(await t.get('/me')).toMatchObject({ n: 1, cache: 'bypass' })
    expect(await t.get('/me')).toMatchObject({ n: 2, cache: 'bypass' })
    expect(t.stats().bypasses).toBe(2)
  })

  it('perCaller false (explicit opt-out) shares one entry between callers', async () => {
    const t = setup({ routes: [{ method: 'GET', path: '/pub', integration: lambda, apiKeyRequired: true, caching: { perCaller: false } }] })
    expect(t.warnings.some((w) => w.includes('without the caller in the key'))).toBe(true)
    expect((await t.get('/pub', { 'x-api-key': 'alice-key' })).n).toBe(1)
    expect((await t.get('/pub', { 'x-api-key': 'bob-key' })).n).toBe(1)
  })

  it('a cached answer is still refused without the API key (checks run before the cache)', async () => {
    const t = setup({ routes: [{ method: 'GET', path: '/pub', integration: lambda, apiKeyRequired: true, caching: { perCaller: false } }] })
    expect((await t.get('/pub', { 'x-api-key': 'alice-key' })).n).toBe(1)
    const refused = await t.get('/pub')
    expect(refused.status).toBe(403)
    expect(JSON.parse(refused.text)).toEqual({ message: 'Forbidden' })
    expect(t.stats().hits).toBe(0)
    expect((await t.get('/pub', { 'x-api-key': 'bob-key' })).cache).toBe('hit')
  })
})

describe('Cache-Control: max-age=0', () => {
  const route = (caching: Record<string, unknown> = {}) => [{ method: 'GET', path: '/x', integration: lambda, caching }]

  it('from an allowed caller refetches and replaces the entry', async () => {
    const t = setup({ routes: route() })
    await t.get('/x')
    const refreshed = await t.get('/x', { 'cache-control': 'max-age=0', 'x-admin': 'yes' })
    expect(refreshed).toMatchObject({ n: 2, cache: 'refresh' })
    expect(await t.get('/x')).toMatchObject({ n: 2, cache: 'hit' })
    expect(t.stats().refreshes).toBe(1)
  })

  it('from anyone when requireAuthorizationForCacheControl is false', async () => {
    const t = setup({ stage: { requireAuthorizationForCacheControl: false }, routes: route() })
    await t.get('/x')
    expect((await t.get('/x', { 'Cache-Control': 'no-cache, max-age=0' })).n).toBe(2)
    expect((await t.get('/x')).n).toBe(2)
  })

  it('FAIL_WITH_403: an unauthorized caller gets 403 and the integration is not called', async () => {
    const t = setup({ routes: route({ unauthorizedCacheControlHeaderStrategy: 'FAIL_WITH_403' }) })
    await t.get('/x')
    const denied = await t.get('/x', { 'cache-control': 'max-age=0' })
    expect(denied.status).toBe(403)
    expect(JSON.parse(denied.text)).toEqual({ Message: 'User is not authorized to access this resource' })
    expect(denied.res.headers.get('x-amzn-ErrorType')).toBe('AccessDeniedException')
    expect(t.calls()).toBe(1)
  })

  it('SUCCEED_WITH_RESPONSE_HEADER (the default): served from the cache with a warning header', async () => {
    const t = setup({ routes: route() })
    await t.get('/x')
    const served = await t.get('/x', { 'cache-control': 'max-age=0' })
    expect(served).toMatchObject({ status: 200, n: 1, cache: 'hit' })
    expect(served.res.headers.get('X-Cache-Control-Ignored')).toBe('max-age=0 not authorized')
    expect(t.calls()).toBe(1)
  })

  it('SUCCEED_WITHOUT_RESPONSE_HEADER: served from the cache silently', async () => {
    const t = setup({ stage: { unauthorizedCacheControlHeaderStrategy: 'SUCCEED_WITHOUT_RESPONSE_HEADER' }, routes: route() })
    await t.get('/x')
    const served = await t.get('/x', { 'cache-control': 'max-age=0' })
    expect(served).toMatchObject({ status: 200, n: 1, cache: 'hit' })
    expect(served.res.headers.get('X-Cache-Control-Ignored')).toBeNull()
  })

  it('a refresh whose new answer cannot be stored drops the old entry', async () => {
    const t = setup({
      routes: route(),
      answer: (_e, n) => (n === 2 ? { statusCode: 200, headers: { 'Cache-Control': 'no-store' }, body: '{"n":2}' } : { statusCode: 200, body: JSON.stringify({ n }) }),
    })
    await t.get('/x')
    expect((await t.get('/x', { 'cache-control': 'max-age=0', 'x-admin': 'yes' })).n).toBe(2)
    expect(await t.get('/x')).toMatchObject({ n: 3, cache: 'miss' })
  })
})

describe('what is never stored', () => {
  const cases: [string, (n: number) => unknown][] = [
    ['Set-Cookie', (n) => ({ statusCode: 200, headers: { 'Set-Cookie': 'session=abc' }, body: JSON.stringify({ n }) })],
    ['multi-value Set-Cookie', (n) => ({ statusCode: 200, multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'] }, body: JSON.stringify({ n }) })],
    ['Cache-Control: no-store', (n) => ({ statusCode: 200, headers: { 'Cache-Control': 'no-cache, no-store, must-revalidate' }, body: JSON.stringify({ n }) })],
    ['Cache-Control: private', (n) => ({ statusCode: 200, headers: { 'cache-control': 'private, max-age=60' }, body: JSON.stringify({ n }) })],
    ['a 500', (n) => ({ statusCode: 500, body: JSON.stringify({ n }) })],
    ['a 201', (n) => ({ statusCode: 201, body: JSON.stringify({ n }) })],
  ]
  for (const [name, answer] of cases) {
    it(name, async () => {
      const t = setup({ routes: [{ method: 'GET', path: '/x', integration: lambda }], answer: (_e, n) => answer(n) })
      await t.get('/x')
      expect(await t.get('/x')).toMatchObject({ n: 2, cache: 'miss' })
      expect(t.stats().stores).toBe(0)
    })
  }

  it('a 404 is stored (Kong\'s default set: 200, 301, 404)', async () => {
    const t = setup({ routes: [{ method: 'GET', path: '/x', integration: lambda }], answer: (_e, n) => ({ statusCode: 404, body: JSON.stringify({ n }) }) })
    await t.get('/x')
    expect(await t.get('/x')).toMatchObject({ status: 404, n: 1, cache: 'hit' })
  })

  it('a Lambda error (gateway 502) is not stored', async () => {
    const t = setup({ routes: [{ method: 'GET', path: '/x', integration: lambda }], answer: (_e, n) => (n === 1 ? 'not a proxy answer' : { statusCode: 200, body: '{"n":2}' }) })
    expect((await t.get('/x')).status).toBe(502)
    expect((await t.get('/x')).n).toBe(2)
  })
})

describe('encryption at rest', () => {
  const key = btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => i + 1)))

  /** A store that keeps what it is given, so the test can read the stored bytes. */
  function spyStore() {
    const kept = new Map<string, CachedResponse>()
    const factory: ResponseCacheFactory = () => ({
      get: async (k) => kept.get(k),
      put: async (k, e) => void kept.set(k, e),
      delete: async (k) => kept.delete(k),
      flush: async () => kept.clear(),
    })
    return { kept, factory }
  }

  it('dataEncrypted stores ciphertext only, and serves it back decrypted', async () => {
    const spy = spyStore()
    const t = setup({
      stage: { dataEncrypted: true },
      settings: { encryptionKeyEnv: 'CACHE_KEY' },
      env: { CACHE_KEY: key },
      stores: { responseCache: spy.factory },
      routes: [{ method: 'GET', path: '/secret', integration: lambda }],
      answer: () => ({ statusCode: 200, headers: { 'x-secret-header': 'hush' }, body: '{"n":1,"ssn":"123-45-6789"}' }),
    })
    await t.gateway.ready
    await t.get('/secret')
    const [entry] = [...spy.kept.values()]
    const stored = new TextDecoder('latin1').decode(entry!.body)
    expect(stored).not.toContain('123-45-6789')
    expect(JSON.stringify(entry!.headers)).not.toContain('hush')
    const hit = await t.get('/secret')
    expect(hit).toMatchObject({ n: 1, cache: 'hit' })
    expect(hit.text).toContain('123-45-6789')
    expect(hit.res.headers.get('x-secret-header')).toBe('hush')
  })

  it('an entry altered at rest is dropped and refetched', async () => {
    const spy = spyStore()
    const t = setup({
      stage: { dataEncrypted: true },
      settings: { encryptionKeyEnv: 'CACHE_KEY' },
      env: { CACHE_KEY: key },
      stores: { responseCache: spy.factory },
      routes: [{ method: 'GET', path: '/secret', integration: lambda }],
    })
    await t.get('/secret')
    const [entry] = [...spy.kept.values()]
    entry!.body[entry!.body.length - 1]! ^= 1
    expect(await t.get('/secret')).toMatchObject({ n: 2, cache: 'miss' })
    expect(t.logger.lines.some((l) => l.message.includes('does not decrypt'))).toBe(true)
  })

  it('a missing or malformed key stops start-up, without printing the value', async () => {
    const routes = [{ method: 'GET', path: '/x', integration: lambda }]
    const missing = setup({ stage: { dataEncrypted: true }, settings: { encryptionKeyEnv: 'CACHE_KEY' }, env: {}, routes })
    await expect(missing.gateway.ready).rejects.toThrow(/CACHE_KEY .*not set/)
    const short = setup({ stage: { dataEncrypted: true }, settings: { encryptionKeyEnv: 'CACHE_KEY' }, env: { CACHE_KEY: 'c2VjcmV0LXZhbHVl' }, routes })
    await expect(short.gateway.ready).rejects.toThrow(/decodes to 12 bytes/)
    await short.gateway.ready.catch((e) => expect(String(e)).not.toContain('c2VjcmV0LXZhbHVl'))
    const junk = setup({ stage: { dataEncrypted: true }, settings: { encryptionKeyEnv: 'CACHE_KEY' }, env: { CACHE_KEY: 'not base64 at all!' }, routes })
    await expect(junk.gateway.ready).rejects.toThrow(/is not base64/)
  })
})
