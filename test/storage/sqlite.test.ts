/**
 * The SQLite store (node:sqlite here; bun:sqlite in the cross-runtime case): the storage
 * contracts on a fresh file per case, then what only a file store has to show (reopening,
 * WAL, rollback, layout versions, pruning) and store selection through openStores.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { keyStoreContract } from './contract/key-store.contract.ts'
import { quotaCounterContract } from './contract/quota-counter.contract.ts'
import { rateLimiterContract } from './contract/rate-limiter.contract.ts'
import { migrate, openSqlite, openSqliteStores, SCHEMA_VERSION, sqliteRateLimiter } from '../../src/storage/sqlite/index.ts'
import { openStores, storeKind } from '../../src/storage/open.ts'
import { fakeClock } from '../helpers/gateway.ts'

const ROOT = resolve(import.meta.dirname, '../..')
const BUN = join(ROOT, 'node_modules/.bin/bun')
const dir = mkdtempSync(join(tmpdir(), 'portico-sqlite-'))
let n = 0
const freshPath = () => join(dir, `store-${n++}.db`)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const open = (path = freshPath(), clock = fakeClock()) => openSqliteStores(path, { clock })

rateLimiterContract('sqlite', async () => {
  const s = await open()
  return { limiter: s.stores.rateLimiter, close: s.close }
})
quotaCounterContract('sqlite', async () => {
  const s = await open()
  return { counter: s.stores.quotaCounter, close: s.close }
})
keyStoreContract('sqlite', async () => {
  const s = await open()
  return { store: s.stores.keyStore, close: s.close }
})

const key = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: `key ${id}`,
  hash: id.padEnd(64, '0'),
  enabled: true,
  createdAt: 1_800_000_000_000,
  ...extra,
})
const plan = (id: string) => ({
  id,
  name: `plan ${id}`,
  throttle: { rateLimit: 2, burstLimit: 5 },
  quota: { limit: 100, period: 'DAY' as const, offset: 10 },
  apiStages: [{ apiId: 'abc', stage: 'prod', throttle: { 'GET /pets': { rateLimit: 1, burstLimit: 1 } } }],
  source: 'admin' as const,
  createdAt: 1_800_000_000_000,
})

describe('SQLite store', () => {
  it('keeps keys, plans, links, buckets, quota counts and cached decisions across a reopen', async () => {
    const path = freshPath()
    const clock = fakeClock(Date.UTC(2027, 2, 10, 12))
    const quota = { limit: 100, period: 'DAY' as const, offset: 10 }
    const limit = { rateLimit: 1, burstLimit: 3 }
    const first = await open(path, clock)
    await first.stores.keyStore.put(key('k1', { stages: ['abc/prod'] }))
    await first.stores.keyStore.putPlan(plan('p1'))
    await first.stores.keyStore.linkKey('p1', 'k1')
    for (let i = 0; i < 7; i++) await first.stores.quotaCounter.consume('p1:k1', quota, clock.now())
    await first.stores.rateLimiter.take('b', limit, clock.now())
    await first.stores.rateLimiter.take('b', limit, clock.now())
    await first.stores.authorizerCache.set('principal', { policy: { Version: '2012-10-17' }, context: { n: 1 } }, 60)
    await first.close()

    const second = await open(path, clock)
    expect(await second.stores.keyStore.findByHash(key('k1').hash)).toEqual(key('k1', { stages: ['abc/prod'] }))
    expect(await second.stores.keyStore.getPlan('p1')).toEqual(plan('p1'))
    expect(await second.stores.keyStore.plansOfKey('k1')).toEqual(['p1'])
    // The count continues, and the first period is still the first (limit 100 - offset 10).
    expect(await second.stores.quotaCounter.consume('p1:k1', quota, clock.now())).toMatchObject({ allowed: true, used: 8, remaining: 82, limit: 90 })
    expect(await second.stores.rateLimiter.take('b', limit, clock.now())).toMatchObject({ allowed: true, remaining: 0 })
    expect((await second.stores.rateLimiter.take('b', limit, clock.now())).allowed).toBe(false)
    expect(await second.stores.authorizerCache.get('principal')).toEqual({ policy: { Version: '2012-10-17' }, context: { n: 1 } })
    expect(await second.stores.quotaCounter.usageByDay('p1:k1', '2027-03-09', '2027-03-10')).toEqual({ '2027-03-09': 0, '2027-03-10': 8 })
    await second.close()
  })

  it('the file is in WAL mode with the current layout version', async () => {
    const s = await open()
    expect(s.db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' })
    expect(s.db.prepare('PRAGMA user_version').get()).toEqual({ user_version: SCHEMA_VERSION })
    await s.close()
  })

  it('a write that fails half-way leaves nothing behind (the transaction rolls back)', async () => {
    const s = await open()
    await s.stores.keyStore.put(key('k1'))
    expect(() =>
      s.db.transaction(() => {
        s.db.prepare('DELETE FROM api_keys WHERE id = ?').run('k1')
        s.db.prepare('INSERT INTO plan_keys (plan_id, key_id) VALUES (?, ?)').run('p', 'k1')
        throw new Error('crash between two statements')
      }),
    ).toThrow(/crash/)
    expect(await s.stores.keyStore.get('k1')).toEqual(key('k1'))
    expect(await s.stores.keyStore.keysOfPlan('p')).toEqual([])
    // The database is usable afterwards (no transaction left open).
    await s.stores.keyStore.linkKey('p', 'k1')
    expect(await s.stores.keyStore.keysOfPlan('p')).toEqual(['k1'])
    await s.close()
  })

  it('deleting a key removes its links in the same transaction; deleting a plan keeps the keys', async () => {
    const s = await open()
    const ks = s.stores.keyStore
    await ks.put(key('k1'))
    await ks.put(key('k2'))
    await ks.putPlan(plan('p1'))
    await ks.linkKey('p1', 'k1')
    await ks.linkKey('p1', 'k2')
    expect(await ks.delete('k1')).toBe(true)
    expect(await ks.keysOfPlan('p1')).toEqual(['k2'])
    expect(s.db.prepare('SELECT count(*) AS n FROM plan_keys WHERE key_id = ?').get('k1')).toEqual({ n: 0 })
    expect(await ks.deletePlan('p1')).toBe(true)
    expect(await ks.plansOfKey('k2')).toEqual([])
    expect((await ks.list()).map((k) => k.id)).toEqual(['k2'])
    await s.close()
  })

  it('refuses a file written with a newer layout rather than misreading it', async () => {
    const path = freshPath()
    const db = await openSqlite(path)
    migrate(db)
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`)
    db.close()
    await expect(open(path)).rejects.toThrow(/layout version 2/)
  })

  it('a bucket row is pruned once full again, and a pruned bucket behaves as a full one', async () => {
    const s = await open()
    const limiter = sqliteRateLimiter(s.db, 3)
    const limit = { rateLimit: 10, burstLimit: 2 }
    const t = 1_900_000_000_000
    await limiter.take('old', limit, t)
    expect(s.db.prepare('SELECT full_at FROM rate_buckets WHERE key = ?').get('old')).toEqual({ full_at: t + 100 })
    await limiter.take('x', limit, t + 50)
    // The third take prunes: 'old' is full again at t + 100.
    await limiter.take('y', limit, t + 100)
    expect(s.db.prepare('SELECT key FROM rate_buckets ORDER BY key').all()).toEqual([{ key: 'x' }, { key: 'y' }])
    expect(await limiter.take('old', limit, t + 100)).toMatchObject({ allowed: true, remaining: 1 })
    // Rate 0 never refills: such a bucket is never pruned.
    await limiter.take('frozen', { rateLimit: 0, burstLimit: 1 }, t)
    for (let i = 0; i < 3; i++) await limiter.take('z' + i, limit, t + 10_000_000)
    expect((await limiter.take('frozen', { rateLimit: 0, burstLimit: 1 }, t + 10_000_000)).allowed).toBe(false)
    await s.close()
  })

  it('authorizer cache: expiry by the gateway clock, replace, clear, no entry for ttl 0', async () => {
    const clock = fakeClock()
    const s = await open(freshPath(), clock)
    const cache = s.stores.authorizerCache
    await cache.set('a', { principalId: 'u1' }, 300)
    await cache.set('b', ['x'], 0)
    expect(await cache.get('a')).toEqual({ principalId: 'u1' })
    expect(await cache.get('b')).toBeUndefined()
    clock.advance(299_999)
    expect(await cache.get('a')).toEqual({ principalId: 'u1' })
    clock.advance(1)
    expect(await cache.get('a')).toBeUndefined()
    await cache.set('a', { principalId: 'u2' }, 10)
    expect(await cache.get('a')).toEqual({ principalId: 'u2' })
    await cache.clear()
    expect(await cache.get('a')).toBeUndefined()
    await s.close()
  })

  it('a second connection to the same file sees committed writes (CLI next to a gateway)', async () => {
    const path = freshPath()
    const gateway = await open(path)
    const cli = await open(path)
    await cli.stores.keyStore.put(key('k9'))
    expect(await gateway.stores.keyStore.get('k9')).toEqual(key('k9'))
    const quota = { limit: 3, period: 'MONTH' as const, offset: 0 }
    const now = Date.UTC(2027, 5, 1)
    await gateway.stores.quotaCounter.consume('k9', quota, now)
    await cli.stores.quotaCounter.consume('k9', quota, now)
    expect(await gateway.stores.quotaCounter.consume('k9', quota, now)).toMatchObject({ used: 3, remaining: 0 })
    expect((await cli.stores.quotaCounter.consume('k9', quota, now)).allowed).toBe(false)
    await gateway.close()
    await cli.close()
  })

  it('Bun (bun:sqlite) and Node (node:sqlite) read and write the same file', async () => {
    const path = freshPath()
    const script = `
      const { openSqliteStores } = await import(${JSON.stringify(join(ROOT, 'src/storage/sqlite/index.ts'))})
      const s = await openSqliteStores(${JSON.stringify(path)}, { clock: { now: () => 0 } })
      await s.stores.keyStore.put({ id: 'bun', name: 'from bun', hash: 'b'.repeat(64), enabled: true, createdAt: 1 })
      const q = { limit: 10, period: 'DAY', offset: 0 }
      await s.stores.quotaCounter.consume('bun', q, Date.UTC(2027, 0, 1))
      await s.stores.quotaCounter.consume('bun', q, Date.UTC(2027, 0, 1))
      console.log(typeof Bun === 'undefined' ? 'not bun' : 'bun')
      await s.close()
    `
    const { stdout } = await promisify(execFile)(BUN, ['-e', script], { cwd: ROOT })
    expect(stdout.trim()).toBe('bun')
    const s = await open(path)
    expect(await s.stores.keyStore.findByHash('b'.repeat(64))).toMatchObject({ id: 'bun', name: 'from bun' })
    expect(await s.stores.quotaCounter.consume('bun', { limit: 10, period: 'DAY', offset: 0 }, Date.UTC(2027, 0, 1))).toMatchObject({ used: 3 })
    await s.close()
  })
})

describe('openStores', () => {
  const env = {}
  it('sqlite:<path> opens every port but the response cache, creating the directory', async () => {
    const path = join(dir, 'nested', 'deeper', 'portico.db')
    const opened = await openStores(`sqlite:${path}`, { clock: fakeClock(), env })
    expect(Object.keys(opened.stores).sort()).toEqual(['authorizerCache', 'keyStore', 'quotaCounter', 'rateLimiter'])
    expect(opened.description).toBe(`sqlite:${path}`)
    await opened.stores.keyStore!.put(key('k1'))
    await opened.close()
    await opened.close()
    const again = await openStores(`sqlite:${path}`, { clock: fakeClock(), env })
    expect(await again.stores.keyStore!.get('k1')).toEqual(key('k1'))
    await again.close()
  })

  it('sqlite::memory: is a throwaway database', async () => {
    const opened = await openStores('sqlite::memory:', { clock: fakeClock(), env })
    expect((await opened.stores.rateLimiter!.take('k', { rateLimit: 1, burstLimit: 1 }, 0)).allowed).toBe(true)
    await opened.close()
  })

  it('memory gives in-process stores', async () => {
    const opened = await openStores('memory', { clock: fakeClock(), env })
    expect(Object.keys(opened.stores).sort()).toEqual(['authorizerCache', 'keyStore', 'quotaCounter', 'rateLimiter'])
    await opened.close()
  })

  it('bad specs fail with a message that says what is accepted', async () => {
    await expect(openStores('sqlite:', { clock: fakeClock(), env })).rejects.toThrow(/needs a path/)
    await expect(openStores('postgres://x', { clock: fakeClock(), env })).rejects.toThrow(/unknown store "postgres:\/\/x": use memory, sqlite:<path>/)
    await expect(openStores('redis://user:hunter2@[::1', { clock: fakeClock(), env })).rejects.toThrow(/not a valid URL/)
    await expect(openStores('redis://user:hunter2@[::1', { clock: fakeClock(), env })).rejects.not.toThrow(/hunter2/)
    expect(storeKind('rediss://h:6380')).toBe('redis')
    expect(storeKind('upstash')).toBe('upstash')
    expect(storeKind('Memory')).toBeUndefined()
  })
})
