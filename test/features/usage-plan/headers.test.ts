/**
 * Rate-limit headers: RateLimit-Policy / RateLimit (draft-ietf-httpapi-ratelimit-headers-10)
 * and X-RateLimit-* on every response of a throttled route, Retry-After on every 429, the
 * setting that hides them, and headers on real sockets (light and streamed responses).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { KEY, lambda, setup } from './setup.ts'
import { ceilSeconds, rateLimitHeaders, retryAfterSeconds } from '../../../src/features/usage-plan/headers.ts'

const at = (iso: string) => Date.parse(iso)
const route = (throttle: unknown, extra: Record<string, unknown> = {}) => [{ method: 'GET', path: '/r', integration: lambda, throttle, ...extra }]
const RATE_HEADERS = ['RateLimit-Policy', 'RateLimit', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']

describe('on allowed responses', () => {
  it('route and account levels: every level in RateLimit*, the most constraining in X-RateLimit-*', async () => {
    const { call } = setup({ routes: route({ rateLimit: 1, burstLimit: 3 }) })
    const res = await call('/prod/r')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('ok')
    // Account default: 10,000/s, burst 5,000 (w = 5000 / 10000 s, rounded up to 1).
    expect(res.headers.get('RateLimit-Policy')).toBe('"route";q=3;w=3, "account";q=5000;w=1')
    expect(res.headers.get('RateLimit')).toBe('"route";r=2;t=1, "account";r=4999;t=1')
    expect(res.headers.get('X-RateLimit-Limit')).toBe('3')
    expect(res.headers.get('X-RateLimit-Remaining')).toBe('2')
    expect(res.headers.get('X-RateLimit-Reset')).toBe('1')
    expect(res.headers.get('Retry-After')).toBeNull()
    const second = await call('/prod/r')
    expect(second.headers.get('X-RateLimit-Remaining')).toBe('1')
    // Two tokens missing at 1/s: full again in 2 s.
    expect(second.headers.get('X-RateLimit-Reset')).toBe('2')
  })

  it('usage plan and quota', async () => {
    const { call, clock } = setup({
      usagePlans: [
        { name: 'basic', throttle: { rateLimit: 2, burstLimit: 10 }, quota: { limit: 1000, period: 'DAY' }, apiStages: [{ api: 'rest', stage: 'prod' }], apiKeys: ['partner'] },
      ],
    })
    clock.set(at('2026-03-10T12:00:00Z'))
    const res = await call('/prod/private', KEY)
    expect(res.status).toBe(200)
    expect(res.headers.get('RateLimit-Policy')).toBe('"plan";q=10;w=5, "account";q=5000;w=1, "quota";q=1000;w=86400')
    expect(res.headers.get('RateLimit')).toBe('"plan";r=9;t=1, "account";r=4999;t=1, "quota";r=999;t=43200')
    expect(res.headers.get('X-RateLimit-Limit')).toBe('10')
    expect(res.headers.get('X-RateLimit-Remaining')).toBe('9')
  })

  it('a bucket that never refills has no window', async () => {
    const { call } = setup({ routes: route({ rateLimit: 0, burstLimit: 2 }) })
    const res = await call('/prod/r')
    expect(res.headers.get('RateLimit-Policy')).toBe('"route";q=2, "account";q=5000;w=1')
    expect(res.headers.get('RateLimit')).toBe('"route";r=1;t=86400, "account";r=4999;t=1')
  })

  it('on HTTP APIs too', async () => {
    const httpApi = { name: 'http', type: 'HTTP', basePath: '/h', routes: [{ method: 'GET', path: '/x', integration: lambda, throttle: { rateLimit: 5, burstLimit: 5 } }] }
    const { call } = setup({ apis: [httpApi] })
    const res = await call('/h/x')
    expect(res.status).toBe(200)
    expect(res.headers.get('X-RateLimit-Limit')).toBe('5')
    expect(res.headers.get('X-RateLimit-Remaining')).toBe('4')
  })

  it('on errors from further down the route (a failed Lambda function)', async () => {
    const { call } = setup({ routes: route({ rateLimit: 1, burstLimit: 3 }), answer: () => ({ __error: { errorType: 'Error', errorMessage: 'boom' } }) })
    const res = await call('/prod/r')
    expect(res.status).toBe(502)
    expect(res.headers.get('X-RateLimit-Remaining')).toBe('2')
    expect(res.headers.get('RateLimit')).toBe('"route";r=2;t=1, "account";r=4999;t=1')
  })
})

describe('on 429', () => {
  it('THROTTLED: Retry-After, and the refusing level in X-RateLimit-*; later levels are not listed', async () => {
    const { call, statuses } = setup({ routes: route({ rateLimit: 1, burstLimit: 3 }) })
    await statuses(3, '/prod/r')
    const res = await call('/prod/r')
    expect(res.status).toBe(429)
    expect(res.headers.get('Retry-After')).toBe('1')
    expect(res.headers.get('X-RateLimit-Limit')).toBe('3')
    expect(res.headers.get('X-RateLimit-Remaining')).toBe('0')
    expect(res.headers.get('X-RateLimit-Reset')).toBe('3')
    expect(res.headers.get('RateLimit')).toBe('"route";r=0;t=3')
    expect(res.headers.get('RateLimit-Policy')).toBe('"route";q=3;w=3')
  })

  it('Retry-After is rounded up to whole seconds, at least 1', async () => {
    const fast = setup({ routes: route({ rateLimit: 3, burstLimit: 1 }) })
    await fast.call('/prod/r')
    // 334 ms to the next token.
    expect((await fast.call('/prod/r')).headers.get('Retry-After')).toBe('1')
    const slow = setup({ routes: route({ rateLimit: 0.4, burstLimit: 1 }) })
    await slow.call('/prod/r')
    // 2.5 s.
    expect((await slow.call('/prod/r')).headers.get('Retry-After')).toBe('3')
    slow.clock.advance(1000)
    expect((await slow.call('/prod/r')).headers.get('Retry-After')).toBe('2')
  })

  it('QUOTA_EXCEEDED: Retry-After to the end of the period; the quota shows r=0', async () => {
    const { call, clock } = setup({
      usagePlans: [{ name: 'basic', quota: { limit: 1, period: 'DAY' }, apiStages: [{ api: 'rest', stage: 'prod' }], apiKeys: ['partner'] }],
    })
    clock.set(at('2026-03-10T18:00:00.500Z'))
    await call('/prod/private', KEY)
    const res = await call('/prod/private', KEY)
    expect(res.status).toBe(429)
    expect(res.headers.get('Retry-After')).toBe(String(6 * 3600))
    expect(res.headers.get('RateLimit')).toBe('"account";r=4998;t=1, "quota";r=0;t=21600')
  })

  it('a gateway response override of THROTTLED keeps the headers', async () => {
    const { call } = setup({
      routes: route({ rateLimit: 0, burstLimit: 0 }),
      api: { gatewayResponses: { THROTTLED: { statusCode: 503, body: '{"error":"slow down"}', headers: { 'x-why': "'throttled'" } } } },
    })
    const res = await call('/prod/r')
    expect(res.status).toBe(503)
    expect(await res.text()).toBe('{"error":"slow down"}')
    expect(res.headers.get('x-why')).toBe('throttled')
    expect(res.headers.get('Retry-After')).toBe('86400')
    expect(res.headers.get('X-RateLimit-Remaining')).toBe('0')
  })
})

describe('settings.rateLimitHeaders: false', () => {
  it('hides RateLimit* and X-RateLimit-*, keeps Retry-After on both 429s', async () => {
    const { call, statuses } = setup({
      settings: { rateLimitHeaders: false },
      routes: [{ method: 'GET', path: '/private', integration: lambda, apiKeyRequired: true, throttle: { rateLimit: 1, burstLimit: 2 } }],
      usagePlans: [{ name: 'basic', quota: { limit: 1, period: 'DAY' }, apiStages: [{ api: 'rest', stage: 'prod' }], apiKeys: ['partner', 'second'] }],
    })
    const ok = await call('/prod/private', KEY)
    expect(ok.status).toBe(200)
    for (const h of RATE_HEADERS) expect(ok.headers.get(h), h).toBeNull()
    const quota = await call('/prod/private', KEY)
    expect(quota.status).toBe(429)
    expect(await quota.text()).toBe('{"message":"Limit Exceeded"}')
    expect(quota.headers.get('Retry-After')).not.toBeNull()
    for (const h of RATE_HEADERS) expect(quota.headers.get(h), h).toBeNull()
    await statuses(1, '/prod/private', 'second-key-value-0123456789')
    const throttled = await call('/prod/private', KEY)
    expect(await throttled.text()).toBe('{"message":"Too Many Requests"}')
    expect(throttled.headers.get('Retry-After')).toBe('1')
    for (const h of RATE_HEADERS) expect(throttled.headers.get(h), h).toBeNull()
  })
})

describe('helpers', () => {
  it('seconds: rounded up; infinity becomes a day; Retry-After at least 1', () => {
    expect(ceilSeconds(1)).toBe(1)
    expect(ceilSeconds(1000)).toBe(1)
    expect(ceilSeconds(1001)).toBe(2)
    expect(ceilSeconds(0)).toBe(0)
    expect(ceilSeconds(Infinity)).toBe(86400)
    expect(retryAfterSeconds(0)).toBe(1)
    expect(retryAfterSeconds(40 * 86_400_000)).toBe(40 * 86400)
  })
  it('no levels, no headers', () => {
    expect(rateLimitHeaders([])).toEqual({})
  })
  it('the most constraining level is the one with the fewest tokens, the earlier on a tie', () => {
    const level = (name: string, remaining: number, burstLimit: number) => ({
      name,
      limit: { rateLimit: 1, burstLimit },
      result: { allowed: true, remaining, retryAfterMs: 0, resetMs: 1000 },
    })
    expect(rateLimitHeaders([level('a', 5, 10), level('b', 2, 20), level('c', 2, 30)])['X-RateLimit-Limit']).toBe('20')
  })
})

describe('over a real socket (@hono/node-server light responses, streamed proxy answers)', () => {
  let backend: Server
  let front: ReturnType<typeof serve>
  let url = ''
  beforeAll(async () => {
    backend = createServer((_req, res) => {
      // No Content-Length: streamed through the gateway.
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('part one, ')
      setTimeout(() => res.end('part two'), 5)
    })
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r))
    const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`
    const { gateway } = setup({
      routes: [
        { method: 'GET', path: '/proxy', integration: { type: 'http_proxy', uri: `${backendUrl}/x` }, throttle: { rateLimit: 1, burstLimit: 2 } },
        { method: 'GET', path: '/mock', integration: { type: 'mock', statusCode: 200, body: '{"m":1}' }, throttle: { rateLimit: 1, burstLimit: 2 } },
      ],
    })
    await gateway.ready
    await new Promise<void>((r) => {
      front = serve({ fetch: gateway.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
        url = `http://127.0.0.1:${info.port}`
        r()
      })
    })
  })
  afterAll(async () => {
    await new Promise((r) => front.close(r))
    await new Promise((r) => backend.close(r))
  })

  it('a streamed HTTP proxy answer gets the headers and every byte', async () => {
    const res = await fetch(`${url}/prod/proxy`)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-ratelimit-remaining')).toBe('1')
    expect(res.headers.get('ratelimit')).toBe('"route";r=1;t=1, "account";r=4999;t=1')
    expect(await res.text()).toBe('part one, part two')
  })

  it('a mock answer gets the headers and its body', async () => {
    const res = await fetch(`${url}/prod/mock`)
    expect(res.headers.get('x-ratelimit-limit')).toBe('2')
    expect(await res.text()).toBe('{"m":1}')
  })
})

describe('headers the integration sets itself', () => {
  it('are kept: the guide\'s handler answers its own X-RateLimit-* values', async () => {
    const { makeGateway, scriptedInvoker } = await import('../../helpers/gateway.ts')
    const { usagePlanFeature } = await import('../../../src/features/usage-plan/index.ts')
    const { invoker } = scriptedInvoker(() => ({
      statusCode: 200,
      headers: { 'X-RateLimit-Limit': '100', 'X-RateLimit-Remaining': '95', 'X-RateLimit-Reset': '1640000000' },
      body: 'ok',
    }))
    const { app } = makeGateway(
      { apis: [{ name: 'r', type: 'REST', routes: [{ method: 'GET', path: '/rl', throttle: { rateLimit: 5, burstLimit: 5 }, integration: { type: 'lambda', function: 'arn:aws:lambda:us-east-1:123456789012:function:f' } }] }] },
      { invoker, gateway: { features: [usagePlanFeature] } },
    )
    const res = await app.request('/prod/rl')
    expect(res.headers.get('X-RateLimit-Limit')).toBe('100')
    expect(res.headers.get('X-RateLimit-Remaining')).toBe('95')
    expect(res.headers.get('X-RateLimit-Reset')).toBe('1640000000')
    expect(res.headers.get('RateLimit-Policy')).toContain('"route"')
  })
})

describe('the account throttle left unset', () => {
  it('applies AWS\'s default without advertising it; configured limits still show', async () => {
    const { makeGateway } = await import('../../helpers/gateway.ts')
    const { usagePlanFeature } = await import('../../../src/features/usage-plan/index.ts')
    const { app } = makeGateway(
      {
        apis: [
          {
            name: 'r',
            type: 'REST',
            routes: [
              { method: 'GET', path: '/plain', integration: { type: 'mock', body: '{}' } },
              { method: 'GET', path: '/limited', throttle: { rateLimit: 1, burstLimit: 2 }, integration: { type: 'mock', body: '{}' } },
            ],
          },
        ],
      },
      { gateway: { features: [usagePlanFeature] } },
    )
    const plain = await app.request('/prod/plain')
    expect(plain.status).toBe(200)
    expect(plain.headers.get('RateLimit-Policy')).toBeNull()
    expect(plain.headers.get('X-RateLimit-Limit')).toBeNull()
    const limited = await app.request('/prod/limited')
    expect(limited.headers.get('RateLimit-Policy')).toBe('"route";q=2;w=2')
  })
})
