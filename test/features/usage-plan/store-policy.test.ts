/**
 * A slow or failing store: past settings.storePolicy.timeoutMs (or on an error) the level is
 * skipped under 'open', with a warning naming the request id and the level, or the request
 * gets 429 under 'closed'. Fake stores that hang or throw.
 */
import { describe, expect, it } from 'vitest'
import { KEY, lambda, setup } from './setup.ts'
import { memoryRateLimiter } from '../../../src/storage/memory/rate-limiter.ts'
import { memoryQuotaCounter } from '../../../src/storage/memory/quota-counter.ts'
import { memoryKeyStore } from '../../../src/storage/memory/key-store.ts'
import type { KeyStore, QuotaCounter, RateLimiter } from '../../../src/storage/ports.ts'
import { withTimeout, StoreTimeoutError } from '../../../src/features/usage-plan/index.ts'

const never = () => new Promise<never>(() => {})
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A rate limiter that hangs (or throws) on the buckets `bad` accepts; memory otherwise. */
function brokenLimiter(bad: (bucket: string) => boolean, how: 'hang' | 'throw' | { delayMs: number }): RateLimiter & { down: boolean } {
  const real = memoryRateLimiter()
  const limiter = {
    down: true,
    async take(bucket: string, limit: { rateLimit: number; burstLimit: number }, now: number) {
      if (limiter.down && bad(bucket)) {
        if (how === 'hang') return never()
        if (how === 'throw') throw new Error('ECONNREFUSED 127.0.0.1:6379')
        await sleep(how.delayMs)
      }
      return real.take(bucket, limit, now)
    },
  }
  return limiter
}

const plan = { name: 'basic', id: 'basic', throttle: { rateLimit: 0, burstLimit: 0 }, quota: { limit: 1, period: 'DAY' }, apiStages: [{ api: 'rest', stage: 'prod' }], apiKeys: ['partner'] }
const routes = [{ method: 'GET', path: '/r', integration: lambda, throttle: { rateLimit: 0, burstLimit: 0 } }]

describe('rate limiter unavailable', () => {
  it("'open' (default): a hanging store lets the request through after timeoutMs, and the log names the request and level", async () => {
    const limiter = brokenLimiter((b) => b.startsWith('route:'), 'hang')
    const g = setup({ routes, settings: { storePolicy: { timeoutMs: 20 } }, deps: { stores: { rateLimiter: limiter } } })
    const started = Date.now()
    const res = await g.call('/prod/r')
    expect(res.status).toBe(200)
    expect(Date.now() - started).toBeLessThan(2000)
    const warn = g.logger.lines.find((l) => l.level === 'warn' && l.message.includes('let through'))
    expect(warn?.fields).toMatchObject({ requestId: res.headers.get('x-amzn-RequestId'), level: 'route' })
    expect(String(warn?.fields?.error)).toContain('20 ms')
    // The account level still answered: its headers are there, the route's are not.
    expect(res.headers.get('RateLimit')).toBe('"account";r=4999;t=1')
    expect(g.events).toHaveLength(1)
  })

  it("'open': an error is treated like a timeout", async () => {
    const limiter = brokenLimiter(() => true, 'throw')
    const g = setup({ routes, deps: { stores: { rateLimiter: limiter } } })
    const res = await g.call('/prod/r')
    expect(res.status).toBe(200)
    const levels = g.logger.lines.filter((l) => l.level === 'warn').map((l) => l.fields?.level)
    expect(levels).toEqual(['route', 'account'])
    expect(JSON.stringify(g.logger.lines)).toContain('ECONNREFUSED')
  })

  it("'closed': 429 Too Many Requests with Retry-After: 1; the integration is not called", async () => {
    const limiter = brokenLimiter((b) => b === 'account', 'hang')
    const g = setup({ settings: { storePolicy: { timeoutMs: 20, throttle: 'closed' } }, deps: { stores: { rateLimiter: limiter } } })
    const res = await g.call('/prod/public')
    expect(res.status).toBe(429)
    expect(await res.text()).toBe('{"message":"Too Many Requests"}')
    expect(res.headers.get('Retry-After')).toBe('1')
    expect(g.events).toHaveLength(0)
    expect(g.logger.lines.find((l) => l.level === 'error')?.fields).toMatchObject({ requestId: res.headers.get('x-amzn-RequestId'), level: 'account' })
  })

  it('a slow answer within timeoutMs is used', async () => {
    const limiter = brokenLimiter((b) => b.startsWith('route:'), { delayMs: 5 })
    const g = setup({ routes, settings: { storePolicy: { timeoutMs: 500, throttle: 'open' } }, deps: { stores: { rateLimiter: limiter } } })
    // The route bucket (burst 0) answered in time, and refuses.
    expect((await g.call('/prod/r')).status).toBe(429)
  })

  it('limits apply again once the store is back', async () => {
    const limiter = brokenLimiter((b) => b.startsWith('route:'), 'throw')
    const g = setup({ routes, deps: { stores: { rateLimiter: limiter } } })
    expect((await g.call('/prod/r')).status).toBe(200)
    limiter.down = false
    expect((await g.call('/prod/r')).status).toBe(429)
  })
})

