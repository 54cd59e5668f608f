/**
 * The Upstash stores through the REST bridge (test/helpers/upstash-bridge.ts) onto the real
 * local Redis: @upstash/redis sends its HTTP requests, the bridge runs them on Redis, so every
 * Lua script and MULTI/EXEC here runs for real. Needs Redis at 127.0.0.1:6379.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startUpstashBridge, type UpstashBridge } from '../helpers/upstash-bridge.ts'
import { openStores } from '../../src/storage/open.ts'
import { memoryLogger } from '../../src/core/deps.ts'
import { keyStoreContract } from './contract/key-store.contract.ts'
import { quotaCounterContract } from './contract/quota-counter.contract.ts'
import { rateLimiterContract } from './contract/rate-limiter.contract.ts'
import {
  openUpstashStores,
  upstashAuthorizerCache,
  upstashClient,
  upstashKeyStore,
  upstashQuotaCounter,
  upstashRateLimiter,
  upstashRatelimitLimiter,
} from '../../src/storage/upstash/index.ts'

let bridge: UpstashBridge
beforeAll(async () => {
  bridge = await startUpstashBridge()
})
afterAll(async () => {
  await bridge?.close()
})

const prefix = () => `test:upstash:${crypto.randomUUID()}:`
const client = () => upstashClient(bridge.url, bridge.token)

rateLimiterContract('upstash', async () => ({ limiter: upstashRateLimiter(client(), { prefix: prefix() }) }))
quotaCounterContract('upstash', async () => ({ counter: upstashQuotaCounter(client(), { prefix: prefix() }) }))
keyStoreContract('upstash', async () => ({ store: upstashKeyStore(client(), { prefix: prefix() }) }))

describe('Upstash stores', () => {
  it('the shared token bucket script takes a lease (takeUpTo) as on Redis', async () => {
    const limiter = upstashRateLimiter(client(), { prefix: prefix() })
    const limit = { rateLimit: 10, burstLimit: 250 }
    const now = Date.UTC(2027, 0, 1)
    expect(await limiter.takeUpTo!('k', limit, now, 100)).toEqual({ taken: 100, result: { allowed: true, remaining: 249, retryAfterMs: 0, resetMs: 100 } })
    expect((await limiter.takeUpTo!('k', limit, now, 200)).taken).toBe(150)
    expect((await limiter.takeUpTo!('k', limit, now, 100)).taken).toBe(0)
  })

  it('openStores says at start that response caches stay per instance, when a stage caches', async () => {
    const env = { UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: bridge.token }
    for (const cachesResponses of [true, false]) {
      const logger = memoryLogger()
      const opened = await openStores('upstash', { clock: { now: () => Date.UTC(2027, 0, 1) }, env, logger, cachesResponses })
      const warned = logger.lines.filter((l) => l.level === 'warn').map((l) => l.message)
      expect(warned).toEqual(cachesResponses ? [expect.stringContaining('response caches are kept per instance with the upstash store')] : [])
      await opened.close()
    }
  })

  it('openUpstashStores reads UPSTASH_REDIS_REST_URL / _TOKEN and fills every port', async () => {
    const clock = { now: () => Date.UTC(2027, 0, 1) }
    const env = { UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: bridge.token }
    const { stores, close } = openUpstashStores({ clock, env, options: { prefix: prefix() } })
    expect(Object.keys(stores).sort()).toEqual(['authorizerCache', 'keyStore', 'quotaCounter', 'rateLimiter'])
    const before = bridge.stats.commands
    expect((await stores.rateLimiter!.take('k', { rateLimit: 1, burstLimit: 1 }, clock.now())).allowed).toBe(true)
    expect((await stores.rateLimiter!.take('k', { rateLimit: 1, burstLimit: 1 }, clock.now())).allowed).toBe(false)
    // The requests went through the bridge, to Redis.
    expect(bridge.stats.commands).toBeGreaterThan(before)
    await close()
    expect(() => openUpstashStores({ clock, env: {} })).toThrow(/UPSTASH_REDIS_REST_URL/)
  })

  it('a wrong token is refused by the REST server, and the store call fails (no silent pass)', async () => {
    const limiter = upstashRateLimiter(upstashClient(bridge.url, 'wrong-token'), { prefix: prefix() })
    await expect(limiter.take('k', { rateLimit: 1, burstLimit: 1 }, Date.now())).rejects.toThrow(/Unauthorized/)
  })

  it('state lives in Redis: a second client (another gateway instance) sees the same buckets, counts and keys', async () => {
    const p = prefix()
    const [a, b] = [client(), client()]
    const limit = { rateLimit: 1, burstLimit: 2 }
    const now = Date.now()
    expect((await upstashRateLimiter(a, { prefix: p }).take('k', limit, now)).remaining).toBe(1)
    expect((await upstashRateLimiter(b, { prefix: p }).take('k', limit, now)).remaining).toBe(0)
    expect((await upstashRateLimiter(a, { prefix: p }).take('k', limit, now)).allowed).toBe(false)
    const quota = { limit: 2, period: 'DAY' as const, offset: 0 }
    await upstashQuotaCounter(a, { prefix: p }).consume('k', quota, now)
    expect((await upstashQuotaCounter(b, { prefix: p }).consume('k', quota, now)).used).toBe(2)
    const key = { id: 'k1', name: 'n', hash: 'ab'.repeat(32), enabled: true, createdAt: 1 }
    await upstashKeyStore(a, { prefix: p }).put(key)
    expect(await upstashKeyStore(b, { prefix: p }).findByHash(key.hash)).toEqual(key)
  })

  it('the bucket key expires in Redis a second after the bucket would be full again', async () => {
    const p = prefix()
    const redis = client()
    await upstashRateLimiter(redis, { prefix: p }).take('k', { rateLimit: 4, burstLimit: 2 }, Date.now())
    // 1 of 2 tokens missing at 4/s: full in 250 ms, kept 1 s more.
    const ttl = await redis.pttl(`${p}rl:k`)
    expect(ttl).toBeGreaterThan(1000)
    expect(ttl).toBeLessThanOrEqual(1250)
    // Rate 0 never refills: the bucket is kept.
    await upstashRateLimiter(redis, { prefix: p }).take('z', { rateLimit: 0, burstLimit: 2 }, Date.now())
    expect(await redis.pttl(`${p}rl:z`)).toBe(-1)
  })

  it('ninety parallel takes from three clients on one bucket admit exactly the burst', async () => {
    const p = prefix()
    const limiters = [client(), client(), client()].map((c) => upstashRateLimiter(c, { prefix: p }))
    const now = Date.now()
    const results = await Promise.all(Array.from({ length: 90 }, (_, i) => limiters[i % 3]!.take('shared', { rateLimit: 1, burstLimit: 7 }, now)))
    expect(results.filter((r) => r.allowed)).toHaveLength(7)
  })

  it('ninety parallel consumes from three clients never pass the quota', async () => {
    const p = prefix()
    const counters = [client(), client(), client()].map((c) => upstashQuotaCounter(c, { prefix: p }))
    const now = Date.UTC(2027, 5, 1, 12)
    const quota = { limit: 11, period: 'MONTH' as const, offset: 0 }
    const results = await Promise.all(Array.from({ length: 90 }, (_, i) => counters[i % 3]!.consume('shared', quota, now)))
    expect(results.filter((r) => r.allowed)).toHaveLength(11)
    expect(await counters[0]!.usageByDay('shared', '2027-06-01', '2027-06-01')).toEqual({ '2027-06-01': 11 })
  })
})

describe('Upstash authorizer cache', () => {
  it('get/set with expiry on the gateway clock, JSON values kept whole', async () => {
    let t = Date.UTC(2027, 0, 1)
    const cache = upstashAuthorizerCache(client(), { now: () => t }, { prefix: prefix() })
    const value = { policy: { Version: '2012-10-17', Statement: [] }, context: { n: 1, s: 'ü', b: true }, principalId: 'u1' }
    expect(await cache.get('tok')).toBeUndefined()
    await cache.set('tok', value, 300)
    expect(await cache.get('tok')).toEqual(value)
    t += 299_999
    expect(await cache.get('tok')).toEqual(value)
    t += 1
    expect(await cache.get('tok')).toBeUndefined()
    // A TTL of 0 (caching off) stores nothing.
    await cache.set('zero', value, 0)
    expect(await cache.get('zero')).toBeUndefined()
  })

  it('the Redis key carries the TTL in real time too', async () => {
    const p = prefix()
    const redis = client()
    const cache = upstashAuthorizerCache(redis, { now: () => Date.now() }, { prefix: p })
    await cache.set('tok', 'v', 60)
    const ttl = await redis.pttl(`${p}authz:0:tok`)
    expect(ttl).toBeGreaterThan(59_000)
    expect(ttl).toBeLessThanOrEqual(60_000)
  })

  it('clear() drops every entry (shared by every instance), later sets are kept', async () => {
    const p = prefix()
    const clock = { now: () => Date.now() }
    const a = upstashAuthorizerCache(client(), clock, { prefix: p })
    const b = upstashAuthorizerCache(client(), clock, { prefix: p })
    await a.set('x', 1, 60)
    await a.set('y', 2, 60)
    expect(await b.get('x')).toBe(1)
    await b.clear()
    expect(await a.get('x')).toBeUndefined()
    expect(await a.get('y')).toBeUndefined()
    await a.set('x', 3, 60)
    expect(await b.get('x')).toBe(3)
  })
})

describe('@upstash/ratelimit token bucket (limiter: "ratelimit")', () => {
  // The SDK reads Date.now() itself: these cases use real time and small waits.
  it('admits the burst, rejects, and refills continuously at rateLimit per second', async () => {
    const limiter = upstashRatelimitLimiter(client(), { prefix: prefix() })
    const limit = { rateLimit: 5, burstLimit: 3 }
    const first = []
    for (let i = 0; i < 4; i++) first.push(await limiter.take('k', limit, 0))
    expect(first.map((r) => r.allowed)).toEqual([true, true, true, false])
    expect(first.map((r) => r.remaining)).toEqual([2, 1, 0, 0])
    expect(first[3]!.retryAfterMs).toBe(200)
    // 5/s: a token every 200 ms, not all of them at a second's edge.
    const emptyAt = Date.now()
    await new Promise((r) => setTimeout(r, 450))
    let admitted = 0
    for (let i = 0; i < 3; i++) if ((await limiter.take('k', limit, 0)).allowed) admitted++
    const elapsed = Date.now() - emptyAt
    expect(admitted).toBeGreaterThanOrEqual(2)
    expect(admitted).toBeLessThanOrEqual(Math.min(3, Math.floor(elapsed / 200)))
  })

  it('its Lua runs through the bridge (EVALSHA, falling back to EVAL) and keeps state in Redis', async () => {
    const p = prefix()
    const limit = { rateLimit: 1, burstLimit: 5 }
    const a = upstashRatelimitLimiter(client(), { prefix: p })
    const b = upstashRatelimitLimiter(client(), { prefix: p })
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).take('shared', limit, 0)))
    expect(results.filter((r) => r.allowed)).toHaveLength(5)
    // The SDK's hash (tokens, refilledAt) holds less than one token.
    expect(Number(await client().hget(`${p}rls:shared`, 'tokens'))).toBeLessThan(1)
  })

  it('a limit it cannot express (rate 0 or burst 0) rejects without a call', async () => {
    const limiter = upstashRatelimitLimiter(client(), { prefix: prefix() })
    const before = bridge.stats.commands
    expect((await limiter.take('k', { rateLimit: 0, burstLimit: 0 }, 0)).allowed).toBe(false)
    expect(bridge.stats.commands).toBe(before)
  })
})

describe('the REST bridge speaks Upstash', () => {
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(bridge.url + path, { method: 'POST', headers: { authorization: `Bearer ${bridge.token}`, ...headers }, body: JSON.stringify(body) })

  it('single commands, base64 encoding, errors as {error} with 400', async () => {
    const k = prefix() + 'x'
    expect(await (await post('/', ['SET', k, 'héllo'])).json()).toEqual({ result: 'OK' })
    expect(await (await post('/', ['GET', k])).json()).toEqual({ result: 'héllo' })
    expect(await (await post('/', ['GET', k], { 'upstash-encoding': 'base64' })).json()).toEqual({ result: Buffer.from('héllo').toString('base64') })
    const bad = await post('/', ['INCR', k])
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: string }).error).toMatch(/not an integer/)
    expect((await fetch(bridge.url + '/', { method: 'POST', body: '["PING"]' })).status).toBe(401)
  })

  it('pipeline answers each command; multi-exec runs them as one transaction', async () => {
    const k = prefix() + 'n'
    expect(await (await post('/pipeline', [['INCR', k], ['HGET', k, 'f'], ['INCR', k]])).json()).toEqual([
      { result: 1 },
      { error: expect.stringMatching(/WRONGTYPE/) },
      { result: 2 },
    ])
    expect(await (await post('/multi-exec', [['INCR', k], ['GET', k]])).json()).toEqual([{ result: 3 }, { result: '3' }])
  })
})
