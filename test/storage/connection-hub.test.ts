/**
 * ConnectionHub on memory and on Redis (two hubs on the real local server, as two gateway
 * instances would be), then what only Redis shows: an instance that is gone.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { connectionHubContract, fakeConnection } from './contract/connection-hub.contract.ts'
import { memoryConnectionHub } from '../../src/storage/memory/connection-hub.ts'
import { openRedisConnectionHub } from '../../src/storage/redis/connection-hub.ts'
import { connectRedis } from '../../src/storage/redis/client.ts'
import type { LocalConnectionHub } from '../../src/storage/ports.ts'

const URL = 'redis://127.0.0.1:6379'
const PREFIX = `portico-test:${crypto.randomUUID()}:`
const opened: LocalConnectionHub[] = []

afterAll(async () => {
  for (const hub of opened) await hub.close()
  const conn = await connectRedis(URL, { prefix: PREFIX })
  const left = (await conn.command<string[]>(['KEYS', `${PREFIX}*`])) ?? []
  if (left.length) await conn.command(['DEL', ...left])
  await conn.close()
})

connectionHubContract('memory', async () => {
  const hub = memoryConnectionHub()
  return [hub, hub]
})

let redisPair: Promise<[LocalConnectionHub, LocalConnectionHub]> | undefined
connectionHubContract('redis (two instances)', () => {
  redisPair ??= Promise.all([openRedisConnectionHub(URL, { prefix: PREFIX }), openRedisConnectionHub(URL, { prefix: PREFIX })]).then((hubs) => {
    opened.push(...hubs)
    return hubs
  })
  return redisPair
})

describe('Redis hub', () => {
  it('reads a connection whose instance went away as gone, and cleans its entry', async () => {
    const a = await openRedisConnectionHub(URL, { prefix: PREFIX })
    const b = await openRedisConnectionHub(URL, { prefix: PREFIX })
    opened.push(b)
    const c = fakeConnection()
    await a.add('GoneInstance001=', c.connection)
    expect(await b.info('GoneInstance001=')).toBeDefined()
    // An instance that dies without closing leaves its entry; simulate it with the entry kept.
    const conn = await connectRedis(URL, { prefix: PREFIX })
    const raw = await conn.command<unknown>(['HGETALL', `${PREFIX}ws:conn:GoneInstance001=`])
    const entry = Array.isArray(raw) ? (raw as string[]) : Object.entries(raw as Record<string, string>).flat()
    await a.close()
    await conn.command(['HSET', `${PREFIX}ws:conn:GoneInstance001=`, ...entry.map(String)])
    expect(await b.post('GoneInstance001=', 'x')).toBe(false)
    expect(await conn.command(['EXISTS', `${PREFIX}ws:conn:GoneInstance001=`])).toBe(0)
    expect(c.sent).toEqual([])
    await conn.close()
  })

  it('gives registry entries an expiry, refreshed while the socket is open', async () => {
    const a = await openRedisConnectionHub(URL, { prefix: PREFIX })
    opened.push(a)
    await a.add('ExpiringEntry01=', fakeConnection().connection)
    const conn = await connectRedis(URL, { prefix: PREFIX })
    const ttl = Number(await conn.command(['TTL', `${PREFIX}ws:conn:ExpiringEntry01=`]))
    expect(ttl).toBeGreaterThan(100)
    expect(ttl).toBeLessThanOrEqual(180)
    await conn.close()
  })
})
