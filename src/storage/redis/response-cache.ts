/**
 * ResponseCacheFactory on Redis, shared by every instance. Per stage namespace:
 *   <prefix>rc:{<namespace>}:g                  generation (a counter; flush increments it)
 *   <prefix>rc:{<namespace>}:<generation>:<key>  an entry, with a PX TTL to its expiry
 * A flush makes the old generation unreachable at once; its entries go with their TTLs.
 * Entries larger than `maxEntryBytes` (default 1 MiB, API Gateway's cacheable maximum) or than
 * the stage's capacity are not stored (and remove the entry they would have replaced). The capacity is otherwise not enforced per namespace:
 * Redis's own maxmemory policy bounds the whole (volatile-lru evicts cache entries first).
 */
import type { Clock } from '../../core/deps.ts'
import type { CachedResponse, ResponseCache, ResponseCacheFactory } from '../ports.ts'
import { entryBytes } from '../memory/response-cache.ts'
import { luaScript, type RedisConnection } from './client.ts'
import { invalidationMessage, type NearCache } from './near-cache.ts'

/** KEYS generation; ARGV entry prefix, entry suffix. Reads the entry of the current generation. */
const GET = luaScript(`
local g = redis.call('GET', KEYS[1]) or '0'
return redis.call('GET', ARGV[1] .. g .. ':' .. ARGV[2])
`)
/**
 * KEYS generation; ARGV entry prefix, suffix, value, TTL ms, invalidation channel, message.
 * Every write publishes its invalidation in the same script: no instance's near copy
 * (near-cache.ts) outlives a write it did not hear of.
 */
const PUT = luaScript(`
local g = redis.call('GET', KEYS[1]) or '0'
redis.call('SET', ARGV[1] .. g .. ':' .. ARGV[2], ARGV[3], 'PX', ARGV[4])
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1
`)
/** KEYS generation; ARGV entry prefix, suffix, invalidation channel, message. */
const DELETE = luaScript(`
local g = redis.call('GET', KEYS[1]) or '0'
local n = redis.call('DEL', ARGV[1] .. g .. ':' .. ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return n
`)
/** KEYS generation; ARGV invalidation channel, message. */
const FLUSH = luaScript(`
redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1
`)

/** The channel every write of a store under `prefix` publishes its invalidation to. */
export function invalidationChannel(prefix: string): string {
  return `${prefix}rc:invalidate`
}

/** 1 MiB: API Gateway does not cache responses larger than this. */
export const DEFAULT_MAX_ENTRY_BYTES = 1_048_576

/**
 * An entry as one binary string: 4-byte big-endian length of a JSON head (status, headers,
 * times), the head, then the body bytes as they are.
 */
export function encodeEntry(entry: CachedResponse): Buffer {
  const head = Buffer.from(JSON.stringify({ s: entry.status, h: entry.headers, a: entry.storedAt, e: entry.expiresAt }))
  const len = Buffer.alloc(4)
  len.writeUInt32BE(head.length)
  return Buffer.concat([len, head, entry.body])
}

/** The entry in `buf`, or undefined when it is not one (foreign or truncated data). */
export function decodeEntry(buf: Buffer): CachedResponse | undefined {
  if (buf.length < 4) return undefined
  const n = buf.readUInt32BE(0)
  if (4 + n > buf.length) return undefined
  try {
    const h = JSON.parse(buf.subarray(4, 4 + n).toString()) as { s: number; h: [string, string][]; a: number; e: number }
    return { status: h.s, headers: h.h, storedAt: h.a, expiresAt: h.e, body: new Uint8Array(buf.subarray(4 + n)) }
  } catch {
    return undefined
  }
}

/**
 * The Redis backend of the response cache.
 * @param clock expiry is judged by the gateway's clock; the TTL only cleans up
 * @param opts.near this instance's near cache (copies served without a round trip), fed by a
 *   subscription to invalidationChannel(conn.prefix); without it every get asks Redis
 */
export function redisResponseCache(conn: RedisConnection, clock: Clock, opts: { maxEntryBytes?: number; near?: NearCache } = {}): ResponseCacheFactory {
  const maxEntry = opts.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES
  const near = opts.near
  const channel = invalidationChannel(conn.prefix)
  return ({ namespace, capacityBytes }) => {
    const base = `${conn.prefix}rc:{${namespace}}:`
    const gen = `${base}g`
    const stage = near?.stage(namespace, capacityBytes)
    /**
     * Runs a write with this instance's copy (of `key`, or the stage's) dropped before it is
     * sent and again once it is done: a read sent between the two may have brought the old
     * entry back, and this instance's own message may come later than its next read.
     */
    const written = async <T>(write: () => Promise<T>, key?: string): Promise<T> => {
      if (!stage) return write()
      await near!.invalidate(stage, key)
      try {
        return await write()
      } finally {
        await near!.invalidate(stage, key)
      }
    }
    const cache: ResponseCache = {
      async get(key) {
        let epoch = 0
        if (stage) {
          const copy = near!.get(stage, key)
          if (copy) return copy
          epoch = stage.epoch
        }
        const buf = await conn.eval<Buffer | null>(GET, [gen], [base, key], { binary: true })
        if (buf == null) return undefined
        const entry = decodeEntry(Buffer.from(buf))
        if (!entry || entry.expiresAt <= clock.now()) return undefined
        if (stage) await near!.keep(stage, key, entry, epoch)
        return entry
      },
      async put(key, entry) {
        const ttl = entry.expiresAt - clock.now()
        const size = entryBytes(entry)
        // Refused, it still replaces: the entry it was meant to supersede goes (as in memory).
        const write =
          ttl <= 0 || size > maxEntry || size > capacityBytes
            ? () => conn.eval(DELETE, [gen], [base, key, channel, invalidationMessage(namespace, key)])
            : () => conn.eval(PUT, [gen], [base, key, encodeEntry(entry), String(Math.ceil(ttl)), channel, invalidationMessage(namespace, key)])
        await written(write, key)
      },
      async delete(key) {
        return Number(await written(() => conn.eval(DELETE, [gen], [base, key, channel, invalidationMessage(namespace, key)]), key)) > 0
      },
      async flush() {
        await written(() => conn.eval(FLUSH, [gen], [channel, invalidationMessage(namespace)]))
      },
    }
    return cache
  }
}
