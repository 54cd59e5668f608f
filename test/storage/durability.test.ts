/**
 * Durability: an API key created at run time (as the admin API does: hashed into the key
 * store, linked to a usage plan) and part of its quota used through one gateway process; the
 * process is killed (SIGKILL: no chance to flush anything) and a second process on the same
 * store serves the same key, and its quota count carries on from where the first one stopped.
 * SQLite (a file) and Redis (the local server).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openStores } from '../../src/storage/open.ts'
import { hashApiKey } from '../../src/features/api-key/index.ts'
import { quotaCounterKey } from '../../src/features/usage-plan/index.ts'
import { systemClock } from '../../src/core/deps.ts'
import { utcDay } from '../../src/storage/periods.ts'
import { connectRedis } from '../../src/storage/redis/index.ts'

const ROOT = resolve(import.meta.dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'portico-durability-'))
const children = new Set<ChildProcess>()
const REDIS_PREFIX = `portico-test:durability:${crypto.randomUUID()}:`
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
  // Leave nothing behind on the shared server, whatever the outcome.
  const conn = await connectRedis('redis://127.0.0.1:6379')
  let cursor = '0'
  do {
    const [next, keys] = await conn.command<[string, string[]]>(['SCAN', cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', '1000'])
    cursor = String(next)
    if (keys.length) await conn.command(['UNLINK', ...keys])
  } while (cursor !== '0')
  await conn.close()
})

/**
 * A gateway process: loads the config, opens the store with openStores, builds the gateway
 * with the API key and usage plan features, serves on a free port and prints it.
 */
const GATEWAY_SCRIPT = `
const root = process.cwd()
const { loadModel } = await import(root + '/src/model/load.ts')
const { nodeDeps } = await import(root + '/src/runtime/node/index.ts')
const { createGateway } = await import(root + '/src/gateway.ts')
const { openStores } = await import(root + '/src/storage/open.ts')
const { memoryLogger, systemClock } = await import(root + '/src/core/deps.ts')
const { apiKeyFeature } = await import(root + '/src/features/api-key/index.ts')
const { usagePlanFeature } = await import(root + '/src/features/usage-plan/index.ts')
const { serve } = await import('@hono/node-server')
const { model } = loadModel(JSON.parse(process.env.PORTICO_TEST_CONFIG), { baseDir: root })
const opened = await openStores(process.env.PORTICO_TEST_STORE, { clock: systemClock, env: process.env })
const logger = memoryLogger()
const deps = nodeDeps(model, { logger })
const gateway = createGateway(model, { ...deps, stores: opened.stores }, { features: [apiKeyFeature, usagePlanFeature] })
await gateway.ready
const server = serve({ fetch: gateway.fetch, port: 0, hostname: '127.0.0.1' }, (info) => console.log('LISTENING ' + info.port))
process.on('SIGTERM', () => {
  server.close()
  Promise.all([opened.close(), deps.close()]).then(() => process.exit(0))
})
`

/** Starts a gateway process on `store`; resolves with its URL once it listens. */
function startGateway(store: string, config: unknown): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', GATEWAY_SCRIPT], {
    cwd: ROOT,
    env: { ...process.env, PORTICO_TEST_STORE: store, PORTICO_TEST_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  let out = ''
  return new Promise((resolvePromise, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString()
      const m = /LISTENING (\d+)/.exec(out)
      if (m) resolvePromise({ url: `http://127.0.0.1:${m[1]}`, child })
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => reject(new Error(`gateway process exited (${code}) before listening:\n${out}`)))
  })
}

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
