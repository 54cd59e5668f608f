/**
 * Token leases on shared stores (settings.storePolicy.throttleLeases): how many tokens a
 * lease takes, that no more is admitted than the bucket allows across instances, lease
 * expiry, refusals remembered until Retry-After, one fetch for concurrent requests, store
 * failures; then the real Redis script's takeUpTo, and the setting through a gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { leaseSize, leasingRateLimiter, LEASE_MS, withTimeout } from '../../../src/features/usage-plan/index.ts'
import { connectRedis, redisRateLimiter, type RedisConnection } from '../../../src/storage/redis/index.ts'
import type { RateLimiter, TakeResult } from '../../../src/storage/ports.ts'
import { lambda, setup } from './setup.ts'

type Limit = { rateLimit: number; burstLimit: number }

/**
 * A shared store in memory with the store's arithmetic (refill by time, take up to `wanted`
 * whole tokens), counting calls; `gate` holds replies back while set.
 */
function sharedStore() {
  const buckets = new Map<string, { tokens: number; at: number }>()
  const store = {
    takes: 0,
    leases: [] as number[],
    fail: false,
    gate: undefined as Promise<void> | undefined,
    async run(key: string, limit: Limit, now: number, wanted: number): Promise<{ taken: number; result: TakeResult }> {
      if (store.gate) await store.gate
      if (store.fail) throw new Error('ECONNRESET')
      const b = buckets.get(key) ?? { tokens: limit.burstLimit, at: now }
      const tokens = Math.min(limit.burstLimit, b.tokens + (Math.max(0, now - b.at) * limit.rateLimit) / 1000)
      const taken = tokens >= 1 ? Math.min(wanted, Math.floor(tokens)) : 0
      buckets.set(key, { tokens: tokens - taken, at: Math.max(b.at, now) })
      const left = tokens - (taken ? 1 : 0)
      return {
        taken,
        result: {
          allowed: taken > 0,
          remaining: Math.floor(left),
          retryAfterMs: taken ? 0 : Math.ceil(((1 - tokens) * 1000) / limit.rateLimit),
          resetMs: Math.ceil(((limit.burstLimit - left) * 1000) / limit.rateLimit),
        },
      }
    },
    async take(key: string, limit: Limit, now: number) {
      store.takes++
      return (await store.run(key, limit, now, 1)).result
    },
    async takeUpTo(key: string, limit: Limit, now: number, wanted: number) {
      const out = await store.run(key, limit, now, wanted)
      store.leases.push(out.taken)
      return out
    },
  }
  return store
}

const guard = <T>(call: () => Promise<T>) => withTimeout(call, 1000)
const big: Limit = { rateLimit: 5000, burstLimit: 10_000 }
const T0 = 1_800_000_000_000

describe('lease size', () => {
  it('1% of the burst, a tenth of a second of refill, at most 100; under 2 means none', () => {
    expect(leaseSize({ rateLimit: 10_000, burstLimit: 5000 })).toBe(50) // AWS's account default
    expect(leaseSize({ rateLimit: 1_000_000, burstLimit: 1_000_000 })).toBe(100)
    expect(leaseSize({ rateLimit: 100, burstLimit: 1000 })).toBe(10)
    expect(leaseSize({ rateLimit: 5000, burstLimit: 150 })).toBe(1)
    expect(leaseSize({ rateLimit: 10, burstLimit: 10_000 })).toBe(1)
    expect(leaseSize({ rateLimit: 0, burstLimit: 0 })).toBe(0)
  })
})

