/**
 * The Durable Object stores inside workerd, through the bindings wrangler.toml declares: the
 * storage contracts (the same suites every backend runs), parallel requests on one object,
 * the alarm that deletes idle buckets, and the stub clients' retry.
 */
import { env } from 'cloudflare:workers'
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { keyStoreContract } from '../storage/contract/key-store.contract.ts'
import { quotaCounterContract } from '../storage/contract/quota-counter.contract.ts'
import { rateLimiterContract } from '../storage/contract/rate-limiter.contract.ts'
import {
  durableObjectAuthorizerCache,
  durableObjectKeyStore,
  durableObjectQuotaCounter,
  durableObjectRateLimiter,
  durableObjectStores,
  type KeyStoreStub,
  type NamespaceLike,
  type QuotaCounterStub,
  type RateLimiterStub,
} from '../../src/storage/durable-object/index.ts'

const bindings = env as unknown as {
  PORTICO_RATE_LIMITER: DurableObjectNamespace & NamespaceLike<RateLimiterStub>
  PORTICO_QUOTA: DurableObjectNamespace & NamespaceLike<QuotaCounterStub>
  PORTICO_KEYS: DurableObjectNamespace & NamespaceLike<KeyStoreStub>
}

rateLimiterContract('durable objects', async () => ({ limiter: durableObjectRateLimiter(bindings.PORTICO_RATE_LIMITER) }))
quotaCounterContract('durable objects', async () => ({ counter: durableObjectQuotaCounter(bindings.PORTICO_QUOTA) }))
// A fresh KeyStore instance per case: the instance name is the client's choice.
keyStoreContract('durable objects', async () => ({ store: durableObjectKeyStore(bindings.PORTICO_KEYS, `keys-${crypto.randomUUID()}`) }))

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('Durable Object rate limiter', () => {
  it('two hundred parallel requests on one bucket admit exactly the burst', async () => {
    const limiter = durableObjectRateLimiter(bindings.PORTICO_RATE_LIMITER)
    const key = `burst:${crypto.randomUUID()}`
    const now = Date.now()
    const results = await Promise.all(Array.from({ length: 200 }, () => limiter.take(key, { rateLimit: 5, burstLimit: 25 }, now)))
    expect(results.filter((r) => r.allowed)).toHaveLength(25)
    expect(results.filter((r) => !r.allowed).every((r) => r.retryAfterMs === 200)).toBe(true)
  })

  it('one object per bucket key, its state in the object\'s SQLite storage', async () => {
    const key = `state:${crypto.randomUUID()}`
    await durableObjectRateLimiter(bindings.PORTICO_RATE_LIMITER).take(key, { rateLimit: 1, burstLimit: 3 }, 1_800_000_000_000)
    const stub = bindings.PORTICO_RATE_LIMITER.get(bindings.PORTICO_RATE_LIMITER.idFromName(key))
    const row = await runInDurableObject(stub, (_instance, state) => state.storage.sql.exec('SELECT tokens, updated_at FROM bucket').toArray())
    expect(row).toEqual([{ tokens: 2, updated_at: 1_800_000_000_000 }])
  })

  it('the alarm deletes a bucket once it is full again, not before', async () => {
    const key = `alarm:${crypto.randomUUID()}`
    const limiter = durableObjectRateLimiter(bindings.PORTICO_RATE_LIMITER)
    const stub = bindings.PORTICO_RATE_LIMITER.get(bindings.PORTICO_RATE_LIMITER.idFromName(key))
    // 1000/s: full again 1 ms after the take; then a second of grace.
    const limit = { rateLimit: 1000, burstLimit: 2 }
    const t = Date.now()
    await limiter.take(key, limit, t)
    const scheduled = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())
    expect(scheduled).toBeGreaterThanOrEqual(t + 1000)
    expect(scheduled).toBeLessThan(Date.now() + 1100)
    // Run early, it keeps the bucket and waits for the idle time.
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    const rows = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec('SELECT tokens FROM bucket').toArray())
    expect(rows).toHaveLength(1)
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).not.toBeNull()
    // Then the real alarm fires by itself at the idle time and deletes the storage.
    const gone = async () =>
      (await runInDurableObject(stub, (_i, state) => state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'bucket'").toArray())).length === 0
    const deadline = Date.now() + 5000
    while (!(await gone()) && Date.now() < deadline) await sleep(100)
    const after = await runInDurableObject(stub, (_i, state) => ({
      tables: state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'bucket'").toArray(),
      alarm: state.storage.getAlarm(),
    }))
    expect(after.tables).toEqual([])
    expect(await after.alarm).toBeNull()
    // The object works again afterwards, from a full bucket.
    const next = await limiter.take(key, limit, t)
    expect(next).toMatchObject({ allowed: true, remaining: 1 })
  })

  it('a bucket that never refills (rate 0) has no alarm and stays', async () => {
    const key = `rate0:${crypto.randomUUID()}`
    await durableObjectRateLimiter(bindings.PORTICO_RATE_LIMITER).take(key, { rateLimit: 0, burstLimit: 2 }, Date.now())
    const stub = bindings.PORTICO_RATE_LIMITER.get(bindings.PORTICO_RATE_LIMITER.idFromName(key))
    expect(await runDurableObjectAlarm(stub)).toBe(false)
    const rows = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec('SELECT tokens FROM bucket').toArray())
    expect(rows).toEqual([{ tokens: 1 }])
  })
})