describe('quota counter unavailable', () => {
  function brokenCounter(): QuotaCounter {
    const real = memoryQuotaCounter()
    return { ...real, consume: () => never() }
  }
  const quotaPlan = { ...plan, throttle: undefined }

  it("'open': counted nowhere, let through, logged with level quota", async () => {
    const g = setup({ usagePlans: [quotaPlan], settings: { storePolicy: { timeoutMs: 20 } }, deps: { stores: { quotaCounter: brokenCounter() } } })
    expect(await g.statuses(3, '/prod/private', KEY)).toEqual([200, 200, 200])
    expect(g.logger.lines.filter((l) => l.level === 'warn' && l.fields?.level === 'quota')).toHaveLength(3)
  })

  it("'closed': 429 Too Many Requests (not Limit Exceeded: the quota is not known to be used up)", async () => {
    const g = setup({ usagePlans: [quotaPlan], settings: { storePolicy: { timeoutMs: 20, quota: 'closed' } }, deps: { stores: { quotaCounter: brokenCounter() } } })
    const res = await g.call('/prod/private', KEY)
    expect(res.status).toBe(429)
    expect(await res.text()).toBe('{"message":"Too Many Requests"}')
    expect(res.headers.get('Retry-After')).toBe('1')
    expect(g.events).toHaveLength(0)
  })

  it("the throttle policy does not decide for the quota: throttle 'closed', quota 'open'", async () => {
    const g = setup({ usagePlans: [quotaPlan], settings: { storePolicy: { timeoutMs: 20, throttle: 'closed', quota: 'open' } }, deps: { stores: { quotaCounter: brokenCounter() } } })
    expect((await g.call('/prod/private', KEY)).status).toBe(200)
  })
})

describe('key store unavailable for the plan lookup (throttle policy)', () => {
  /** Finds keys (the API key check works) but cannot list a key's plans while `down`. */
  function brokenPlans(): KeyStore & { down: boolean } {
    const real = memoryKeyStore()
    const store = Object.assign(Object.create(null), real, {
      down: false,
      plansOfKey: (id: string) => (store.down ? never() : real.plansOfKey(id)),
    })
    return store
  }

  it("'open': the plan's limits are skipped (its burst 0 would refuse)", async () => {
    const keyStore = brokenPlans()
    const g = setup({ usagePlans: [plan], settings: { storePolicy: { timeoutMs: 20 } }, deps: { stores: { keyStore } } })
    await g.gateway.ready
    keyStore.down = true
    expect((await g.call('/prod/private', KEY)).status).toBe(200)
    expect(g.logger.lines.find((l) => l.level === 'warn')?.fields?.level).toBe('plan')
    // Back up: the failed lookup was not remembered, the plan applies at once.
    keyStore.down = false
    expect((await g.call('/prod/private', KEY)).status).toBe(429)
  })

  it("'closed': 429", async () => {
    const keyStore = brokenPlans()
    const g = setup({ usagePlans: [plan], settings: { storePolicy: { timeoutMs: 20, throttle: 'closed' } }, deps: { stores: { keyStore } } })
    await g.gateway.ready
    keyStore.down = true
    expect((await g.call('/prod/private', KEY)).status).toBe(429)
    expect(g.events).toHaveLength(0)
  })
})

describe('withTimeout', () => {
  it('passes answers and errors through, times out hanging calls, turns a synchronous throw into a rejection', async () => {
    expect(await withTimeout(async () => 7, 50)).toBe(7)
    await expect(withTimeout(async () => {
      throw new Error('nope')
    }, 50)).rejects.toThrow('nope')
    await expect(withTimeout(never, 10)).rejects.toBeInstanceOf(StoreTimeoutError)
    await expect(withTimeout(() => {
      throw new Error('sync')
    }, 10)).rejects.toThrow('sync')
  })
})
