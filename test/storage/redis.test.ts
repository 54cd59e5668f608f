/**
 * The Redis store against the real local server (127.0.0.1:6379): the storage contracts, then
 * what only Redis has to show (key layout and expiries, script cache loss, several
 * connections, a server that goes away). Every key this file writes is under one prefix per
 * run, deleted at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keyStoreContract } from './contract/key-store.contract.ts'
import { quotaCounterContract } from './contract/quota-counter.contract.ts'
import { rateLimiterContract } from './contract/rate-limiter.contract.ts'
import { responseCacheContract } from './contract/response-cache.contract.ts'
import {
  CommandDeadlines,
  connectRedis,
  openRedisStores,
  PERIOD_GRACE_MS,
  QUOTA_HISTORY_MS,
  redisAuthorizerCache,
  redisKeyStore,
  redisQuotaCounter,
  redisRateLimiter,
  redisResponseCache,
  type RedisConnection,
} from '../../src/storage/redis/index.ts'
import { openStores } from '../../src/storage/open.ts'
import { memoryLogger } from '../../src/core/deps.ts'
import { memoryRateLimiter } from '../../src/storage/memory/rate-limiter.ts'
import { memoryQuotaCounter } from '../../src/storage/memory/quota-counter.ts'
import type { CachedResponse } from '../../src/storage/ports.ts'
import { fakeClock } from '../helpers/gateway.ts'

const URL = 'redis://127.0.0.1:6379'
const RUN = `portico-test:${crypto.randomUUID()}:`
let conn: RedisConnection
let n = 0
/** The shared connection seen under a prefix of its own (one per case). */
const view = (): RedisConnection => ({ ...conn, prefix: `${RUN}${n++}:` })

beforeAll(async () => {
  conn = await connectRedis(URL, { prefix: RUN })
})
afterAll(async () => {
  const left = await scan(`${RUN}*`)
  for (let i = 0; i < left.length; i += 500) await conn.command(['UNLINK', ...left.slice(i, i + 500)])
  expect(await scan(`${RUN}*`)).toEqual([])
  await conn.close()
})

async function scan(match: string): Promise<string[]> {
  const out: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await conn.command<[string, string[]]>(['SCAN', cursor, 'MATCH', match, 'COUNT', '1000'])
    cursor = String(next)
    out.push(...keys)
  } while (cursor !== '0')
  return out.sort()
}

rateLimiterContract('redis', async () => ({ limiter: redisRateLimiter(view()) }))
quotaCounterContract('redis', async () => ({ counter: redisQuotaCounter(view()) }))
keyStoreContract('redis', async () => ({ store: redisKeyStore(view()) }))
responseCacheContract('redis', async () => {
  const clock = fakeClock()
  return { factory: redisResponseCache(view(), clock), clock }
})

const key = (id: string, hash = id.padEnd(64, '0')) => ({ id, name: `key ${id}`, hash, enabled: true, createdAt: 1_800_000_000_000 })

/** A seeded generator, so a failing sequence can be replayed. */
function random(seed: number) {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
    return seed / 2 ** 31
  }
}

