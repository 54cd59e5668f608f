/**
 * Quotas end to end with the fake clock: limits per UTC day, week (from Sunday) and month
 * (28, 29, 30, 31 days), the offset of the first period, Retry-After to the end of the period,
 * and which requests count (only those that passed every throttle, on methods with an API key).
 */
import { describe, expect, it } from 'vitest'
import { KEY, OTHER, lambda, setup, times } from './setup.ts'
import { quotaCounterKey } from '../../../src/features/usage-plan/index.ts'

const plan = (quota: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  name: 'basic',
  id: 'basic',
  quota,
  apiStages: [{ api: 'rest', stage: 'prod' }],
  apiKeys: ['partner', 'second'],
  ...extra,
})
const at = (iso: string) => Date.parse(iso)

async function expectOverQuota(res: Response) {
  expect(res.status).toBe(429)
  expect(res.headers.get('x-amzn-ErrorType')).toBe('LimitExceededException')
  expect(await res.text()).toBe('{"message":"Limit Exceeded"}')
}

describe('quota limits and periods', () => {
  it('DAY: the limit passes, then 429 Limit Exceeded until UTC midnight; refused requests never reach the integration', async () => {
    const g = setup({ usagePlans: [plan({ limit: 3, period: 'DAY' })] })
    g.clock.set(at('2026-03-10T12:00:00Z'))
    expect(await g.statuses(3, '/prod/private', KEY)).toEqual([200, 200, 200])
    const over = await g.call('/prod/private', KEY)
    await expectOverQuota(over)
    expect(over.headers.get('Retry-After')).toBe(String(12 * 3600))
    g.clock.set(at('2026-03-10T23:59:59.999Z'))
    const last = await g.call('/prod/private', KEY)
    await expectOverQuota(last)
    expect(last.headers.get('Retry-After')).toBe('1')
    g.clock.set(at('2026-03-11T00:00:00Z'))
    expect(await g.statuses(4, '/prod/private', KEY)).toEqual([200, 200, 200, 429])
    expect(g.events).toHaveLength(6)
  })

  it('per API key: another key of the plan has its own count', async () => {
    const g = setup({ usagePlans: [plan({ limit: 1, period: 'DAY' })] })
    expect(await g.statuses(2, '/prod/private', KEY)).toEqual([200, 429])
    expect(await g.statuses(2, '/prod/private', OTHER)).toEqual([200, 429])
  })

  it('WEEK: weeks start on Sunday 00:00 UTC', async () => {
    const g = setup({ usagePlans: [plan({ limit: 2, period: 'WEEK' })] })
    // Wednesday 14 January 2026; the week ends on Sunday the 18th.
    g.clock.set(at('2026-01-14T00:00:00Z'))
    expect(await g.statuses(2, '/prod/private', KEY)).toEqual([200, 200])
    const over = await g.call('/prod/private', KEY)
    await expectOverQuota(over)
    expect(over.headers.get('Retry-After')).toBe(String(4 * 86400))
    g.clock.set(at('2026-01-17T23:59:59.999Z'))
    expect(await g.statuses(1, '/prod/private', KEY)).toEqual([429])
    g.clock.set(at('2026-01-18T00:00:00Z'))
    expect(await g.statuses(3, '/prod/private', KEY)).toEqual([200, 200, 429])
  })

  it('MONTH: from the 1st; February has 28 days, 29 in a leap year', async () => {
    const months: [string, string, string][] = [
      ['2027-01-31T12:00:00Z', '2027-01-31T23:59:59.999Z', '2027-02-01T00:00:00Z'],
      ['2027-02-01T00:00:00Z', '2027-02-28T23:59:59.999Z', '2027-03-01T00:00:00Z'],
      ['2027-04-15T00:00:00Z', '2027-04-30T23:59:59.999Z', '2027-05-01T00:00:00Z'],
      ['2028-02-01T00:00:00Z', '2028-02-29T23:59:59.999Z', '2028-03-01T00:00:00Z'],
    ]
    for (const [first, last, next] of months) {
      const g = setup({ usagePlans: [plan({ limit: 1, period: 'MONTH' })] })
      g.clock.set(at(first))
      expect(await g.statuses(1, '/prod/private', KEY), first).toEqual([200])
      const over = await g.call('/prod/private', KEY)
      await expectOverQuota(over)
      expect(over.headers.get('Retry-After'), first).toBe(String(Math.ceil((at(next) - at(first)) / 1000)))
      g.clock.set(at(last))
      expect(await g.statuses(1, '/prod/private', KEY), last).toEqual([429])
      g.clock.set(at(next))
      expect(await g.statuses(1, '/prod/private', KEY), next).toEqual([200])
    }
  })

  it('offset: subtracted from the limit in the first period only', async () => {
    const g = setup({ usagePlans: [plan({ limit: 5, period: 'DAY', offset: 3 })] })
    g.clock.set(at('2026-06-01T08:00:00Z'))
    expect(await g.statuses(3, '/prod/private', KEY)).toEqual([200, 200, 429])
    g.clock.set(at('2026-06-02T08:00:00Z'))
    expect(await g.statuses(6, '/prod/private', KEY)).toEqual([...times(5, 200), 429])
  })

  it('a limit of 0 refuses every request of the plan', async () => {
    const g = setup({ usagePlans: [plan({ limit: 0, period: 'MONTH' })] })
    await expectOverQuota(await g.call('/prod/private', KEY))
    expect(g.events).toHaveLength(0)
  })
})