describe('leasingRateLimiter', () => {
  it('a small bucket is taken from one token per store call, exactly', async () => {
    const store = sharedStore()
    const limiter = leasingRateLimiter(store, { guard })
    const results = []
    for (let i = 0; i < 12; i++) results.push(await limiter.take('b', { rateLimit: 5, burstLimit: 10 }, T0))
    expect(store.takes).toBe(12)
    expect(store.leases).toEqual([])
    expect(results.map((r) => r.allowed)).toEqual([...Array(10).fill(true), false, false])
  })

  it('a large bucket: one store call per lease, and the remaining count goes down by one per request', async () => {
    const store = sharedStore()
    const limiter = leasingRateLimiter(store, { guard })
    const remaining: number[] = []
    for (let i = 0; i < 250; i++) {
      const r = await limiter.take('b', big, T0)
      expect(r.allowed).toBe(true)
      remaining.push(r.remaining)
    }
    expect(store.leases).toEqual([100, 100, 100])
    expect(store.takes).toBe(0)
    expect(remaining.slice(0, 3)).toEqual([9999, 9998, 9997])
    expect(remaining[249]).toBe(9750)
  })

  it('two instances never admit more than the bucket holds, and admit all of it when they keep asking', async () => {
    const store = sharedStore()
    const a = leasingRateLimiter(store, { guard })
    const b = leasingRateLimiter(store, { guard })
    const limit = { rateLimit: 100, burstLimit: 1000 } // leases of 10
    let admitted = 0
    for (let i = 0; i < 1500; i++) if ((await (i % 3 ? a : b).take('acct', limit, T0)).allowed) admitted++
    expect(admitted).toBe(1000)
    expect(store.leases.reduce((x, y) => x + y, 0)).toBe(1000)
  })

  it('tokens of a lease older than LEASE_MS are not handed out: the next request takes a new lease', async () => {
    const store = sharedStore()
    const limiter = leasingRateLimiter(store, { guard })
    await limiter.take('b', big, T0)
    await limiter.take('b', big, T0 + LEASE_MS - 1)
    expect(store.leases).toEqual([100])
    await limiter.take('b', big, T0 + LEASE_MS)
    expect(store.leases).toEqual([100, 100])
  })

  it('a refusal is kept until its Retry-After, without asking the store; then the store is asked again', async () => {
    const store = sharedStore()
    const limiter = leasingRateLimiter(store, { guard })
    const limit = { rateLimit: 20, burstLimit: 200 } // leases of 2; a token every 50 ms
    for (let i = 0; i < 200; i++) expect((await limiter.take('b', limit, T0)).allowed).toBe(true)
    const calls = store.leases.length
    const refused = await limiter.take('b', limit, T0)
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 50 })
    expect(store.leases.length).toBe(calls + 1)
    const later = await limiter.take('b', limit, T0 + 30)
    expect(later).toMatchObject({ allowed: false, retryAfterMs: 20 })
    expect(later.resetMs).toBe(refused.resetMs - 30)
    expect(store.leases.length).toBe(calls + 1) // answered locally
    expect((await limiter.take('b', limit, T0 + 50)).allowed).toBe(true)
    expect(store.leases.length).toBe(calls + 2)
  })

  it('concurrent requests finding no lease wait for one fetch', async () => {
    const store = sharedStore()
    const limiter = leasingRateLimiter(store, { guard })
    let open!: () => void
    store.gate = new Promise<void>((r) => (open = r))
    const pending = Array.from({ length: 50 }, () => limiter.take('b', big, T0))
    await new Promise((r) => setTimeout(r, 5))
    store.gate = undefined
    open()
    const results = await Promise.all(pending)
    expect(results.every((r) => r.allowed)).toBe(true)
    expect(store.leases).toEqual([100])
    expect(store.takes).toBe(0)
  })

  it('more waiters than a lease holds: they wait for the next fetch rather than each asking the store', async () => {
    const store = sharedStore()
    const limiter = leasingRateLimiter(store, { guard })
    let open!: () => void
    store.gate = new Promise<void>((r) => (open = r))
    const pending = Array.from({ length: 300 }, () => limiter.take('b', big, T0))
    await new Promise((r) => setTimeout(r, 5))
    store.gate = undefined
    open()
    const results = await Promise.all(pending)
    expect(results.every((r) => r.allowed)).toBe(true)
    expect(store.leases).toEqual([100, 100, 100])
    expect(store.takes).toBe(0)
  })

  it('a failed fetch fails the requests that waited on it too, with its error, in one store call', async () => {
    const store = sharedStore()
    const calls = { takeUpTo: 0 }
    const failing = { ...store, takeUpTo: async () => (calls.takeUpTo++, Promise.reject(new Error('ECONNRESET'))) }
    const limiter = leasingRateLimiter(failing, { guard })
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => limiter.take('b', big, T0)))
    expect(results.map((r) => (r.status === 'rejected' ? String((r.reason as Error).message) : 'ok'))).toEqual(Array(10).fill('ECONNRESET'))
    expect(calls.takeUpTo).toBe(1)
    expect(store.takes).toBe(0)
  })

  it('a lease serves only the limit it was taken under, and never a clock before it', async () => {
    const store = sharedStore()
    const limiter = leasingRateLimiter(store, { guard })
    await limiter.take('plan', big, T0)
    await limiter.take('plan', { rateLimit: 1000, burstLimit: 2000 }, T0) // the plan changed: a new lease (of 20)
    expect(store.leases).toEqual([100, 20])
    await limiter.take('plan', { rateLimit: 1000, burstLimit: 2000 }, T0 - 5000) // a clock behind the lease's
    expect(store.leases).toEqual([100, 20, 20])
  })

  it('a store failure reaches the caller (the store policy applies) and the next request tries again', async () => {
    const store = sharedStore()
    const limiter = leasingRateLimiter(store, { guard })
    store.fail = true
    await expect(limiter.take('b', big, T0)).rejects.toThrow('ECONNRESET')
    store.fail = false
    expect((await limiter.take('b', big, T0)).allowed).toBe(true)
    expect(store.leases).toEqual([100])
  })

  it('a store that does not answer times out through the guard', async () => {
    const store = sharedStore()
    store.gate = new Promise<void>(() => {})
    const limiter = leasingRateLimiter(store, { guard: (call) => withTimeout(call, 20) })
    await expect(limiter.take('b', big, T0)).rejects.toThrow('store did not answer within 20 ms')
  })
})

