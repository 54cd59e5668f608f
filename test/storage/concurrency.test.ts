/**
 * Accuracy under concurrency: three gateway processes share one real Redis (127.0.0.1:6379)
 * and are hammered in parallel for about 3 s by a bounded pool of request loops.
 *
 * - Throttle (a route at 20 rps, burst 20, one bucket shared by every process): admitted
 *   requests stay within burst + rate × elapsed, elapsed measured by the test from the first
 *   request sent to the last answer received (every gateway's `now` falls inside it, all
 *   processes read the same machine clock). Tolerance: +1 request, for the millionth-of-a-token
 *   rounding of refills. And at least 80% of that bound is admitted: the limiter really lets
 *   the configured rate through rather than refusing everything.
 * - Quota (100 per month for one API key): exactly 100 requests pass across the processes,
 *   never more (tolerance 0), every other one gets 429 Limit Exceeded, and Redis counted 100.
 * The limits are low so that the load saturates them even on a busy machine (the test checks
 * it did): what is under test is that three processes racing for one bucket or one counter
 * never admit more than one process alone would.
 *
 * The store policy is `closed` with a generous timeout, so a slow store can only refuse
 * requests, never let one through unchecked; the test also checks no process logged a store
 * failure, so the numbers are the limiter's own.
 */
import type { ChildProcess } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { deleteRedisPrefix, startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.ts'
import { openStores } from '../../src/storage/open.ts'
import { hashApiKey } from '../../src/features/api-key/index.ts'
import { quotaCounterKey } from '../../src/features/usage-plan/index.ts'
import { systemClock } from '../../src/core/deps.ts'
import { utcDay } from '../../src/storage/periods.ts'

const PREFIX = `portico-test:concurrency:${crypto.randomUUID()}:`
const STORE = `redis://127.0.0.1:6379?prefix=${encodeURIComponent(PREFIX)}`
const children = new Set<ChildProcess>()

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL')
  await deleteRedisPrefix(PREFIX)
})

const startGateway = (config: unknown): Promise<GatewayProcess> => startGatewayProcess(STORE, config, children)

const VALUE = 'concurrent-key-value-0123456789abcdef'
// Low enough that the load saturates them even on a busy two-core machine.
const RATE = 20
const BURST = 20
const QUOTA = 100
const config = {
  settings: {
    // The account level stays out of the way; the route and the plan are under test.
    throttle: { rateLimit: 1_000_000, burstLimit: 1_000_000 },
    storePolicy: { timeoutMs: 2000, throttle: 'closed', quota: 'closed' },
  },
  apis: [
    {
      name: 'rest',
      type: 'REST',
      stages: [{ name: 'prod' }],
      routes: [
        { method: 'GET', path: '/limited', throttle: { rateLimit: RATE, burstLimit: BURST }, integration: { type: 'mock', body: 'ok' } },
        { method: 'GET', path: '/metered', apiKeyRequired: true, integration: { type: 'mock', body: 'ok' } },
      ],
    },
  ],
  apiKeys: [{ name: 'hammer', id: 'hammer01', value: VALUE }],
  usagePlans: [{ name: 'metered', id: 'metered', quota: { limit: QUOTA, period: 'MONTH' }, apiStages: [{ api: 'rest', stage: 'prod' }], apiKeys: ['hammer'] }],
}

describe('concurrency: three gateway processes on one Redis', () => {
  it('throttle within burst + rate × elapsed, quota never exceeded', { timeout: 60_000 }, async () => {
    // Started together: each start writes the config plan and key, idempotently.
    const gateways = await Promise.all([startGateway(config), startGateway(config), startGateway(config)])

    const tally = { limited: { ok: 0, throttled: 0, other: 0 }, metered: { ok: 0, over: 0, other: 0 } }
    const DURATION_MS = 3000
    const LOOPS_PER_GATEWAY = 8
    const firstSent = Date.now()
    const deadline = firstSent + DURATION_MS
    // Each loop sends one request at a time until the deadline: bounded concurrency.
    const loop = async (url: string, path: '/limited' | '/metered') => {
      while (Date.now() < deadline) {
        const res = await fetch(`${url}/prod${path}`, { headers: path === '/metered' ? { 'x-api-key': VALUE } : {} })
        const body = await res.text()
        if (path === '/limited') {
          if (res.status === 200) tally.limited.ok++
          else if (res.status === 429 && body === '{"message":"Too Many Requests"}') tally.limited.throttled++
          else tally.limited.other++
        } else {
          if (res.status === 200) tally.metered.ok++
          else if (res.status === 429 && body === '{"message":"Limit Exceeded"}') tally.metered.over++
          else tally.metered.other++
        }
      }
    }
    await Promise.all(
      gateways.flatMap((g) => Array.from({ length: LOOPS_PER_GATEWAY }, (_, i) => loop(g.url, i % 2 ? '/metered' : '/limited'))),
    )
    const elapsedMs = Date.now() - firstSent
    const bound = BURST + RATE * (elapsedMs / 1000)
    const total = tally.limited.ok + tally.limited.throttled + tally.metered.ok + tally.metered.over
    console.log(
      `concurrency: ${total} requests in ${elapsedMs} ms over 3 processes (${Math.round(total / (elapsedMs / 1000))}/s); ` +
        `throttle admitted ${tally.limited.ok} of ${tally.limited.ok + tally.limited.throttled}, bound ${bound.toFixed(1)}; ` +
        `quota admitted ${tally.metered.ok} of ${tally.metered.ok + tally.metered.over}`,
    )

    expect(tally.limited.other).toBe(0)
    expect(tally.metered.other).toBe(0)
    // The load was real: well beyond what either limit lets through.
    expect(tally.limited.ok + tally.limited.throttled).toBeGreaterThan(1.5 * bound)
    expect(tally.metered.ok + tally.metered.over).toBeGreaterThan(1.5 * QUOTA)

    expect(tally.limited.ok).toBeLessThanOrEqual(Math.floor(bound) + 1)
    expect(tally.limited.ok).toBeGreaterThanOrEqual(0.8 * bound)
    expect(tally.metered.ok).toBe(QUOTA)

    // No request was decided by the store policy: every answer is the limiter's.
    for (const g of gateways) expect(g.stderr()).not.toMatch(/store unavailable/)

    const opened = await openStores(STORE, { clock: systemClock, env: {} })
    const today = utcDay(Date.now())
    const usage = await opened.stores.quotaCounter!.usageByDay(quotaCounterKey('metered', 'hammer01'), today, today)
    expect(usage[today]).toBe(QUOTA)
    expect((await opened.stores.keyStore!.findByHash(await hashApiKey(VALUE)))?.id).toBe('hammer01')
    await opened.close()
  })
})
