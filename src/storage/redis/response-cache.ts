/**
 * ResponseCacheFactory on Redis, shared by every instance. Per stage namespace:
 *   <prefix>rc:{<namespace>}:g                  generation (a counter; flush increments it)
 *   <prefix>rc:{<namespace>}:<generation>:<key>  an entry, with a PX TTL to its expiry
 * A flush makes the old generation unreachable at once; its entries go with their TTLs.
 * Entries larger than `maxEntryBytes` (default 1 MiB, API Gateway's cacheable maximum) or than
 * the stage's capacity are not stored. The capacity is otherwise not enforced per namespace:
 * Redis's own maxmemory policy bounds the whole (volatile-lru evicts cache entries first).
 */
import type { Clock } from '../../core/deps.ts'
import type { CachedResponse, ResponseCache, ResponseCacheFactory } from '../ports.ts'
import { entryBytes } from '../memory/response-cache.ts'
import { luaScript, type RedisConnection } from './client.ts'

/** KEYS generation; ARGV entry prefix, entry suffix. Reads the entry of the current generation. */
const GET = luaScript(`
local g = redis.call('GET', KEYS[1]) or '0'
return redis.call('GET', ARGV[1] .. g .. ':' .. ARGV[2])
`)
/** KEYS generation; ARGV entry prefix, suffix, value, TTL ms. */
const PUT = luaScript(`
local g = redis.call('GET', KEYS[1]) or '0'
redis.call('SET', ARGV[1] .. g .. ':' .. ARGV[2], ARGV[3], 'PX', ARGV[4])
return 1
`)
/** KEYS generation; ARGV entry prefix, suffix. */
const DELETE = luaScript(`
local g = redis.call('GET', KEYS[1]) or '0'
return redis.call('DEL', ARGV[1] .. g .. ':' .. ARGV[2])
`)

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
 */
export function redisResponseCache(conn: RedisConnection, clock: Clock, opts: { maxEntryBytes?: number } = {}): ResponseCacheFactory {
  const maxEntry = opts.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES
  return ({ namespace, capacityBytes }) => {
    const base = `${conn.prefix}rc:{${namespace}}:`
    const gen = `${base}g`
    const cache: ResponseCache = {
      async get(key) {
        const buf = await conn.eval<Buffer | null>(GET, [gen], [base, key], { binary: true })
        if (buf == null) return undefined
        const entry = decodeEntry(Buffer.from(buf))
        if (!entry || entry.expiresAt <= clock.now()) return undefined
        return entry
      },
      async put(key, entry) {
        const ttl = entry.expiresAt - clock.now()
        const size = entryBytes(entry)
        if (ttl <= 0 || size > maxEntry || size > capacityBytes) return
        await conn.eval(PUT, [gen], [base, key, encodeEntry(entry), String(Math.ceil(ttl))])
      },
      async delete(key) {
        return Number(await conn.eval(DELETE, [gen], [base, key])) > 0
      },
      async flush() {
        await conn.command(['INCR', gen])
      },
    }
    return cache
  }
}
