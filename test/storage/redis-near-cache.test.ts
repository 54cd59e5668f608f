/**
 * The Redis response cache's near cache (src/storage/redis/near-cache.ts) against the real
 * local server: copies served without Redis, invalidations from other instances over pub/sub,
 * a read in flight that must not bring back what an invalidation dropped, a subscription gap,
 * and two gateways sharing one Redis cache. Keys live under one prefix per run, deleted after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectRedis, NearCache, openRedisStores, invalidationChannel, invalidationMessage, type RedisConnection, type RedisStores } from '../../src/storage/redis/index.ts'
import { openStores } from '../../src/storage/open.ts'
import type { CachedResponse } from '../../src/storage/ports.ts'
import { fakeClock, makeGateway, scriptedInvoker } from '../helpers/gateway.ts'
import { responseCacheContract } from './contract/response-cache.contract.ts'

const URL = 'redis://127.0.0.1:6379'
const RUN = `portico-test:${crypto.randomUUID()}:`
let conn: RedisConnection
let n = 0
const opened: RedisStores[] = []

beforeAll(async () => {
  conn = await connectRedis(URL, { prefix: RUN })
})
afterAll(async () => {
  for (const o of opened) await o.close()
  let cursor = '0'
  do {
    const [next, keys] = await conn.command<[string, string[]]>(['SCAN', cursor, 'MATCH', `${RUN}*`, 'COUNT', '1000'])
    cursor = String(next)
    if (keys.length) await conn.command(['UNLINK', ...keys])
  } while (cursor !== '0')
  await conn.close()
})

// The port's contract holds with copies in front (one instance, its own prefix per case).
responseCacheContract('redis with a near cache', async () => {
  const clock = fakeClock()
  const stores = await openRedisStores(URL, { prefix: `${RUN}${n++}:`, clock, nearCache: { ttlMs: 60_000 } })
  return { factory: stores.stores.responseCache, clock, close: () => stores.close() }
})

/** Two instances (each its own connections and near cache) on one prefix, one fake clock. */
async function twoInstances(near: { ttlMs?: number; capacityBytes?: number } = {}) {
  const prefix = `${RUN}${n++}:`
  const clock = fakeClock()
  const a = await openRedisStores(URL, { prefix, clock, nearCache: near })
  const b = await openRedisStores(URL, { prefix, clock, nearCache: near })
  opened.push(a, b)
  const stage = { namespace: 'api/prod', capacityBytes: 1_000_000 }
  return { prefix, clock, a, b, cacheA: a.stores.responseCache(stage), cacheB: b.stores.responseCache(stage), settled: () => settled(prefix, a) }
}

/**
 * Waits until `instance` has received every invalidation published so far: a write's message
 * may reach another instance after that instance read the new entry, and then (rightly) drops
 * the copy it just kept. Redis delivers a channel's messages in the order it ran the PUBLISHes,
 * so once a marker published now arrives, the earlier ones have (and the subscription is live).
 */
async function settled(prefix: string, instance: RedisStores): Promise<void> {
  const near = instance.nearCache
  if (!near) return
  const marker = invalidationMessage(`marker-${crypto.randomUUID()}`)
  const seen = new Promise<void>((resolve) => {
    const receive = near.receive.bind(near)
    near.receive = (message: string) => {
      receive(message)
      if (message === marker) {
        near.receive = receive
        resolve()
      }
    }
  })
  // Published again until it arrives: a subscription that is reconnecting misses messages.
  const deadline = Date.now() + 2000
  let arrived = false
  void seen.then(() => (arrived = true))
  while (!arrived) {
    if (Date.now() > deadline) throw new Error('the instance\'s subscription did not receive a marker within 2 s')
    await conn.command(['PUBLISH', invalidationChannel(prefix), marker])
    await Promise.race([seen, new Promise((r) => setTimeout(r, 20))])
  }
}

function entry(clock: { now(): number }, text: string, ttlMs = 60_000): CachedResponse {
  return { status: 200, headers: [['content-type', 'text/plain']], body: new TextEncoder().encode(text), storedAt: clock.now(), expiresAt: clock.now() + ttlMs }
}

const bodyOf = (e: CachedResponse | undefined) => (e ? new TextDecoder().decode(e.body) : undefined)

