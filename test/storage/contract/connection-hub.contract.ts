/**
 * The ConnectionHub contract, run against every hub whose sockets live in the process (memory,
 * Redis): registration, posts, details, disconnection, activity. `pair` gives two hubs that
 * share their connections (two instances on one Redis); memory gives the same hub twice.
 */
import { describe, expect, it } from 'vitest'
import type { ConnectionInfo, LocalConnection, LocalConnectionHub } from '../../../src/storage/ports.ts'

/** A fake socket: what was sent, whether and how it was closed. */
export function fakeConnection(info: Partial<ConnectionInfo> = {}) {
  const sent: (string | Uint8Array)[] = []
  const closes: { code?: number; reason?: string }[] = []
  const connection: LocalConnection = {
    info: { apiId: 'api1', stage: 'prod', connectedAt: 1000, lastActiveAt: 1000, sourceIp: '10.0.0.1', userAgent: 'test', ...info },
    send: (d) => sent.push(d),
    close: (code, reason) => closes.push({ code, reason }),
  }
  return { connection, sent, closes }
}

let n = 0
const nextId = () => `ConnContract${String(n++).padStart(3, '0')}=`

/** Waits for a delivery that may cross a pub/sub hop. */
async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('not delivered in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

export function connectionHubContract(name: string, pair: () => Promise<[LocalConnectionHub, LocalConnectionHub]>) {
  describe(`ConnectionHub contract: ${name}`, () => {
    it('knows nothing of a connection that was never added', async () => {
      const [a] = await pair()
      const id = nextId()
      expect(await a.post(id, 'x')).toBe(false)
      expect(await a.info(id)).toBeUndefined()
      expect(await a.disconnect(id)).toBe(false)
    })

    it('posts text and bytes to a connection, from the hub that holds it and from the other', async () => {
      const [a, b] = await pair()
      const id = nextId()
      const c = fakeConnection()
      await a.add(id, c.connection)
      expect(await a.post(id, 'local')).toBe(true)
      expect(await b.post(id, 'remote')).toBe(true)
      expect(await b.post(id, new Uint8Array([1, 2, 255]))).toBe(true)
      await until(() => c.sent.length === 3)
      expect(c.sent.slice(0, 1)).toEqual(['local'])
      expect(c.sent).toContain('remote')
      expect(c.sent.find((d) => d instanceof Uint8Array)).toEqual(new Uint8Array([1, 2, 255]))
      await a.remove(id)
    })

    it('describes a connection, with its last activity', async () => {
      const [a, b] = await pair()
      const id = nextId()
      const c = fakeConnection({ connectedAt: 5000, lastActiveAt: 5000 })
      await a.add(id, c.connection)
      a.touch(id, 9000)
      await until(() => true)
      const expected = { apiId: 'api1', stage: 'prod', connectedAt: 5000, lastActiveAt: 9000, sourceIp: '10.0.0.1', userAgent: 'test' }
      expect(await a.info(id)).toEqual(expected)
      await new Promise((r) => setTimeout(r, 50))
      expect(await b.info(id)).toEqual(expected)
      await a.remove(id)
    })

    it('disconnects from either hub; the connection is gone at once', async () => {
      const [a, b] = await pair()
      const one = nextId()
      const two = nextId()
      const c1 = fakeConnection()
      const c2 = fakeConnection()
      await a.add(one, c1.connection)
      await a.add(two, c2.connection)
      expect(await a.disconnect(one)).toBe(true)
      expect(c1.closes).toEqual([{ code: 1000, reason: 'Connection Closed Normally' }])
      expect(await a.post(one, 'x')).toBe(false)
      expect(await b.disconnect(two)).toBe(true)
      await until(() => c2.closes.length === 1)
      expect(await b.info(two)).toBeUndefined()
    })

    it('forgets a removed connection', async () => {
      const [a, b] = await pair()
      const id = nextId()
      const c = fakeConnection()
      await a.add(id, c.connection)
      await a.remove(id)
      expect(await a.post(id, 'x')).toBe(false)
      expect(await b.post(id, 'x')).toBe(false)
      expect(await b.info(id)).toBeUndefined()
      expect(c.sent).toEqual([])
    })
  })
}