describe('the Redis script', () => {
  let conn: RedisConnection
  const prefix = `portico-test:${crypto.randomUUID()}:`
  beforeAll(async () => {
    conn = await connectRedis('redis://127.0.0.1:6379', { prefix })
  })
  afterAll(async () => {
    const [, keys] = await conn.command<[string, string[]]>(['SCAN', '0', 'MATCH', `${prefix}*`, 'COUNT', '1000'])
    if (keys.length) await conn.command(['UNLINK', ...keys])
    await conn.close()
  })

  it('takeUpTo takes what is asked, then what is left, then nothing; take() still takes one', async () => {
    const limiter = redisRateLimiter(conn) as Required<RateLimiter>
    const limit = { rateLimit: 10, burstLimit: 250 }
    expect(await limiter.takeUpTo('k', limit, T0, 100)).toEqual({ taken: 100, result: { allowed: true, remaining: 249, retryAfterMs: 0, resetMs: 100 } })
    expect((await limiter.takeUpTo('k', limit, T0, 100)).taken).toBe(100)
    expect((await limiter.take('k', limit, T0)).remaining).toBe(49)
    expect((await limiter.takeUpTo('k', limit, T0, 100)).taken).toBe(49)
    const none = await limiter.takeUpTo('k', limit, T0, 100)
    expect(none).toEqual({ taken: 0, result: { allowed: false, remaining: 0, retryAfterMs: 100, resetMs: 25_000 } })
    expect((await limiter.takeUpTo('k', limit, T0 + 250, 100)).taken).toBe(2) // 2.5 tokens refilled
  })

  it('through a gateway: leases by default, one store call per request with throttleLeases false', async () => {
    const counted = () => {
      const real = redisRateLimiter({ ...conn, prefix: `${prefix}${crypto.randomUUID()}:` })
      const calls = { take: 0, takeUpTo: 0 }
      const limiter: RateLimiter = {
        take: (...a) => (calls.take++, real.take(...a)),
        takeUpTo: (...a) => (calls.takeUpTo++, real.takeUpTo!(...a)),
      }
      return { limiter, calls }
    }
    const routes = [{ method: 'GET', path: '/r', integration: lambda }]
    const settings = { throttle: { rateLimit: 10_000, burstLimit: 5000 } }
    for (const throttleLeases of [true, false]) {
      const { limiter, calls } = counted()
      const g = setup({ routes, settings: { ...settings, storePolicy: { throttleLeases } }, deps: { stores: { rateLimiter: limiter } } })
      const seen: string[] = []
      for (let i = 0; i < 60; i++) {
        const res = await g.call('/prod/r')
        expect(res.status).toBe(200)
        seen.push(res.headers.get('RateLimit')!)
      }
      expect(seen[0]).toBe('"account";r=4999;t=1')
      expect(seen[59]).toBe('"account";r=4940;t=1')
      expect(calls).toEqual(throttleLeases ? { take: 0, takeUpTo: 2 } : { take: 60, takeUpTo: 0 })
    }
  })
})