/** Polls `read` (real time) until it gives `want`; fails with the last value after 2 s. */
async function eventually<T>(read: () => Promise<T>, want: T): Promise<void> {
  const deadline = Date.now() + 2000
  let last: T
  do {
    last = await read()
    if (last === want) return
    await new Promise((r) => setTimeout(r, 5))
  } while (Date.now() < deadline)
  expect(last).toBe(want)
}

/** The Redis key of an entry (generation 0: nothing flushed). */
const entryKey = (prefix: string, key: string) => `${prefix}rc:{api/prod}:0:${key}`

describe('near cache over Redis', () => {
  it('serves its copy without asking Redis, for at most nearCacheMs, and never past the entry\'s own expiry', async () => {
    const { prefix, clock, cacheA, cacheB, settled } = await twoInstances({ ttlMs: 1000 })
    const e = entry(clock, 'v1', 60_000)
    await cacheB.put('k', e)
    await settled()
    expect(await cacheA.get('k')).toEqual(e) // read from Redis, copy kept
    // Removed behind the caches' backs (no invalidation published): only a copy can answer.
    await conn.command(['DEL', entryKey(prefix, 'k')])
    expect(await cacheA.get('k')).toEqual(e) // the copy, with the entry's own expiresAt
    expect(await cacheB.get('k')).toBeUndefined() // B never read it: no copy
    clock.advance(999)
    expect(bodyOf(await cacheA.get('k'))).toBe('v1')
    clock.advance(1)
    expect(await cacheA.get('k')).toBeUndefined() // near deadline reached: Redis says gone

    // An entry with less life left than nearCacheMs: the copy goes with the entry.
    const short = entry(clock, 'short', 400)
    await cacheB.put('s', short)
    await settled()
    expect(await cacheA.get('s')).toEqual(short)
    await conn.command(['DEL', entryKey(prefix, 's')])
    clock.advance(399)
    expect(bodyOf(await cacheA.get('s'))).toBe('short')
    clock.advance(1)
    expect(await cacheA.get('s')).toBeUndefined()
  })

  it('another instance\'s put, delete and flush reach the copies over pub/sub', async () => {
    const { clock, cacheA, cacheB } = await twoInstances({ ttlMs: 60_000 })
    await cacheB.put('k', entry(clock, 'v1'))
    await cacheB.put('other', entry(clock, 'o1'))
    expect(bodyOf(await cacheA.get('k'))).toBe('v1')
    expect(bodyOf(await cacheA.get('other'))).toBe('o1')
    // The fake clock stands still: only an invalidation can make A see these.
    await cacheB.put('k', entry(clock, 'v2'))
    await eventually(async () => bodyOf(await cacheA.get('k')), 'v2')
    expect(await cacheB.delete('k')).toBe(true)
    await eventually(async () => bodyOf(await cacheA.get('k')), undefined)
    expect(bodyOf(await cacheA.get('other'))).toBe('o1')
    await cacheB.flush()
    await eventually(async () => bodyOf(await cacheA.get('other')), undefined)
  })

  it('the writing instance sees its own put, delete and flush at once', async () => {
    const { clock, cacheA } = await twoInstances({ ttlMs: 60_000 })
    await cacheA.put('k', entry(clock, 'v1'))
    expect(bodyOf(await cacheA.get('k'))).toBe('v1')
    await cacheA.put('k', entry(clock, 'v2'))
    expect(bodyOf(await cacheA.get('k'))).toBe('v2')
    await cacheA.delete('k')
    expect(await cacheA.get('k')).toBeUndefined()
    await cacheA.put('k', entry(clock, 'v3'))
    expect(bodyOf(await cacheA.get('k'))).toBe('v3')
    await cacheA.flush()
    expect(await cacheA.get('k')).toBeUndefined()
  })

  it('the writing instance does not keep the old entry a read brought back while its write was under way', async () => {
    const { clock, a, cacheA, cacheB, settled } = await twoInstances({ ttlMs: 60_000 })
    await cacheB.put('k', entry(clock, 'v1'))
    await settled()
    // A's own invalidation messages come late: only the put itself can drop what the read keeps.
    const near = a.nearCache!
    const receive = near.receive.bind(near)
    near.receive = (message: string) => void setTimeout(() => receive(message), 200)
    try {
      for (let i = 2; i < 6; i++) {
        const put = cacheA.put('k', entry(clock, `v${i}`))
        const read = cacheA.get('k') // sent before the PUT: it reads the old entry
        await Promise.all([put, read])
        expect(bodyOf(await cacheA.get('k'))).toBe(`v${i}`)
      }
    } finally {
      near.receive = receive
    }
  })

  it('stages are invalidated apart: a flush of one leaves the other\'s copies', async () => {
    const { prefix, clock, a, b, settled } = await twoInstances({ ttlMs: 60_000 })
    const prodA = a.stores.responseCache({ namespace: 'api/prod', capacityBytes: 1e6 })
    const devA = a.stores.responseCache({ namespace: 'api/dev', capacityBytes: 1e6 })
    const prodB = b.stores.responseCache({ namespace: 'api/prod', capacityBytes: 1e6 })
    await prodA.put('k', entry(clock, 'prod'))
    await devA.put('k', entry(clock, 'dev'))
    await settled() // A's own messages
    expect(bodyOf(await devA.get('k'))).toBe('dev')
    await conn.command(['DEL', `${prefix}rc:{api/dev}:0:k`]) // only A's copy can answer for dev now
    await prodB.flush()
    await eventually(async () => bodyOf(await prodA.get('k')), undefined)
    expect(bodyOf(await devA.get('k'))).toBe('dev')
  })

  it('a copy is dropped when the subscription drops (messages may have been missed) and kept again once it is back', async () => {
    const { prefix, clock, cacheA, cacheB, settled } = await twoInstances({ ttlMs: 60_000 })
    await cacheB.put('k', entry(clock, 'v1'))
    await settled()
    expect(bodyOf(await cacheA.get('k'))).toBe('v1')
    await conn.command(['DEL', entryKey(prefix, 'k')])
    expect(bodyOf(await cacheA.get('k'))).toBe('v1') // the copy
    // Kill both instances' subscriptions (named after the prefix), and wait for new ones.
    const subscribers = async () => {
      const list = await conn.command<string>(['CLIENT', 'LIST'])
      return list.split('\n').filter((line) => line.includes(` name=portico-near-cache:${prefix} `)).map((line) => /(?:^| )id=(\d+)/.exec(line)![1]!)
    }
    const killed = await subscribers()
    expect(killed).toHaveLength(2)
    for (const id of killed) await conn.command(['CLIENT', 'KILL', 'ID', id])
    await eventually(async () => (await subscribers()).filter((id) => !killed.includes(id)).length, 2)
    // Subscribed again: the copy did not survive the gap (Redis has nothing for k).
    await settled()
    expect(await cacheA.get('k')).toBeUndefined()
    // Back again: copies are kept and invalidated as before.
    await cacheB.put('k', entry(clock, 'v2'))
    await eventually(async () => bodyOf(await cacheA.get('k')), 'v2')
    await settled() // live again, and B's message is in
    expect(bodyOf(await cacheA.get('k'))).toBe('v2')
    await conn.command(['DEL', entryKey(prefix, 'k')])
    expect(bodyOf(await cacheA.get('k'))).toBe('v2') // a copy again
    await cacheB.put('k', entry(clock, 'v3'))
    await eventually(async () => bodyOf(await cacheA.get('k')), 'v3')
  })

  it('nearCacheMs 0 keeps no copies', async () => {
    const { prefix, clock, a, cacheA, cacheB } = await twoInstances({ ttlMs: 0 })
    expect(a.nearCache).toBeUndefined()
    await cacheB.put('k', entry(clock, 'v1'))
    expect(bodyOf(await cacheA.get('k'))).toBe('v1')
    await conn.command(['DEL', entryKey(prefix, 'k')])
    expect(await cacheA.get('k')).toBeUndefined()
  })

  it('copies are bounded by nearCacheBytes per stage (least recently used go first)', async () => {
    const { prefix, clock, a, cacheA, cacheB, settled } = await twoInstances({ ttlMs: 60_000, capacityBytes: 100 })
    const body = 'x'.repeat(30) // 30 + 'content-type' + 'text/plain' = 52 bytes charged
    await cacheB.put('k1', entry(clock, body))
    await cacheB.put('k2', entry(clock, body))
    await settled()
    expect(await cacheA.get('k1')).toBeDefined()
    expect(await cacheA.get('k2')).toBeDefined() // 104 bytes > 100: k1's copy is evicted
    expect(a.nearCache!.stats()).toEqual({ entries: 1, bytes: 52, evictions: 1 })
    await conn.command(['DEL', entryKey(prefix, 'k1'), entryKey(prefix, 'k2')])
    expect(await cacheA.get('k1')).toBeUndefined()
    expect(bodyOf(await cacheA.get('k2'))).toBe(body)
  })
})

