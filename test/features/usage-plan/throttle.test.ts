/**
 * Throttling end to end with the fake clock: token-bucket arithmetic (bursts, refill,
 * fractional rates, rate 0), the levels (usage plan, per-method plan overrides, route, stage
 * default, account) and their order. Refused requests never reach the integration.
 */
import { describe, expect, it } from 'vitest'
import { KEY, OTHER, defaultRoutes, lambda, setup, times } from './setup.ts'

const plan = (extra: Record<string, unknown> = {}) => ({
  name: 'basic',
  id: 'basic',
  apiStages: [{ api: 'rest', stage: 'prod' }],
  apiKeys: ['partner', 'second'],
  ...extra,
})

async function expectThrottled(res: Response) {
  expect(res.status).toBe(429)
  expect(res.headers.get('x-amzn-ErrorType')).toBe('TooManyRequestsException')
  expect(await res.text()).toBe('{"message":"Too Many Requests"}')
}

describe('token bucket arithmetic (route throttle)', () => {
  const routes = (throttle: unknown) => [{ method: 'GET', path: '/r', integration: lambda, throttle }]

  it('a burst of burstLimit passes, the next request gets 429 and never reaches the integration', async () => {
    const { call, statuses, events } = setup({ routes: routes({ rateLimit: 1, burstLimit: 3 }) })
    expect(await statuses(3, '/prod/r')).toEqual([200, 200, 200])
    const res = await call('/prod/r')
    await expectThrottled(res)
    expect(res.headers.get('Retry-After')).toBe('1')
    expect(events).toHaveLength(3)
  })

  it('refills rateLimit tokens per second, up to burstLimit', async () => {
    const { statuses, clock } = setup({ routes: routes({ rateLimit: 2, burstLimit: 2 }) })
    expect(await statuses(3, '/prod/r')).toEqual([200, 200, 429])
    clock.advance(499)
    expect(await statuses(1, '/prod/r')).toEqual([429])
    clock.advance(1)
    expect(await statuses(2, '/prod/r')).toEqual([200, 429])
    // An hour of quiet fills the bucket to 2, no more.
    clock.advance(3_600_000)
    expect(await statuses(3, '/prod/r')).toEqual([200, 200, 429])
  })

  it('a fractional rate: 0.5 per second lets one request through every 2 seconds', async () => {
    const { call, statuses, clock } = setup({ routes: routes({ rateLimit: 0.5, burstLimit: 1 }) })
    expect(await statuses(1, '/prod/r')).toEqual([200])
    const refused = await call('/prod/r')
    expect(refused.status).toBe(429)
    expect(refused.headers.get('Retry-After')).toBe('2')
    clock.advance(2000)
    expect(await statuses(2, '/prod/r')).toEqual([200, 429])
    clock.advance(4000)
    // Two seconds of tokens make one, four make two but the bucket holds one.
    expect(await statuses(2, '/prod/r')).toEqual([200, 429])
  })

  it('rate 0 with burst 0 blocks every request, for ever', async () => {
    const { call, clock, events } = setup({ routes: routes({ rateLimit: 0, burstLimit: 0 }) })
    for (let i = 0; i < 3; i++) {
      const res = await call('/prod/r')
      await expectThrottled(res)
      // Never: Retry-After says a day rather than infinity.
      expect(res.headers.get('Retry-After')).toBe('86400')
      clock.advance(86_400_000)
    }
    expect(events).toHaveLength(0)
  })

  it('rate 0 with a burst admits the burst once, then nothing', async () => {
    const { statuses, clock } = setup({ routes: routes({ rateLimit: 0, burstLimit: 2 }) })
    expect(await statuses(3, '/prod/r')).toEqual([200, 200, 429])
    clock.advance(86_400_000)
    expect(await statuses(1, '/prod/r')).toEqual([429])
  })

  it('a sustained client at the rate is never refused after its burst', async () => {
    const { statuses, clock } = setup({ routes: routes({ rateLimit: 4, burstLimit: 1 }) })
    for (let i = 0; i < 20; i++) {
      expect(await statuses(1, '/prod/r')).toEqual([200])
      clock.advance(250)
    }
  })
})