describe('Redis rate limiter and quota counter', () => {
  it('the Lua token bucket gives exactly the memory store\'s answers (random sequences, fractional rates, clocks going back)', async () => {
    const limiter = redisRateLimiter(view())
    const reference = memoryRateLimiter()
    const rnd = random(42)
    let now = Date.UTC(2027, 0, 1)
    for (let i = 0; i < 400; i++) {
      const bucket = `b${Math.floor(rnd() * 4)}`
      const limit = [
        { rateLimit: 0.3, burstLimit: 2 },
        { rateLimit: 7.7, burstLimit: 5 },
        { rateLimit: 1000, burstLimit: 1 },
        { rateLimit: 0, burstLimit: 3 },
      ][Math.floor(rnd() * 4)]!
      // Mostly forward by up to 700 ms; sometimes a clock 50 ms behind.
      now += rnd() < 0.1 ? -50 : Math.floor(rnd() * 700)
      expect(await limiter.take(bucket, limit, now), `step ${i}`).toEqual(await reference.take(bucket, limit, now))
    }
  })

  it('the Lua quota counter gives exactly the memory store\'s answers across days, weeks and months', async () => {
    const counter = redisQuotaCounter(view())
    const reference = memoryQuotaCounter()
    const rnd = random(7)
    let now = Date.UTC(2027, 1, 27, 20)
    for (let i = 0; i < 300; i++) {
      const key = `k${Math.floor(rnd() * 3)}`
      const quota = [
        { limit: 3, period: 'DAY' as const, offset: 1 },
        { limit: 10, period: 'WEEK' as const, offset: 4 },
        { limit: 25, period: 'MONTH' as const, offset: 30 },
      ][Number(key.slice(1))]!
      now += Math.floor(rnd() * 3 * 3_600_000)
      expect(await counter.consume(key, quota, now), `step ${i}`).toEqual(await reference.consume(key, quota, now))
    }
    for (const key of ['k0', 'k1', 'k2']) {
      expect(await counter.usageByDay(key, '2027-02-25', '2027-03-31')).toEqual(await reference.usageByDay(key, '2027-02-25', '2027-03-31'))
    }
  })

  it('a bucket key expires once the bucket would be full again (plus the margin); rate 0 never expires', async () => {
    const c = view()
    const limiter = redisRateLimiter(c, 1000)
    await limiter.take('k', { rateLimit: 4, burstLimit: 2 }, Date.now())
    // One token missing at 4/s: full in 250 ms, kept 1 s more.
    const ttl = await c.command<number>(['PTTL', `${c.prefix}rl:{k}`])
    expect(ttl).toBeGreaterThan(1000)
    expect(ttl).toBeLessThanOrEqual(1250)
    await limiter.take('z', { rateLimit: 0, burstLimit: 2 }, Date.now())
    expect(await c.command(['PTTL', `${c.prefix}rl:{z}`])).toBe(-1)
  })

  it('quota keys: the period counter lives to the period end (+ grace), day counts and the first-period marker ~400 days', async () => {
    const c = view()
    const counter = redisQuotaCounter(c)
    const now = Date.now()
    const dayStart = Math.floor(now / 86_400_000) * 86_400_000
    await counter.consume('k', { limit: 5, period: 'DAY', offset: 0 }, now)
    const base = `${c.prefix}q:{k}:`
    expect(await scan(`${base}*`)).toEqual([`${base}d:${new Date(now).toISOString().slice(0, 10)}`, `${base}first`, `${base}p:${dayStart}`].sort())
    const periodTtl = await c.command<number>(['PTTL', `${base}p:${dayStart}`])
    const expected = dayStart + 86_400_000 - now + PERIOD_GRACE_MS
    expect(periodTtl).toBeGreaterThan(expected - 5000)
    expect(periodTtl).toBeLessThanOrEqual(expected)
    for (const k of [`${base}d:${new Date(now).toISOString().slice(0, 10)}`, `${base}first`]) {
      expect(await c.command<number>(['PTTL', k])).toBeGreaterThan(QUOTA_HISTORY_MS - 5000)
    }
    expect(QUOTA_HISTORY_MS).toBe(400 * 86_400_000)
  })

  it('a flushed script cache (server restart) is refilled by EVAL, and the state carries on', async () => {
    const c = view()
    const limiter = redisRateLimiter(c)
    const counter = redisQuotaCounter(c)
    const limit = { rateLimit: 1, burstLimit: 2 }
    const quota = { limit: 3, period: 'DAY' as const, offset: 0 }
    const now = Date.now()
    await limiter.take('k', limit, now)
    await counter.consume('k', quota, now)
    await c.command(['SCRIPT', 'FLUSH'])
    expect(await limiter.take('k', limit, now)).toMatchObject({ allowed: true, remaining: 0 })
    expect(await counter.consume('k', quota, now)).toMatchObject({ allowed: true, used: 2 })
    expect((await limiter.take('k', limit, now)).allowed).toBe(false)
  })

  it('two connections (two gateway instances) share buckets and counts', async () => {
    const other = await connectRedis(URL)
    try {
      const a = view()
      const b: RedisConnection = { ...other, prefix: a.prefix }
      const limit = { rateLimit: 1, burstLimit: 3 }
      const now = Date.now()
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => redisRateLimiter(i % 2 ? a : b).take('shared', limit, now)),
      )
      expect(results.filter((r) => r.allowed)).toHaveLength(3)
      const quota = { limit: 7, period: 'MONTH' as const, offset: 0 }
      const counted = await Promise.all(Array.from({ length: 20 }, (_, i) => redisQuotaCounter(i % 2 ? a : b).consume('shared', quota, now)))
      expect(counted.filter((r) => r.allowed).map((r) => r.used).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7])
    } finally {
      await other.close()
    }
  })
})