describe('NearCache (no Redis)', () => {
  const make = (live = true) => {
    const clock = fakeClock()
    let isLive = live
    const near = new NearCache(clock, { ttlMs: 1000, capacityBytes: 1e6 }, () => isLive)
    return { clock, near, stage: near.stage('api/prod', 1e6), setLive: (v: boolean) => (isLive = v) }
  }

  it('a read that was in flight while an invalidation arrived is not kept', async () => {
    const { clock, near, stage } = make()
    const e = entry(clock, 'old')
    const epoch = stage.epoch // taken before the read is sent
    near.receive(invalidationMessage('api/prod', 'k')) // another instance wrote meanwhile
    await near.keep(stage, 'k', e, epoch)
    expect(near.get(stage, 'k')).toBeUndefined()
    await near.keep(stage, 'k', e, stage.epoch) // a read with nothing in between is kept
    expect(near.get(stage, 'k')).toEqual(e)
  })

  it('messages drop one key, a whole stage, or (unparsable) everything; other stages and keys stay', async () => {
    const { clock, near, stage } = make()
    const dev = near.stage('api/dev', 1e6)
    for (const [s, k] of [[stage, 'a'], [stage, 'b'], [dev, 'a']] as const) await near.keep(s, k, entry(clock, k), s.epoch)
    near.receive(invalidationMessage('api/prod', 'a'))
    expect(near.get(stage, 'a')).toBeUndefined()
    expect(bodyOf(near.get(stage, 'b'))).toBe('b')
    near.receive(invalidationMessage('api/unknown')) // a stage never read: nothing to drop
    near.receive(invalidationMessage('api/prod'))
    expect(near.get(stage, 'b')).toBeUndefined()
    expect(bodyOf(near.get(dev, 'a'))).toBe('a')
    for (const garbage of ['not json', '{"a":1}', '[1]', '["api/dev", 7]']) {
      await near.keep(dev, 'a', entry(clock, 'a'), dev.epoch)
      near.receive(garbage)
      expect(near.get(dev, 'a')).toBeUndefined()
    }
  })

  it('a stage opened again with another capacity starts over with the new bound, and stays one stage', async () => {
    const { clock, near, stage } = make()
    await near.keep(stage, 'k', entry(clock, 'v'), stage.epoch)
    const epoch = stage.epoch
    const again = near.stage('api/prod', 10)
    expect(again).toBe(stage) // earlier caches of the stage still get its invalidations
    expect(near.get(again, 'k')).toBeUndefined()
    expect(stage.epoch).toBe(epoch + 1)
    await near.keep(again, 'big', entry(clock, 'more than ten bytes'), again.epoch)
    expect(near.get(again, 'big')).toBeUndefined()
    expect(near.stage('api/prod', 10).lru).toBe(again.lru) // the same bound: nothing dropped
  })

  it('while the feed is down nothing is served or kept', async () => {
    const { clock, near, stage, setLive } = make()
    await near.keep(stage, 'k', entry(clock, 'v'), stage.epoch)
    setLive(false)
    expect(near.get(stage, 'k')).toBeUndefined()
    await near.keep(stage, 'j', entry(clock, 'j'), stage.epoch)
    setLive(true)
    expect(near.get(stage, 'j')).toBeUndefined()
  })
})

