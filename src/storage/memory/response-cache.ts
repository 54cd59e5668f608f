/**
 * ResponseCache in memory (Node, Bun; one per process and stage): bounded by bytes, least
 * recently used entries evicted first. A Map keeps insertion order, so moving an entry to the
 * end on every read makes its first key the least recently used one.
 */
import type { Clock } from '../../core/deps.ts'
import type { CachedResponse, ResponseCache, ResponseCacheFactory } from '../ports.ts'

/** What a memory cache can report beyond the port (read by the cache feature's stats). */
export interface MemoryResponseCacheStats {
  entries: number
  bytes: number
  /** Entries dropped to make room (not expiries, not replacements). */
  evictions: number
}

/** A ResponseCache that also reports its size. */
export interface MemoryResponseCache extends ResponseCache {
  stats(): MemoryResponseCacheStats
  /** get() without the promise (for callers that are themselves a cache's fast path). */
  peek(key: string): CachedResponse | undefined
}

/**
 * The bytes an entry is charged: the whole body plus every header name and value. Bodies are
 * counted in full (no sharing, no compression), so the bound holds for what is really kept.
 */
export function entryBytes(entry: CachedResponse): number {
  let size = entry.body.byteLength
  // Header names and values are byte strings (one byte per character on the wire).
  for (const [name, value] of entry.headers) size += name.length + value.length
  return size
}

/**
 * The memory backend: a factory opening one LRU per stage namespace.
 * @param clock expiry is judged by the gateway's clock (fake in tests)
 */
export function memoryResponseCache(clock: Clock): ResponseCacheFactory {
  return ({ capacityBytes }) => memoryLru(clock, capacityBytes)
}

/** One bounded LRU; exported for tests that drive a cache directly. */
export function memoryLru(clock: Clock, capacityBytes: number): MemoryResponseCache {
  const entries = new Map<string, { entry: CachedResponse; size: number }>()
  let bytes = 0
  let evictions = 0

  const remove = (key: string): boolean => {
    const held = entries.get(key)
    if (!held) return false
    entries.delete(key)
    bytes -= held.size
    return true
  }

  const peek = (key: string): CachedResponse | undefined => {
    const held = entries.get(key)
    if (!held) return undefined
    if (held.entry.expiresAt <= clock.now()) {
      remove(key)
      return undefined
    }
    // Most recently used goes last.
    entries.delete(key)
    entries.set(key, held)
    return held.entry
  }

  return {
    peek,
    async get(key) {
      return peek(key)
    },
    async put(key, entry) {
      remove(key)
      const size = entryBytes(entry)
      // An entry that could never fit would empty the whole cache and still not fit.
      if (size > capacityBytes || entry.expiresAt <= clock.now()) return
      entries.set(key, { entry, size })
      bytes += size
      while (bytes > capacityBytes) {
        const oldest = entries.keys().next().value!
        remove(oldest)
        evictions++
      }
    },
    async delete(key) {
      return remove(key)
    },
    async flush() {
      entries.clear()
      bytes = 0
    },
    stats() {
      return { entries: entries.size, bytes, evictions }
    },
  }
}