describe('Durable Object quota counter', () => {
  it('three hundred parallel consumes never pass the limit; the counts survive the object being rebuilt', async () => {
    const counter = durableObjectQuotaCounter(bindings.PORTICO_QUOTA)
    const key = `quota:${crypto.randomUUID()}`
    const quota = { limit: 37, period: 'DAY' as const, offset: 0 }
    const now = Date.UTC(2027, 2, 10, 12)
    const results = await Promise.all(Array.from({ length: 300 }, () => counter.consume(key, quota, now)))
    expect(results.filter((r) => r.allowed)).toHaveLength(37)
    expect(results.filter((r) => r.allowed).map((r) => r.used).sort((a, b) => a - b)).toEqual(Array.from({ length: 37 }, (_, i) => i + 1))
    // A new stub (as another isolate would make) reaches the same object and count.
    expect((await durableObjectQuotaCounter(bindings.PORTICO_QUOTA).consume(key, quota, now)).allowed).toBe(false)
    expect(await counter.usageByDay(key, '2027-03-09', '2027-03-10')).toEqual({ '2027-03-09': 0, '2027-03-10': 37 })
  })
})

describe('Durable Object authorizer cache', () => {
  it('expires on the gateway clock, keeps JSON values whole, clear() empties it', async () => {
    let t = Date.UTC(2027, 0, 1)
    const cache = durableObjectAuthorizerCache(bindings.PORTICO_KEYS, { now: () => t }, `authz-${crypto.randomUUID()}`)
    const value = { principalId: 'u1', policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow' }] }, context: { n: 1, s: 'ü' } }
    expect(await cache.get('tok')).toBeUndefined()
    await cache.set('tok', value, 60)
    await cache.set('other', 'x', 60)
    expect(await cache.get('tok')).toEqual(value)
    t += 59_999
    expect(await cache.get('tok')).toEqual(value)
    t += 1
    expect(await cache.get('tok')).toBeUndefined()
    await cache.set('zero', value, 0)
    expect(await cache.get('zero')).toBeUndefined()
    t -= 30_000
    expect(await cache.get('other')).toBe('x')
    await cache.clear()
    expect(await cache.get('other')).toBeUndefined()
  })
})

describe('durableObjectStores (the Worker wiring)', () => {
  it('fills every port from the bindings, and none without them', async () => {
    const stores = durableObjectStores(env as unknown as Record<string, unknown>, { now: () => Date.now() })
    expect(Object.keys(stores).sort()).toEqual(['authorizerCache', 'keyStore', 'quotaCounter', 'rateLimiter'])
    expect(durableObjectStores({ PORTICO_QUIET: '1' }, { now: () => 0 })).toEqual({})
    const key = { id: `k${crypto.randomUUID()}`, name: 'n', hash: crypto.randomUUID(), enabled: true, createdAt: 1 }
    await stores.keyStore!.put(key)
    // The instance the Worker uses is "keys".
    expect(await durableObjectKeyStore(bindings.PORTICO_KEYS, 'keys').findByHash(key.hash)).toEqual(key)
    expect(await stores.keyStore!.delete(key.id)).toBe(true)
  })

  it('retries once on a fresh stub when the error is retryable, not when overloaded or plain', async () => {
    const attempts: string[] = []
    const failing = (errors: ({ retryable?: boolean; overloaded?: boolean } | undefined)[]): NamespaceLike<RateLimiterStub> => ({
      idFromName: (name) => name,
      get: () => ({
        async take() {
          const e = errors.shift()
          attempts.push(e ? 'fail' : 'ok')
          if (e) throw Object.assign(new Error('broken stub'), e)
          return { allowed: true, remaining: 0, retryAfterMs: 0, resetMs: 1 }
        },
      }),
    })
    const limit = { rateLimit: 1, burstLimit: 1 }
    expect((await durableObjectRateLimiter(failing([{ retryable: true }])).take('k', limit, 0)).allowed).toBe(true)
    expect(attempts).toEqual(['fail', 'ok'])
    attempts.length = 0
    await expect(durableObjectRateLimiter(failing([{ retryable: true }, { retryable: true }])).take('k', limit, 0)).rejects.toThrow('broken stub')
    expect(attempts).toEqual(['fail', 'fail'])
    attempts.length = 0
    await expect(durableObjectRateLimiter(failing([{ retryable: true, overloaded: true }])).take('k', limit, 0)).rejects.toThrow('broken stub')
    await expect(durableObjectRateLimiter(failing([{}])).take('k', limit, 0)).rejects.toThrow('broken stub')
    expect(attempts).toEqual(['fail', 'fail'])
  })
})
