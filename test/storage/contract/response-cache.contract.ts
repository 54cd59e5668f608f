/**
 * The ResponseCache contract: every backend (memory, Redis, the Workers Cache API) runs these
 * cases through its ResponseCacheFactory. Expiry is judged by the gateway's clock, which the
 * subject hands over and the cases move by hand, so nothing waits for real.
 *
 * Portable (no node:* imports): it also runs inside workerd.
 *
 * Usage:
 *   responseCacheContract('redis', async () => {
 *     const clock = fakeClock()
 *     return { factory: redisResponseCache(view(), clock), clock }
 *   })
 *
 * open() is called once per test. Every case opens its stages under random namespaces, so a
 * factory over shared storage (a Redis prefix, caches.default) works as well as a fresh one.
 * The clock must be the one the factory judges expiry by; advance() may be given a negative
 * number (a clock that goes back).
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { CachedResponse, ResponseCache, ResponseCacheFactory } from '../../../src/storage/ports.ts'
import { entryBytes } from '../../../src/storage/memory/response-cache.ts'

export interface ResponseCacheSubject {
  factory: ResponseCacheFactory
  clock: { now(): number; advance(ms: number): void }
  close?(): Promise<void>
}

/** Room for every case's entries. */
const ROOMY = 1 << 20