describe('route and stage levels', () => {
  it('a stage throttle is a default of each route, with a bucket per route', async () => {
    const { statuses } = setup({ stages: [{ name: 'prod', throttle: { rateLimit: 1, burstLimit: 2 } }] })
    expect(await statuses(3, '/prod/public')).toEqual([200, 200, 429])
    // Another route of the stage has its own two.
    expect(await statuses(3, '/prod/private', KEY)).toEqual([200, 200, 429])
  })

  it("a route's throttle replaces the stage default", async () => {
    const routes = [
      { method: 'GET', path: '/fast', integration: lambda, throttle: { rateLimit: 1, burstLimit: 4 } },
      { method: 'GET', path: '/slow', integration: lambda },
    ]
    const { statuses } = setup({ routes, stages: [{ name: 'prod', throttle: { rateLimit: 1, burstLimit: 1 } }] })
    expect(await statuses(5, '/prod/fast')).toEqual([200, 200, 200, 200, 429])
    expect(await statuses(2, '/prod/slow')).toEqual([200, 429])
  })

  it('each stage has its own buckets', async () => {
    const routes = [{ method: 'GET', path: '/r', integration: lambda, throttle: { rateLimit: 1, burstLimit: 1 } }]
    const { statuses } = setup({ routes })
    expect(await statuses(2, '/prod/r')).toEqual([200, 429])
    expect(await statuses(2, '/dev/r')).toEqual([200, 429])
  })

  it('the account throttle is shared by every route of every API, REST and HTTP', async () => {
    const httpApi = { name: 'http', type: 'HTTP', basePath: '/h', routes: [{ method: 'GET', path: '/x', integration: lambda }] }
    const { call, statuses, events } = setup({ settings: { throttle: { rateLimit: 1, burstLimit: 3 } }, apis: [httpApi] })
    expect(await statuses(1, '/prod/public')).toEqual([200])
    expect(await statuses(1, '/prod/private', KEY)).toEqual([200])
    expect(await statuses(1, '/h/x')).toEqual([200])
    await expectThrottled(await call('/dev/public'))
    const http = await call('/h/x')
    expect(http.status).toBe(429)
    expect(await http.text()).toBe('{"message":"Too Many Requests"}')
    expect(events).toHaveLength(3)
  })
})

describe('usage plan levels', () => {
  it("a plan's throttle is per API key", async () => {
    const { statuses } = setup({ usagePlans: [plan({ throttle: { rateLimit: 1, burstLimit: 2 } })] })
    expect(await statuses(3, '/prod/private', KEY)).toEqual([200, 200, 429])
    expect(await statuses(3, '/prod/private', OTHER)).toEqual([200, 200, 429])
  })

  it("a plan's throttle is aggregated across the plan's stages and methods", async () => {
    const { statuses } = setup({
      usagePlans: [plan({ throttle: { rateLimit: 1, burstLimit: 3 }, apiStages: [{ api: 'rest', stage: 'prod' }, { api: 'rest', stage: 'dev' }] })],
    })
    expect(await statuses(1, '/prod/private', KEY)).toEqual([200])
    expect(await statuses(1, '/dev/private', KEY)).toEqual([200])
    expect((await statuses(1, '/prod/private', KEY))).toEqual([200])
    expect(await statuses(1, '/dev/private', KEY)).toEqual([429])
  })

  it('a per-method throttle of the plan replaces the plan throttle for that method (AWS "/path/METHOD" keys)', async () => {
    const { call, statuses } = setup({
      usagePlans: [
        plan({
          throttle: { rateLimit: 1, burstLimit: 1 },
          apiStages: [{ api: 'rest', stage: 'prod', throttle: { '/private/GET': { rateLimit: 1, burstLimit: 3 } } }],
        }),
      ],
    })
    expect(await statuses(4, '/prod/private', KEY)).toEqual([200, 200, 200, 429])
    // POST has no override: the plan's burst of 1, untouched by the GETs.
    expect((await call('/prod/private', KEY, { method: 'POST' })).status).toBe(200)
    expect((await call('/prod/private', KEY, { method: 'POST' })).status).toBe(429)
  })

  it('plan limits apply only to methods that require an API key', async () => {
    const { statuses } = setup({ usagePlans: [plan({ throttle: { rateLimit: 0, burstLimit: 0 } })] })
    expect(await statuses(1, '/prod/private', KEY)).toEqual([429])
    // The same key on a public method: no plan limit, and nothing taken from the plan.
    expect(await statuses(5, '/prod/public', KEY)).toEqual(times(5, 200))
  })

  it('a plan without a throttle leaves the other levels', async () => {
    const { statuses } = setup({ usagePlans: [plan()], settings: { throttle: { rateLimit: 1, burstLimit: 2 } } })
    expect(await statuses(3, '/prod/private', KEY)).toEqual([200, 200, 429])
  })
})