describe('Redis key store', () => {
  it('keeps the hash index and both link sets consistent through replace and delete', async () => {
    const c = view()
    const store = redisKeyStore(c)
    const p = `${c.prefix}{ks}:`
    await store.put(key('k1', 'a'.repeat(64)))
    await store.put(key('k1', 'b'.repeat(64)))
    expect(await c.command(['HKEYS', `${p}hash`])).toEqual(['b'.repeat(64)])
    await store.putPlan({ id: 'p1', name: 'P', apiStages: [], source: 'admin', createdAt: 1 })
    await store.putPlan({ id: 'p2', name: 'Q', apiStages: [], source: 'admin', createdAt: 2 })
    await store.linkKey('p1', 'k1')
    await store.linkKey('p2', 'k1')
    expect(await store.delete('k1')).toBe(true)
    // No trace of k1: not in the hash index, not in either plan's set, no set of its own.
    expect(await c.command(['HLEN', `${p}hash`])).toBe(0)
    expect(await c.command(['SCARD', `${p}pk:p1`])).toBe(0)
    expect(await c.command(['SCARD', `${p}pk:p2`])).toBe(0)
    expect(await c.command(['EXISTS', `${p}kp:k1`])).toBe(0)
    expect((await store.listPlans()).map((x) => x.id)).toEqual(['p1', 'p2'])
  })

  it('a key sharing a hash with an older one takes the hash over; deleting the older leaves it', async () => {
    const store = redisKeyStore(view())
    const h = 'c'.repeat(64)
    await store.put(key('old', h))
    await store.put(key('new', h))
    expect((await store.findByHash(h))?.id).toBe('new')
    expect(await store.delete('old')).toBe(true)
    expect((await store.findByHash(h))?.id).toBe('new')
  })

  it('prefixes keep stores apart', async () => {
    const [a, b] = [redisKeyStore(view()), redisKeyStore(view())]
    await a.put(key('k1'))
    expect(await b.get('k1')).toBeUndefined()
    expect(await b.list()).toEqual([])
  })
})

describe('Redis authorizer cache', () => {
  it('expires by the gateway clock, sets a PX TTL, and clear() drops only its own prefix', async () => {
    const clock = fakeClock()
    const c = view()
    const other = view()
    const cache = redisAuthorizerCache(c, clock)
    const neighbour = redisAuthorizerCache(other, clock)
    await cache.set('tok', { principalId: 'u1', context: { a: 1 } }, 300)
    await cache.set('zero', { x: 1 }, 0)
    await neighbour.set('tok', 'theirs', 300)
    expect(await cache.get('tok')).toEqual({ principalId: 'u1', context: { a: 1 } })
    expect(await cache.get('zero')).toBeUndefined()
    const ttl = await c.command<number>(['PTTL', `${c.prefix}authz:tok`])
    expect(ttl).toBeGreaterThan(299_000)
    expect(ttl).toBeLessThanOrEqual(300_000)
    clock.advance(300_000)
    expect(await cache.get('tok')).toBeUndefined()
    clock.set(clock.now() - 1)
    expect(await cache.get('tok')).toEqual({ principalId: 'u1', context: { a: 1 } })
    await cache.clear()
    expect(await cache.get('tok')).toBeUndefined()
    expect(await neighbour.get('tok')).toBe('theirs')
  })
})