describe('which requests count', () => {
  const day = '2026-01-15'
  const used = (g: ReturnType<typeof setup>, keyId = 'partner01') =>
    g.gateway.deps.stores.quotaCounter.usageByDay(quotaCounterKey('basic', keyId), day, day).then((u) => u[day])

  it('requests refused by the plan throttle do not consume quota', async () => {
    const g = setup({ usagePlans: [plan({ limit: 5, period: 'DAY' }, { throttle: { rateLimit: 1, burstLimit: 2 } })] })
    expect(await g.statuses(10, '/prod/private', KEY)).toEqual([200, 200, ...times(8, 429)])
    expect(await used(g)).toBe(2)
    g.clock.advance(10_000)
    // Had the 8 refusals counted, the quota of 5 would be gone.
    expect(await g.statuses(3, '/prod/private', KEY)).toEqual([200, 200, 429])
    g.clock.advance(10_000)
    expect(await g.statuses(2, '/prod/private', KEY)).toEqual([200, 429])
    const over = await g.call('/prod/private', KEY)
    // 1 s later the bucket has a token again, the quota has none.
    g.clock.advance(1000)
    await expectOverQuota(await g.call('/prod/private', KEY))
    expect(over.status).toBe(429)
    expect(await used(g)).toBe(5)
  })

  it('requests refused by the route or account throttle do not consume quota', async () => {
    const routes = [{ method: 'GET', path: '/private', integration: lambda, apiKeyRequired: true, throttle: { rateLimit: 1, burstLimit: 1 } }]
    const g = setup({ routes, usagePlans: [plan({ limit: 100, period: 'DAY' })], settings: { throttle: { rateLimit: 1, burstLimit: 3 } } })
    expect(await g.statuses(4, '/prod/private', KEY)).toEqual([200, 429, 429, 429])
    expect(await used(g)).toBe(1)
  })

  it('requests refused by the API key check (403) do not count', async () => {
    const g = setup({ usagePlans: [plan({ limit: 100, period: 'DAY' })] })
    expect(await g.statuses(3, '/prod/private', 'not-a-key-of-this-gateway-0')).toEqual([403, 403, 403])
    expect(await g.statuses(1, '/prod/private', KEY)).toEqual([200])
    expect(await used(g)).toBe(1)
  })

  it('requests to methods without apiKeyRequired do not count, even with a key', async () => {
    const g = setup({ usagePlans: [plan({ limit: 1, period: 'DAY' })] })
    expect(await g.statuses(5, '/prod/public', KEY)).toEqual(times(5, 200))
    expect(await g.statuses(2, '/prod/private', KEY)).toEqual([200, 429])
    expect(await used(g)).toBe(1)
  })

  it('a request that passed is counted even when the integration then fails', async () => {
    const g = setup({ usagePlans: [plan({ limit: 100, period: 'DAY' })], answer: () => ({ __error: { errorType: 'Error', errorMessage: 'boom' } }) })
    const res = await g.call('/prod/private', KEY)
    expect(res.status).toBe(502)
    expect(g.events).toHaveLength(1)
    expect(await used(g)).toBe(1)
  })
})