describe('two gateways on one Redis cache', () => {
  it('a miss on one is a hit on the other; a max-age=0 refresh on one reaches the other\'s copies', async () => {
    const prefix = `${RUN}${n++}:`
    let calls = 0
    const config = {
      functions: { fn: { handler: 'echo.handler' } },
      settings: { cache: { debugHeader: true } },
      apis: [
        {
          name: 'rest',
          type: 'REST',
          stages: [{ name: 'prod', variables: {}, cache: { enabled: true, ttlInSeconds: 300, requireAuthorizationForCacheControl: false } }],
          routes: [{ method: 'GET', path: '/items', integration: { type: 'lambda', function: 'fn' } }],
        },
      ],
    }
    const gateways: (ReturnType<typeof makeGateway> & { close(): Promise<void> })[] = []
    for (let i = 0; i < 2; i++) {
      const clock = fakeClock()
      const store = await openStores(`${URL}?prefix=${encodeURIComponent(prefix)}&nearCacheMs=60000`, { clock, env: {} })
      const { invoker } = scriptedInvoker(() => ({ statusCode: 200, body: JSON.stringify({ n: ++calls }) }))
      const built = makeGateway(config, { invoker, deps: { clock, stores: store.stores } })
      gateways.push({ ...built, close: store.close })
    }
    try {
      const get = async (i: number, headers: Record<string, string> = {}) => {
        const res = await gateways[i]!.app.request('/prod/items', { headers })
        return `${res.headers.get('X-Portico-Cache')} ${await res.text()}`
      }
      expect(await get(0)).toBe('miss {"n":1}')
      expect(await get(1)).toBe('hit {"n":1}')
      expect(await get(1)).toBe('hit {"n":1}')
      expect(await get(0, { 'Cache-Control': 'max-age=0' })).toBe('refresh {"n":2}')
      expect(await get(0)).toBe('hit {"n":2}')
      // Gateway 1 held a copy of n=1 (nearCacheMs is a minute, its clock stands still).
      await eventually(() => get(1), 'hit {"n":2}')
      expect(calls).toBe(2)
    } finally {
      for (const g of gateways) await g.close()
    }
  })
})