describe('Redis response cache', () => {
  const entry = (clock: { now(): number }, body: Uint8Array, ttlMs = 60_000): CachedResponse => ({
    status: 203,
    headers: [
      ['content-type', 'application/octet-stream'],
      ['x-multi', 'a'],
      ['x-multi', 'b'],
    ],
    body,
    storedAt: clock.now(),
    expiresAt: clock.now() + ttlMs,
  })

  it('round-trips binary bodies and headers; expiry by the gateway clock, TTL from expiresAt', async () => {
    const clock = fakeClock()
    const c = view()
    const cache = redisResponseCache(c, clock)({ namespace: 'abc/prod', capacityBytes: 1_000_000 })
    const body = Uint8Array.from({ length: 1024 }, (_, i) => (i * 7) % 256)
    const e = entry(clock, body)
    await cache.put('k', e)
    expect(await cache.get('k')).toEqual(e)
    const [stored] = await scan(`${c.prefix}rc:{abc/prod}:0:*`)
    const ttl = await c.command<number>(['PTTL', stored!])
    expect(ttl).toBeGreaterThan(59_000)
    expect(ttl).toBeLessThanOrEqual(60_000)
    clock.advance(60_000)
    expect(await cache.get('k')).toBeUndefined()
  })

  it('does not store entries over the per-entry limit or the stage capacity, or already expired', async () => {
    const clock = fakeClock()
    const c = view()
    const factory = redisResponseCache(c, clock, { maxEntryBytes: 2000 })
    const cache = factory({ namespace: 'a/s', capacityBytes: 10_000 })
    await cache.put('big', entry(clock, new Uint8Array(2001)))
    await cache.put('ok', entry(clock, new Uint8Array(1900)))
    await cache.put('gone', entry(clock, new Uint8Array(10), 0))
    expect(await cache.get('big')).toBeUndefined()
    expect(await cache.get('ok')).toBeDefined()
    expect(await cache.get('gone')).toBeUndefined()
    const small = factory({ namespace: 'a/t', capacityBytes: 500 })
    await small.put('k', entry(clock, new Uint8Array(600)))
    expect(await small.get('k')).toBeUndefined()
  })

  it('flush empties one namespace for every instance; others keep their entries; delete says whether it removed', async () => {
    const clock = fakeClock()
    const c = view()
    const other = await connectRedis(URL)
    try {
      const mine = redisResponseCache(c, clock)({ namespace: 'api/prod', capacityBytes: 1e6 })
      const sameStageElsewhere = redisResponseCache({ ...other, prefix: c.prefix }, clock)({ namespace: 'api/prod', capacityBytes: 1e6 })
      const otherStage = redisResponseCache(c, clock)({ namespace: 'api/dev', capacityBytes: 1e6 })
      const e = entry(clock, new TextEncoder().encode('{"ok":true}'))
      await mine.put('k', e)
      await otherStage.put('k', e)
      expect(await sameStageElsewhere.get('k')).toEqual(e)
      await sameStageElsewhere.flush()
      expect(await mine.get('k')).toBeUndefined()
      expect(await otherStage.get('k')).toEqual(e)
      await mine.put('k2', e)
      expect(await mine.get('k2')).toEqual(e)
      expect(await mine.delete('k2')).toBe(true)
      expect(await mine.delete('k2')).toBe(false)
      expect(await otherStage.delete('k')).toBe(true)
    } finally {
      await other.close()
    }
  })
})

describe('Redis connection', () => {
  it('an unreachable server fails the open at once, naming the host but not the password', async () => {
    const started = Date.now()
    const err = await connectRedis('redis://user:s3cret@127.0.0.1:1').catch((e: Error) => e)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).message).toMatch(/cannot connect to the Redis store at redis:\/\/127\.0\.0\.1:1/)
    expect((err as Error).message).not.toMatch(/s3cret/)
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('a server that goes away makes calls fail fast (no queueing), logs once, and the store recovers when it is back', async () => {
    const port = await freePort()
    let server = await startRedis(port)
    const logger = memoryLogger()
    const opened = await openRedisStores(`redis://127.0.0.1:${port}`, { clock: fakeClock(), logger })
    try {
      const limiter = opened.stores.rateLimiter
      const limit = { rateLimit: 1, burstLimit: 5 }
      expect((await limiter.take('k', limit, 0)).allowed).toBe(true)
      await stopProcess(server)
      await new Promise((r) => setTimeout(r, 200))
      const started = Date.now()
      await expect(limiter.take('k', limit, 0)).rejects.toThrow()
      await expect(limiter.take('k', limit, 0)).rejects.toThrow()
      expect(Date.now() - started).toBeLessThan(1000)
      expect(logger.lines.filter((l) => l.message === 'redis store unreachable')).toHaveLength(1)
      expect(JSON.stringify(logger.lines)).toContain(`127.0.0.1:${port}`)
      server = await startRedis(port)
      // Reconnects within the 2 s back-off cap; the bucket was in memory of the old server
      // (no persistence here), so it starts full again.
      let result
      for (let i = 0; i < 60 && !result; i++) {
        result = await limiter.take('k', limit, 0).catch(() => undefined)
        if (!result) await new Promise((r) => setTimeout(r, 100))
      }
      expect(result).toMatchObject({ allowed: true, remaining: 4 })
      expect(logger.lines.some((l) => l.message === 'redis store reconnected')).toBe(true)
    } finally {
      await opened.close()
      await stopProcess(server)
    }
  })
})

