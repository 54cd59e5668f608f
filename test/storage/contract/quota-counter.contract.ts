/**
 * The QuotaCounter contract: every backend runs these cases. Periods are UTC calendar periods
 * (a day from midnight, a week from Sunday, a month from the 1st; src/storage/periods.ts), and
 * AWS's `offset` is subtracted from the limit in the first period a key is counted in.
 *
 * Portable (no node:* imports): it also runs inside workerd.
 *
 * make() is called once per test and should return an empty counter; every case also uses a
 * random counter name. The dates are in the future (2027, 2028), so a backend that sets
 * absolute expiries from `now` keeps the counts while the case runs.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { QuotaCounter } from '../../../src/storage/ports.ts'

export interface QuotaCounterSubject {
  counter: QuotaCounter
  close?(): Promise<void>
}

export interface QuotaCounterContractOptions {
  /** How many parallel consumes the concurrency case fires (default 50). */
  parallel?: number
}

const at = (iso: string) => Date.parse(iso)
const DAY = 86_400_000

export function quotaCounterContract(name: string, make: () => Promise<QuotaCounterSubject>, opts: QuotaCounterContractOptions = {}) {
  const parallel = opts.parallel ?? 50

  describe(`QuotaCounter contract: ${name}`, () => {
    let open: QuotaCounterSubject[] = []
    afterEach(async () => {
      const closing = open
      open = []
      for (const s of closing) await s.close?.()
    })
    async function setup() {
      const subject = await make()
      open.push(subject)
      return { counter: subject.counter, key: `contract:${crypto.randomUUID()}` }
    }

    it('counts up to the limit, then refuses without counting', async () => {
      const { counter, key } = await setup()
      const quota = { limit: 3, period: 'DAY' as const, offset: 0 }
      const now = at('2027-03-10T15:00:00Z')
      const results = []
      for (let i = 0; i < 5; i++) results.push(await counter.consume(key, quota, now + i))
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, false, false])
      expect(results.map((r) => r.used)).toEqual([1, 2, 3, 3, 3])
      expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0, 0])
      expect(results.every((r) => r.limit === 3)).toBe(true)
      expect(results.every((r) => r.resetAt === at('2027-03-11T00:00:00Z'))).toBe(true)
      // Refused requests are not in the daily usage.
      expect(await counter.usageByDay(key, '2027-03-10', '2027-03-10')).toEqual({ '2027-03-10': 3 })
    })

    it('a limit of 0 refuses every request', async () => {
      const { counter, key } = await setup()
      const r = await counter.consume(key, { limit: 0, period: 'MONTH', offset: 0 }, at('2027-03-10T00:00:00Z'))
      expect(r).toMatchObject({ allowed: false, used: 0, remaining: 0, limit: 0 })
    })

    it('DAY: a new count from UTC midnight, to the millisecond', async () => {
      const { counter, key } = await setup()
      const quota = { limit: 1, period: 'DAY' as const, offset: 0 }
      expect((await counter.consume(key, quota, at('2027-03-10T00:00:00.000Z'))).allowed).toBe(true)
      expect((await counter.consume(key, quota, at('2027-03-10T23:59:59.999Z'))).allowed).toBe(false)
      const next = await counter.consume(key, quota, at('2027-03-11T00:00:00.000Z'))
      expect(next).toMatchObject({ allowed: true, used: 1, remaining: 0, resetAt: at('2027-03-12T00:00:00Z') })
    })

    it('WEEK: weeks start on Sunday 00:00 UTC', async () => {
      const { counter, key } = await setup()
      const quota = { limit: 2, period: 'WEEK' as const, offset: 0 }
      // 2027-03-10 is a Wednesday; its week runs from Sunday 7 March to Sunday 14 March.
      const wed = await counter.consume(key, quota, at('2027-03-10T12:00:00Z'))
      expect(wed.resetAt).toBe(at('2027-03-14T00:00:00Z'))
      expect((await counter.consume(key, quota, at('2027-03-07T00:00:00Z'))).allowed).toBe(true)
      expect((await counter.consume(key, quota, at('2027-03-13T23:59:59.999Z'))).allowed).toBe(false)
      const sunday = await counter.consume(key, quota, at('2027-03-14T00:00:00Z'))
      expect(sunday).toMatchObject({ allowed: true, used: 1, resetAt: at('2027-03-21T00:00:00Z') })
    })

    it('WEEK: a week across a month and a year boundary', async () => {
      const { counter, key } = await setup()
      const quota = { limit: 1, period: 'WEEK' as const, offset: 0 }
      // Friday 31 December 2027; its week began on Sunday 26 December.
      const r = await counter.consume(key, quota, at('2027-12-31T10:00:00Z'))
      expect(r.resetAt).toBe(at('2028-01-02T00:00:00Z'))
      expect((await counter.consume(key, quota, at('2028-01-01T10:00:00Z'))).allowed).toBe(false)
      expect((await counter.consume(key, quota, at('2028-01-02T00:00:00Z'))).allowed).toBe(true)
    })

    it('MONTH: from the 1st, whatever the month length (31, 30, 28 and leap-year 29 days)', async () => {
      const { counter, key } = await setup()
      const quota = { limit: 1, period: 'MONTH' as const, offset: 0 }
      const cases: [string, string, string][] = [
        // [first ms of the month, last ms of it, first of the next]
        ['2027-01-01T00:00:00.000Z', '2027-01-31T23:59:59.999Z', '2027-02-01T00:00:00.000Z'],
        ['2027-02-01T00:00:00.000Z', '2027-02-28T23:59:59.999Z', '2027-03-01T00:00:00.000Z'],
        ['2027-04-01T00:00:00.000Z', '2027-04-30T23:59:59.999Z', '2027-05-01T00:00:00.000Z'],
        ['2027-12-01T00:00:00.000Z', '2027-12-31T23:59:59.999Z', '2028-01-01T00:00:00.000Z'],
        ['2028-02-01T00:00:00.000Z', '2028-02-29T23:59:59.999Z', '2028-03-01T00:00:00.000Z'],
      ]
      for (const [first, last, next] of cases) {
        const r = await counter.consume(key, quota, at(first))
        expect(r, first).toMatchObject({ allowed: true, used: 1, resetAt: at(next) })
        expect((await counter.consume(key, quota, at(last))).allowed, last).toBe(false)
      }
      // 29 February 2028 belongs to February; 1 March starts March.
      const other = key + ':leap'
      expect((await counter.consume(other, quota, at('2028-02-29T12:00:00Z'))).resetAt).toBe(at('2028-03-01T00:00:00Z'))
      expect((await counter.consume(other, quota, at('2028-03-01T00:00:00Z'))).allowed).toBe(true)
    })

    it('offset: subtracted from the limit in the first period only', async () => {
      const { counter, key } = await setup()
      const quota = { limit: 5, period: 'DAY' as const, offset: 2 }
      const day1 = at('2027-05-20T09:00:00Z')
      const first = []
      for (let i = 0; i < 4; i++) first.push(await counter.consume(key, quota, day1))
      expect(first.map((r) => r.allowed)).toEqual([true, true, true, false])
      expect(first[0]).toMatchObject({ limit: 3, remaining: 2 })
      const day2 = day1 + DAY
      const second = []
      for (let i = 0; i < 6; i++) second.push(await counter.consume(key, quota, day2))
      expect(second.map((r) => r.allowed)).toEqual([true, true, true, true, true, false])
      expect(second[0]).toMatchObject({ limit: 5, remaining: 4 })
    })

    it('offset: the first period is the one the key was first counted in, not the calendar start', async () => {
      const { counter, key } = await setup()
      const quota = { limit: 10, period: 'MONTH' as const, offset: 10 }
      // First seen late in June: June allows 0; July the whole limit.
      expect((await counter.consume(key, quota, at('2027-06-28T00:00:00Z'))).allowed).toBe(false)
      const july = await counter.consume(key, quota, at('2027-07-01T00:00:00Z'))
      expect(july).toMatchObject({ allowed: true, limit: 10, used: 1 })
    })

    it('an offset above the limit leaves 0 in the first period, never a negative', async () => {
      const { counter, key } = await setup()
      const r = await counter.consume(key, { limit: 3, period: 'DAY', offset: 7 }, at('2027-05-20T09:00:00Z'))
      expect(r).toMatchObject({ allowed: false, used: 0, remaining: 0, limit: 0 })
    })

    it('a limit raised in the middle of a period keeps the count', async () => {
      const { counter, key } = await setup()
      const now = at('2027-05-20T09:00:00Z')
      const small = { limit: 2, period: 'DAY' as const, offset: 0 }
      await counter.consume(key, small, now)
      await counter.consume(key, small, now)
      expect((await counter.consume(key, small, now)).allowed).toBe(false)
      const bigger = await counter.consume(key, { ...small, limit: 3 }, now)
      expect(bigger).toMatchObject({ allowed: true, used: 3, remaining: 0, limit: 3 })
    })

    it('counters are independent per key', async () => {
      const { counter, key } = await setup()
      const quota = { limit: 1, period: 'DAY' as const, offset: 0 }
      const now = at('2027-05-20T09:00:00Z')
      expect((await counter.consume(key + ':a', quota, now)).allowed).toBe(true)
      expect((await counter.consume(key + ':a', quota, now)).allowed).toBe(false)
      expect((await counter.consume(key + ':b', quota, now)).allowed).toBe(true)
    })

    it('usageByDay: per UTC day, every day of the range (0 when none), inclusive', async () => {
      const { counter, key } = await setup()
      const quota = { limit: 100, period: 'MONTH' as const, offset: 0 }
      await counter.consume(key, quota, at('2027-08-01T00:00:00Z'))
      await counter.consume(key, quota, at('2027-08-01T23:59:59.999Z'))
      await counter.consume(key, quota, at('2027-08-03T12:00:00Z'))
      expect(await counter.usageByDay(key, '2027-07-31', '2027-08-04')).toEqual({
        '2027-07-31': 0,
        '2027-08-01': 2,
        '2027-08-02': 0,
        '2027-08-03': 1,
        '2027-08-04': 0,
      })
      expect(await counter.usageByDay(key + ':other', '2027-08-01', '2027-08-01')).toEqual({ '2027-08-01': 0 })
    })

    it('reset: the current period starts from zero again; other periods keep their counts', async () => {
      const { counter, key } = await setup()
      const quota = { limit: 2, period: 'DAY' as const, offset: 0 }
      const day1 = at('2027-09-01T10:00:00Z')
      await counter.consume(key, quota, day1)
      await counter.consume(key, quota, day1)
      expect((await counter.consume(key, quota, day1)).allowed).toBe(false)
      await counter.reset(key, quota, day1 + 1000)
      const again = await counter.consume(key, quota, day1 + 2000)
      expect(again).toMatchObject({ allowed: true, used: 1, remaining: 1 })
      // Resetting a key never counted does nothing and does not fail.
      await counter.reset(key + ':never', quota, day1)
      expect((await counter.consume(key + ':never', quota, day1)).used).toBe(1)
    })

    it('periodUsed: the count the quota is enforced against, reset included; 0 for another period', async () => {
      const { counter, key } = await setup()
      const quota = { limit: 5, period: 'DAY' as const, offset: 0 }
      const day1 = at('2027-10-01T10:00:00Z')
      expect(await counter.periodUsed(key, quota, day1)).toBe(0)
      for (let i = 0; i < 3; i++) await counter.consume(key, quota, day1)
      expect(await counter.periodUsed(key, quota, day1 + 1)).toBe(3)
      await counter.reset(key, quota, day1 + 2)
      await counter.consume(key, quota, day1 + 3)
      expect(await counter.periodUsed(key, quota, day1 + 4)).toBe(1)
      // The per-day history keeps every request served.
      expect((await counter.usageByDay(key, '2027-10-01', '2027-10-01'))['2027-10-01']).toBe(4)
      expect(await counter.periodUsed(key, quota, at('2027-10-02T00:00:00Z'))).toBe(0)
    })

    it(`concurrency: ${parallel} parallel consumes never pass the limit`, async () => {
      const { counter, key } = await setup()
      const quota = { limit: 10, period: 'DAY' as const, offset: 0 }
      const now = at('2027-10-10T10:00:00Z')
      const results = await Promise.all(Array.from({ length: parallel }, () => counter.consume(key, quota, now)))
      const allowed = results.filter((r) => r.allowed)
      expect(allowed).toHaveLength(10)
      // Each admitted request got its own count, 1 to 10.
      expect(allowed.map((r) => r.used).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      expect(results.filter((r) => !r.allowed).every((r) => r.remaining === 0)).toBe(true)
      expect(await counter.usageByDay(key, '2027-10-10', '2027-10-10')).toEqual({ '2027-10-10': 10 })
      // And the next request, after they all settled, is refused too.
      expect((await counter.consume(key, quota, now)).allowed).toBe(false)
    })

    it('concurrency: with an offset, parallel first-period consumes stay within limit - offset', async () => {
      const { counter, key } = await setup()
      const quota = { limit: 10, period: 'WEEK' as const, offset: 4 }
      const now = at('2027-10-13T10:00:00Z')
      const results = await Promise.all(Array.from({ length: parallel }, () => counter.consume(key, quota, now)))
      expect(results.filter((r) => r.allowed)).toHaveLength(6)
    })
  })
}