describe('level order: the first empty bucket refuses, later ones are not touched', () => {
  it('a plan limit refuses before the account limit, and does not drain the account', async () => {
    const { statuses } = setup({
      usagePlans: [plan({ throttle: { rateLimit: 1, burstLimit: 1 }, apiKeys: ['partner'] }), { name: 'other', apiStages: [{ api: 'rest', stage: 'prod' }], apiKeys: ['second'] }],
      settings: { throttle: { rateLimit: 1, burstLimit: 3 } },
    })
    // One through, then refused by the plan: 9 requests that never reach the account bucket.
    expect(await statuses(10, '/prod/private', KEY)).toEqual([200, ...times(9, 429)])
    // So two account tokens are left for everyone else.
    expect(await statuses(3, '/prod/private', OTHER)).toEqual([200, 200, 429])
  })

  it('a route limit refuses before the account limit', async () => {
    const routes = [
      { method: 'GET', path: '/hot', integration: lambda, throttle: { rateLimit: 1, burstLimit: 1 } },
      { method: 'GET', path: '/cold', integration: lambda },
    ]
    const { statuses } = setup({ routes, settings: { throttle: { rateLimit: 1, burstLimit: 3 } } })
    expect(await statuses(6, '/prod/hot')).toEqual([200, ...times(5, 429)])
    expect(await statuses(3, '/prod/cold')).toEqual([200, 200, 429])
  })

  it('the plan level comes before the route level: a plan-refused request takes no route token', async () => {
    const routes = [{ ...defaultRoutes[0], throttle: { rateLimit: 1, burstLimit: 2 } }]
    const { statuses } = setup({
      routes,
      usagePlans: [plan({ throttle: { rateLimit: 1, burstLimit: 1 }, apiKeys: ['partner'] }), { name: 'other', apiStages: [{ api: 'rest', stage: 'prod' }], apiKeys: ['second'] }],
    })
    expect(await statuses(5, '/prod/private', KEY)).toEqual([200, 429, 429, 429, 429])
    expect(await statuses(2, '/prod/private', OTHER)).toEqual([200, 429])
  })

  it('the account limit still refuses a key whose plan has room', async () => {
    const { call, statuses } = setup({
      usagePlans: [plan({ throttle: { rateLimit: 100, burstLimit: 100 } })],
      settings: { throttle: { rateLimit: 1, burstLimit: 2 } },
    })
    expect(await statuses(2, '/prod/private', KEY)).toEqual([200, 200])
    const res = await call('/prod/private', KEY)
    await expectThrottled(res)
    // The refusing level is the account's: X-RateLimit-* describe it.
    expect(res.headers.get('X-RateLimit-Limit')).toBe('2')
  })
})
