/**
 * Durability: an API key created at run time (as the admin API does: hashed into the key
 * store, linked to a usage plan) and part of its quota used through one gateway process; the
 * process is killed (SIGKILL: no chance to flush anything) and a second process on the same
 * store serves the same key, and its quota count carries on from where the first one stopped.
 * SQLite (a file) and Redis (the local server).
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openStores } from '../../src/storage/open.ts'
import { hashApiKey } from '../../src/features/api-key/index.ts'
import { quotaCounterKey } from '../../src/features/usage-plan/index.ts'
import { systemClock } from '../../src/core/deps.ts'
import { utcDay } from '../../src/storage/periods.ts'
import { deleteRedisPrefix, startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.ts'

const dir = mkdtempSync(join(tmpdir(), 'portico-durability-'))
const children = new Set<ChildProcess>()
const REDIS_PREFIX = `portico-test:durability:${crypto.randomUUID()}:`
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
  // Leave nothing behind on the shared server, whatever the outcome.
  await deleteRedisPrefix(REDIS_PREFIX)
})

const startGateway = (store: string, config: unknown): Promise<GatewayProcess> => startGatewayProcess(store, config, children)

function kill(child: ChildProcess): Promise<void> {
  children.delete(child)
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((r) => {
    child.once('exit', () => r())
    child.kill('SIGKILL')
  })
}

const VALUE = 'durable-key-value-0123456789abcdef'
const config = {
  apis: [
    {
      name: 'rest',
      type: 'REST',
      stages: [{ name: 'prod' }],
      routes: [{ method: 'GET', path: '/private', apiKeyRequired: true, integration: { type: 'mock', statusCode: 200, body: 'ok' } }],
    },
  ],
  // A month, not a day: the test must not straddle a period boundary by bad luck.
  usagePlans: [{ name: 'basic', id: 'basic', quota: { limit: 5, period: 'MONTH' }, apiStages: [{ api: 'rest', stage: 'prod' }] }],
}

async function statuses(url: string, n: number, key = VALUE): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/prod/private`, { headers: { 'x-api-key': key } })
    await res.arrayBuffer()
    out.push(res.status)
  }
  return out
}

/** Creates the key in the store as the admin API would, and links it to the config plan. */
async function createKey(store: string): Promise<void> {
  const opened = await openStores(store, { clock: systemClock, env: {} })
  const ks = opened.stores.keyStore!
  await ks.put({ id: 'runtime01', name: 'created at run time', hash: await hashApiKey(VALUE), enabled: true, createdAt: Date.now() })
  await ks.linkKey('basic', 'runtime01')
  await opened.close()
}

const backends: [string, () => string][] = [
  ['sqlite', () => `sqlite:${join(dir, 'portico.db')}`],
  ['redis', () => `redis://127.0.0.1:6379?prefix=${encodeURIComponent(REDIS_PREFIX)}`],
]

describe.each(backends)('durability: %s', (_name, makeSpec) => {
  it('a run-time key and its quota count survive a killed gateway process', { timeout: 60_000 }, async () => {
    const store = makeSpec()
    // The first start writes the config plan; the key is created next to the running gateway.
    const first = await startGateway(store, config)
    await createKey(store)
    // Plan lookups are cached per instance for a few seconds; this instance never saw the
    // key before, so it looks it up now.
    expect(await statuses(first.url, 3)).toEqual([200, 200, 200])
    expect(await statuses(first.url, 1, 'not-a-known-key-value-0123456789')).toEqual([403])
    await kill(first.child)

    const second = await startGateway(store, config)
    try {
      const res = await fetch(`${second.url}/prod/private`, { headers: { 'x-api-key': VALUE } })
      expect(res.status).toBe(200)
      // The fourth request of the period: one left of five.
      expect(res.headers.get('ratelimit')).toMatch(/"quota";r=1;/)
      expect(await statuses(second.url, 2)).toEqual([200, 429])
    } finally {
      await kill(second.child)
    }

    // The store agrees: five requests counted today, none for the refused one.
    const opened = await openStores(store, { clock: systemClock, env: {} })
    const today = utcDay(Date.now())
    expect(await opened.stores.quotaCounter!.usageByDay(quotaCounterKey('basic', 'runtime01'), today, today)).toEqual({ [today]: 5 })
    expect((await opened.stores.keyStore!.get('runtime01'))?.name).toBe('created at run time')
    await opened.close()
  })
})
