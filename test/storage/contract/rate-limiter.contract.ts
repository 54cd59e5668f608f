/**
 * The RateLimiter contract: every backend (memory, SQLite, Redis, Upstash, Durable Objects)
 * runs these cases. Time is passed to take() explicitly, so nothing waits for real.
 *
 * Portable (no node:* imports): it also runs inside workerd.
 *
 * Usage:
 *   rateLimiterContract('redis', async () => {
 *     const client = await connect()
 *     return { limiter: redisRateLimiter(client, { prefix: randomPrefix() }), close: () => client.quit() }
 *   })
 *
 * make() is called once per test; it should return an empty limiter (a fresh prefix, database
 * or object) but the cases also use a random bucket name each, so a shared one works too.
 * Times are near the real clock (Date.now()), so a backend that sets expiries from `now`
 * behaves as it would in production.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { RateLimiter } from '../../../src/storage/ports.ts'

export interface RateLimiterSubject {
  limiter: RateLimiter
  close?(): Promise<void>
}

export interface RateLimiterContractOptions {
  /** How many parallel takes the concurrency cases fire (default 50). */
  parallel?: number
  /** Start time of each case, ms (default: Date.now() when the case starts). */
  start?: () => number
}

export function rateLimiterContract(name: string, make: () => Promise<RateLimiterSubject>, opts: RateLimiterContractOptions = {}) {
  const parallel = opts.parallel ?? 50
  const startAt = opts.start ?? (() => Math.floor(Date.now() / 1000) * 1000)

  describe(`RateLimiter contract: ${name}`, () => {
    let open: RateLimiterSubject[] = []
    afterEach(async () => {
      const closing = open
      open = []
      for (const s of closing) await s.close?.()
    })
    async function setup() {
      const subject = await make()
      open.push(subject)
      return { limiter: subject.limiter, key: `contract:${crypto.randomUUID()}`, t0: startAt() }
    }
    /** Takes `n` tokens one after another at `now`; the allowed flags. */
    async function takeMany(limiter: RateLimiter, key: string, limit: { rateLimit: number; burstLimit: number }, now: number, n: number) {
      const out: boolean[] = []
      for (let i = 0; i < n; i++) out.push((await limiter.take(key, limit, now)).allowed)
      return out
    }

    it('a fresh bucket admits exactly burstLimit requests at once, then rejects', async () => {
      const { limiter, key, t0 } = await setup()
      const limit = { rateLimit: 1, burstLimit: 3 }
      const results = []
      for (let i = 0; i < 4; i++) results.push(await limiter.take(key, limit, t0))
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, false])
      expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0])
      // One token per second: the next one is a second away.
      expect(results[3]!.retryAfterMs).toBe(1000)
      expect(results[0]!.retryAfterMs).toBe(0)
    })

    it('refills at rateLimit tokens per second, never above burstLimit', async () => {
      const { limiter, key, t0 } = await setup()
      const limit = { rateLimit: 2, burstLimit: 4 }
      expect(await takeMany(limiter, key, limit, t0, 5)).toEqual([true, true, true, true, false])
      // 499 ms: 0.998 tokens, not yet one.
      expect((await limiter.take(key, limit, t0 + 499)).allowed).toBe(false)
      expect((await limiter.take(key, limit, t0 + 500)).allowed).toBe(true)
      expect((await limiter.take(key, limit, t0 + 500)).allowed).toBe(false)
      // A long idle time fills the bucket to burstLimit, no further.
      expect(await takeMany(limiter, key, limit, t0 + 3_600_000, 5)).toEqual([true, true, true, true, false])
    })

    it('a sustained stream gets rateLimit per second after the burst', async () => {
      const { limiter, key, t0 } = await setup()
      const limit = { rateLimit: 10, burstLimit: 5 }
      let allowed = 0
      // One request every 10 ms for 2 s: 5 from the burst + 10/s × 2 s.
      for (let t = 0; t <= 2000; t += 10) if ((await limiter.take(key, limit, t0 + t)).allowed) allowed++
      expect(allowed).toBe(5 + 20)
    })

    it('fractional rates: 0.5 per second is one request every 2 s', async () => {
      const { limiter, key, t0 } = await setup()
      const limit = { rateLimit: 0.5, burstLimit: 1 }
      expect((await limiter.take(key, limit, t0)).allowed).toBe(true)
      const early = await limiter.take(key, limit, t0 + 1000)
      expect(early.allowed).toBe(false)
      // Half a token has come back; the other half takes another second.
      expect(early.retryAfterMs).toBe(1000)
      expect((await limiter.take(key, limit, t0 + 1999)).allowed).toBe(false)
      expect((await limiter.take(key, limit, t0 + 2000)).allowed).toBe(true)
      expect((await limiter.take(key, limit, t0 + 4000)).allowed).toBe(true)
    })

    it('a rejected request takes nothing: tokens keep accruing', async () => {
      const { limiter, key, t0 } = await setup()
      const limit = { rateLimit: 1, burstLimit: 1 }
      expect((await limiter.take(key, limit, t0)).allowed).toBe(true)
      for (let t = 100; t < 1000; t += 100) expect((await limiter.take(key, limit, t0 + t)).allowed).toBe(false)
      expect((await limiter.take(key, limit, t0 + 1000)).allowed).toBe(true)
    })

    it('rate 0 and burst 0 blocks everything', async () => {
      const { limiter, key, t0 } = await setup()
      const limit = { rateLimit: 0, burstLimit: 0 }
      for (const t of [0, 1000, 86_400_000]) {
        const r = await limiter.take(key, limit, t0 + t)
        expect(r.allowed).toBe(false)
        expect(r.remaining).toBe(0)
        expect(r.retryAfterMs).toBeGreaterThan(0)
      }
    })

    it('rate 0 with a burst admits the burst once, then nothing ever again', async () => {
      const { limiter, key, t0 } = await setup()
      const limit = { rateLimit: 0, burstLimit: 2 }
      expect(await takeMany(limiter, key, limit, t0, 3)).toEqual([true, true, false])
      expect((await limiter.take(key, limit, t0 + 86_400_000)).allowed).toBe(false)
    })

    it('resetMs is the time until the bucket is full again', async () => {
      const { limiter, key, t0 } = await setup()
      const limit = { rateLimit: 4, burstLimit: 8 }
      const first = await limiter.take(key, limit, t0)
      // 7 of 8 left: one token at 4/s is 250 ms.
      expect(first.resetMs).toBe(250)
      await takeMany(limiter, key, limit, t0, 3)
      const fifth = await limiter.take(key, limit, t0)
      expect(fifth.remaining).toBe(3)
      expect(fifth.resetMs).toBe(1250)
      // 500 ms later two tokens are back (5 left, 4 after this take): 4 missing.
      const later = await limiter.take(key, limit, t0 + 500)
      expect(later.remaining).toBe(4)
      expect(later.resetMs).toBe(1000)
    })

    it('remaining counts whole tokens', async () => {
      const { limiter, key, t0 } = await setup()
      const limit = { rateLimit: 1, burstLimit: 3 }
      await takeMany(limiter, key, limit, t0, 3)
      // 1.5 tokens back, one taken: 0.5 left.
      const r = await limiter.take(key, limit, t0 + 1500)
      expect(r.allowed).toBe(true)
      expect(r.remaining).toBe(0)
      // 0.5 missing from one token at 1/s.
      const next = await limiter.take(key, limit, t0 + 1500)
      expect(next.allowed).toBe(false)
      expect(next.retryAfterMs).toBe(500)
    })

    it('buckets are independent per key', async () => {
      const { limiter, key, t0 } = await setup()
      const limit = { rateLimit: 1, burstLimit: 1 }
      expect((await limiter.take(key + ':a', limit, t0)).allowed).toBe(true)
      expect((await limiter.take(key + ':a', limit, t0)).allowed).toBe(false)
      expect((await limiter.take(key + ':b', limit, t0)).allowed).toBe(true)
    })

    it('keys may hold any characters (route keys, ids, slashes, braces, spaces)', async () => {
      const { limiter, key, t0 } = await setup()
      const limit = { rateLimit: 1, burstLimit: 1 }
      const odd = `${key}:plan:p1:key:k1:abc/prod:GET /pets/{id+} "ü" 'x'`
      expect((await limiter.take(odd, limit, t0)).allowed).toBe(true)
      expect((await limiter.take(odd, limit, t0)).allowed).toBe(false)
      expect((await limiter.take(odd + ' ', limit, t0)).allowed).toBe(true)
    })

    it('a smaller burstLimit given later caps the stored tokens', async () => {
      const { limiter, key, t0 } = await setup()
      expect((await limiter.take(key, { rateLimit: 1, burstLimit: 100 }, t0)).allowed).toBe(true)
      // The plan was changed to burst 2: at most 2 now, whatever was left of 100.
      expect(await takeMany(limiter, key, { rateLimit: 1, burstLimit: 2 }, t0, 3)).toEqual([true, true, false])
    })

    it('a clock that goes back (another instance behind) creates no tokens', async () => {
      const { limiter, key, t0 } = await setup()
      const limit = { rateLimit: 1, burstLimit: 1 }
      expect((await limiter.take(key, limit, t0 + 5000)).allowed).toBe(true)
      expect((await limiter.take(key, limit, t0 + 4000)).allowed).toBe(false)
      expect((await limiter.take(key, limit, t0)).allowed).toBe(false)
    })

    it(`concurrency: ${parallel} parallel takes on a fresh bucket admit exactly burstLimit`, async () => {
      const { limiter, key, t0 } = await setup()
      const limit = { rateLimit: 1, burstLimit: 10 }
      const results = await Promise.all(Array.from({ length: parallel }, () => limiter.take(key, limit, t0)))
      expect(results.filter((r) => r.allowed)).toHaveLength(10)
      // Each admitted request saw a different number of tokens left.
      expect(results.filter((r) => r.allowed).map((r) => r.remaining).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    })

    it('concurrency: parallel takes on several buckets do not interfere', async () => {
      const { limiter, key, t0 } = await setup()
      const limit = { rateLimit: 1, burstLimit: 3 }
      const keys = [0, 1, 2, 3, 4].map((i) => `${key}:${i}`)
      const results = await Promise.all(
        Array.from({ length: parallel }, (_, i) => limiter.take(keys[i % keys.length]!, limit, t0).then((r) => ({ k: i % keys.length, r }))),
      )
      for (let k = 0; k < keys.length; k++) {
        const mine = results.filter((x) => x.k === k)
        expect(mine.filter((x) => x.r.allowed)).toHaveLength(Math.min(3, mine.length))
      }
    })

    it('concurrency: parallel takes spread over time stay within burst + rate × elapsed', async () => {
      const { limiter, key, t0 } = await setup()
      const limit = { rateLimit: 100, burstLimit: 5 }
      // Requests at t0 .. t0+99 ms, fired together and so arriving in any order.
      const results = await Promise.all(Array.from({ length: parallel * 2 }, (_, i) => limiter.take(key, limit, t0 + (i % 100))))
      const admitted = results.filter((r) => r.allowed).length
      // A backend may process later timestamps first; even then the bucket never holds more than
      // burst tokens, and 99 ms at 100/s refill 9.9 more.
      expect(admitted).toBeGreaterThanOrEqual(5)
      expect(admitted).toBeLessThanOrEqual(5 + 10)
    })
  })
}