export function responseCacheContract(name: string, open: () => Promise<ResponseCacheSubject>) {

  describe(`ResponseCache contract: ${name}`, () => {
    let opened: ResponseCacheSubject[] = []
    afterEach(async () => {
      const closing = opened
      opened = []
      for (const s of closing) await s.close?.()
    })
    async function setup() {
      const subject = await open()
      opened.push(subject)
      const { factory, clock } = subject
      /** One stage's cache under a namespace of its own ("apiId/stage", as the gateway names them). */
      const stage = (capacityBytes = ROOMY): ResponseCache =>
        factory({ namespace: `c${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}/prod`, capacityBytes })
      return { clock, stage }
    }
    /** A small entry stored now, living `ttlMs`; `tag` tells entries apart by body and status. */
    const entry = (now: number, tag: string, ttlMs = 60_000, status = 200): CachedResponse => ({
      status,
      headers: [['content-type', 'text/plain']],
      body: new TextEncoder().encode(tag),
      storedAt: now,
      expiresAt: now + ttlMs,
    })

    it('put then get gives back the status, the headers in order with repeated names, every body byte and both times', async () => {
      const { clock, stage } = await setup()
      const cache = stage()
      const now = clock.now()
      const body = new Uint8Array(512)
      // Every byte value, then the same backwards: not text, not UTF-8.
      for (let i = 0; i < 256; i++) body[i] = body[511 - i] = i
      const stored: CachedResponse = {
        status: 203,
        headers: [
          ['content-type', 'application/octet-stream'],
          ['x-multi', 'a'],
          ['set-cookie', 'a=1; Path=/; HttpOnly'],
          ['x-multi', 'b'],
          ['set-cookie', 'b=2'],
          ['x-odd', 'caf\u00e9 "quoted", comma; semi'],
        ],
        body,
        // Times that are neither the clock's now nor whole seconds.
        storedAt: now - 1_500,
        expiresAt: now + 60_123,
      }
      await cache.put('k', stored)
      const got = await cache.get('k')
      expect(got).toEqual(stored)
      expect(got!.body).toBeInstanceOf(Uint8Array)
      expect(Array.from(got!.body)).toEqual(Array.from(body))

      const empty: CachedResponse = { status: 204, headers: [], body: new Uint8Array(0), storedAt: now, expiresAt: now + 1_000 }
      await cache.put('empty', empty)
      expect(await cache.get('empty')).toEqual(empty)
    })

    it('get of a key never stored is undefined, in a used stage and in a new one', async () => {
      const { clock, stage } = await setup()
      const cache = stage()
      expect(await cache.get('k')).toBeUndefined()
      await cache.put('k', entry(clock.now(), 'k'))
      expect(await cache.get('other')).toBeUndefined()
      expect(await cache.get('K')).toBeUndefined()
    })

    it('an entry lives by the given clock: there 1 ms before expiresAt, gone at expiresAt', async () => {
      const { clock, stage } = await setup()
      const cache = stage()
      // Lifetimes that are not whole seconds: expiry is to the millisecond.
      const short = entry(clock.now(), 'short', 10_250)
      const long = entry(clock.now(), 'long', 20_500)
      await cache.put('short', short)
      await cache.put('long', long)
      clock.advance(10_249)
      expect(await cache.get('short')).toEqual(short)
      clock.advance(1)
      expect(await cache.get('short')).toBeUndefined()
      expect(await cache.get('long')).toEqual(long)
      clock.advance(10_249)
      expect(await cache.get('long')).toEqual(long)
      clock.advance(1)
      expect(await cache.get('long')).toBeUndefined()
    })

    it('put replaces an existing entry, its expiry included', async () => {
      const { clock, stage } = await setup()
      const cache = stage()
      const t0 = clock.now()
      await cache.put('k', entry(t0, 'first, and longer', 10_000, 200))
      const second: CachedResponse = { ...entry(t0, 'second', 60_000, 404), headers: [['x-second', '1']] }
      await cache.put('k', second)
      expect(await cache.get('k')).toEqual(second)
      // The first entry's expiry no longer applies...
      clock.advance(30_000)
      expect(await cache.get('k')).toEqual(second)
      // ...and a shorter one replacing it does not bring the longer one back when it ends.
      const third = entry(clock.now(), 'third', 5_000, 201)
      await cache.put('k', third)
      expect(await cache.get('k')).toEqual(third)
      clock.advance(5_000)
      expect(await cache.get('k')).toBeUndefined()
    })

    it('delete says whether it removed an entry, and the entry is gone', async () => {
      const { clock, stage } = await setup()
      const cache = stage()
      // Nothing ever written to this stage.
      expect(await cache.delete('a')).toBe(false)
      const b = entry(clock.now(), 'b')
      await cache.put('a', entry(clock.now(), 'a'))
      await cache.put('b', b)
      expect(await cache.delete('never')).toBe(false)
      expect(await cache.delete('a')).toBe(true)
      expect(await cache.get('a')).toBeUndefined()
      expect(await cache.delete('a')).toBe(false)
      expect(await cache.get('b')).toEqual(b)
    })

    it('flush empties that stage only; the stage takes new entries afterwards', async () => {
      const { clock, stage } = await setup()
      const mine = stage()
      const theirs = stage()
      const kept = entry(clock.now(), 'theirs')
      await mine.put('a', entry(clock.now(), 'a'))
      await mine.put('b', entry(clock.now(), 'b'))
      await theirs.put('a', kept)
      await mine.flush()
      expect(await mine.get('a')).toBeUndefined()
      expect(await mine.get('b')).toBeUndefined()
      expect(await mine.delete('b')).toBe(false)
      expect(await theirs.get('a')).toEqual(kept)
      const after = entry(clock.now(), 'after')
      await mine.put('a', after)
      expect(await mine.get('a')).toEqual(after)
      // A second flush, and one of a stage never written to.
      await mine.flush()
      expect(await mine.get('a')).toBeUndefined()
      await stage().flush()
      expect(await theirs.get('a')).toEqual(kept)
    })

    it('stages are separate: the same key holds one entry in each', async () => {
      const { clock, stage } = await setup()
      const one = stage()
      const two = stage()
      const a = entry(clock.now(), 'one', 60_000, 200)
      const b = entry(clock.now(), 'two', 60_000, 500)
      await one.put('k', a)
      expect(await two.get('k')).toBeUndefined()
      await two.put('k', b)
      expect(await one.get('k')).toEqual(a)
      expect(await two.get('k')).toEqual(b)
      expect(await one.delete('k')).toBe(true)
      expect(await two.get('k')).toEqual(b)
    })

    it('an entry already expired when put is not stored', async () => {
      const { clock, stage } = await setup()
      const cache = stage()
      const now = clock.now()
      await cache.put('at', { ...entry(now, 'at'), expiresAt: now })
      await cache.put('before', { ...entry(now, 'before'), expiresAt: now - 1 })
      expect(await cache.get('at')).toBeUndefined()
      expect(await cache.get('before')).toBeUndefined()
      // Had they been stored (and only hidden on read), a clock that goes back would show them.
      clock.advance(-60_000)
      expect(await cache.get('at')).toBeUndefined()
      expect(await cache.get('before')).toBeUndefined()
      expect(await cache.delete('at')).toBe(false)
      expect(await cache.delete('before')).toBe(false)
    })

    it('an entry larger than the stage capacity is not stored; one of exactly the capacity is', async () => {
      const { clock, stage } = await setup()
      const capacityBytes = 4096
      const cache = stage(capacityBytes)
      const sized = (bytes: number): CachedResponse => {
        const e = entry(clock.now(), '')
        e.body = new Uint8Array(bytes - entryBytes(e)).fill(7)
        expect(entryBytes(e)).toBe(bytes)
        return e
      }
      const small = entry(clock.now(), 'small')
      await cache.put('small', small)
      await cache.put('over', sized(capacityBytes + 1))
      expect(await cache.get('over')).toBeUndefined()
      expect(await cache.delete('over')).toBe(false)
      // Refusing the large entry left the others alone.
      expect(await cache.get('small')).toEqual(small)
      // A stage with room for it would have kept it.
      const roomy = stage(capacityBytes + 1)
      const over = sized(capacityBytes + 1)
      await roomy.put('over', over)
      expect(await roomy.get('over')).toEqual(over)
      const exact = sized(capacityBytes)
      await cache.put('exact', exact)
      expect(await cache.get('exact')).toEqual(exact)
    })

    it('a refused put (already expired, or larger than the stage) removes the entry it would have replaced', async () => {
      const { clock, stage } = await setup()
      const cache = stage(4096)
      const now = clock.now()
      await cache.put('expired', entry(now, 'old'))
      await cache.put('expired', { ...entry(now, 'new'), expiresAt: now })
      expect(await cache.get('expired')).toBeUndefined()
      await cache.put('large', entry(now, 'old'))
      const large = entry(now, '')
      large.body = new Uint8Array(5000)
      await cache.put('large', large)
      expect(await cache.get('large')).toBeUndefined()
    })
  })
}