describe('opening the subscription', () => {
  it('a subscription Redis refuses fails the open at once, naming the host, and leaves nothing open', async () => {
    // A proxy to the real Redis that lets the first connection (commands) through and answers
    // every later one (the subscription) as a full server does.
    const { createServer, connect } = await import('node:net')
    let connections = 0
    const proxy = createServer((socket) => {
      if (connections++ === 0) {
        const upstream = connect(6379, '127.0.0.1')
        socket.pipe(upstream).pipe(socket)
        socket.on('error', () => upstream.destroy())
        upstream.on('error', () => socket.destroy())
        socket.on('close', () => upstream.destroy())
        return
      }
      socket.end('-ERR max number of clients reached\r\n')
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
    const port = (proxy.address() as { port: number }).port
    try {
      const started = Date.now()
      await expect(openRedisStores(`redis://127.0.0.1:${port}`, { prefix: `${RUN}refused:`, clock: fakeClock() })).rejects.toThrow(
        `cannot connect to the Redis store at redis://127.0.0.1:${port}: `,
      )
      expect(Date.now() - started).toBeLessThan(3000)
    } finally {
      proxy.close()
    }
  })
})

describe('store URL options', () => {
  it('openStores({ nearCacheMs: 0 }) (one-shot CLI commands) opens no subscription whatever the URL says', async () => {
    const prefix = `${RUN}oneshot:`
    const names = async () => (await conn.command<string>(['CLIENT', 'LIST'])).split('\n').filter((l) => l.includes(` name=portico-near-cache:${prefix} `)).length
    const served = await openStores(`${URL}?prefix=${encodeURIComponent(prefix)}&nearCacheMs=5000`, { clock: fakeClock(), env: {} })
    expect(await names()).toBe(1)
    await served.close()
    await eventually(names, 0) // the closed one goes
    const oneShot = await openStores(`${URL}?prefix=${encodeURIComponent(prefix)}&nearCacheMs=5000`, { clock: fakeClock(), env: {}, nearCacheMs: 0 })
    await new Promise((r) => setTimeout(r, 50))
    expect(await names()).toBe(0)
    await oneShot.close()
  })

  it('nearCacheMs and nearCacheBytes are checked; an option Portico does not know is refused', async () => {
    const open = (query: string) => openStores(`${URL}?prefix=${encodeURIComponent(`${RUN}opt:`)}&${query}`, { clock: fakeClock(), env: {} })
    await expect(open('nearCacheMs=-1')).rejects.toThrow('store URL option nearCacheMs must be a whole number from 0 to 60000, not "-1"')
    await expect(open('nearCacheMs=1.5')).rejects.toThrow('nearCacheMs must be a whole number')
    await expect(open('nearCacheMs=')).rejects.toThrow('nearCacheMs must be a whole number')
    await expect(open('nearCacheBytes=lots')).rejects.toThrow('nearCacheBytes must be a whole number')
    await expect(open('nearcachems=5')).rejects.toThrow('store URL option "nearcachems" is not known: use prefix, nearCacheMs or nearCacheBytes')
    const ok = await open('nearCacheMs=0')
    await ok.close()
  })
})