describe('Redis command deadlines', () => {
  it('close() with a server that stopped answering drops the connection after a bounded wait; what waited fails', async () => {
    const port = await freePort()
    const server = await startRedis(port)
    const c = await connectRedis(`redis://127.0.0.1:${port}`, { commandTimeoutMs: 60_000 })
    try {
      expect(await c.command(['PING'])).toBe('PONG')
      server.kill('SIGSTOP')
      const waiting = c.command(['PING']).then(() => 'answered', (e: Error) => `failed: ${e.message}`)
      const started = Date.now()
      await c.close()
      expect(Date.now() - started).toBeLessThan(5000)
      expect(await waiting).toMatch(/^failed: /)
    } finally {
      server.kill('SIGCONT')
      await stopProcess(server)
    }
  })

  it('a server that stops answering fails each command after the command timeout, and answers again when it resumes', async () => {
    const port = await freePort()
    const server = await startRedis(port)
    const c = await connectRedis(`redis://127.0.0.1:${port}`, { commandTimeoutMs: 300 })
    try {
      expect(await c.command(['PING'])).toBe('PONG')
      // Frozen: the connection stays open, nothing comes back.
      server.kill('SIGSTOP')
      const started = Date.now()
      const [a, b] = await Promise.all([c.command(['PING']).catch((e: Error) => e), c.multi([['PING']]).catch((e: Error) => e)])
      const waited = Date.now() - started
      expect(String(a)).toMatch(/timed out after 300 ms/)
      expect(String(b)).toMatch(/timed out after 300 ms/)
      expect(waited).toBeGreaterThanOrEqual(290)
      expect(waited).toBeLessThan(2000)
      server.kill('SIGCONT')
      // The late replies are dropped; new commands are answered.
      expect(await c.command(['PING'])).toBe('PONG')
    } finally {
      server.kill('SIGCONT')
      await c.close()
      await stopProcess(server)
    }
  })

  it('CommandDeadlines: answers pass through, rejections too, and only unanswered commands time out', async () => {
    const deadlines = new CommandDeadlines(50)
    try {
      const never = new Promise<string>(() => {})
      const results = await Promise.allSettled([
        deadlines.guard(Promise.resolve('now')),
        deadlines.guard(new Promise((r) => setTimeout(() => r('soon'), 10))),
        deadlines.guard(Promise.reject(new Error('refused'))),
        deadlines.guard(never),
      ])
      expect(results.map((r) => (r.status === 'fulfilled' ? r.value : String((r.reason as Error).message)))).toEqual([
        'now',
        'soon',
        'refused',
        'Redis command timed out after 50 ms',
      ])
    } finally {
      deadlines.stop()
    }
  })
})

describe('openStores with Redis', () => {
  it('redis://...?prefix= opens every port, the response cache included, under that prefix', async () => {
    const prefix = `${RUN}open:`
    const opened = await openStores(`${URL}/0?prefix=${encodeURIComponent(prefix)}`, { clock: fakeClock(), env: {} })
    expect(Object.keys(opened.stores).sort()).toEqual(['authorizerCache', 'keyStore', 'quotaCounter', 'rateLimiter', 'responseCache'])
    expect(opened.description).toBe('redis://127.0.0.1:6379/0')
    await opened.stores.keyStore!.put(key('k1'))
    expect(await conn.command(['HEXISTS', `${prefix}{ks}:keys`, 'k1'])).toBe(1)
    await opened.close()
  })

  it('PORTICO_STORE_PREFIX sets the prefix when the URL has none', async () => {
    const prefix = `${RUN}env:`
    const opened = await openStores(URL, { clock: fakeClock(), env: { PORTICO_STORE_PREFIX: prefix } })
    await opened.stores.quotaCounter!.consume('k', { limit: 1, period: 'DAY', offset: 0 }, Date.now())
    expect((await scan(`${prefix}q:*`)).length).toBe(3)
    await opened.close()
  })
})

/** A port nothing listens on (for a throwaway redis-server). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}

/** Starts a throwaway redis-server on `port` (no persistence) and waits until it answers. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  for (let i = 0; i < 50; i++) {
    const probe = await connectRedis(`redis://127.0.0.1:${port}`, { connectTimeoutMs: 500 }).catch(() => undefined)
    if (probe) {
      await probe.close()
      return child
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  child.kill()
  throw new Error('redis-server did not start')
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })
}
