/** AuthorizerCache in memory, with expiry from the injected clock and a bound on entries. */
import type { Clock } from '../../core/deps.ts'
import type { AuthorizerCache } from '../ports.ts'

/** @param maxEntries oldest entries go first past this bound */
export function memoryAuthorizerCache(clock: Clock, maxEntries = 10_000): AuthorizerCache {
  const entries = new Map<string, { value: unknown; expires: number }>()
  return {
    async get(key) {
      const e = entries.get(key)
      if (!e) return undefined
      if (e.expires <= clock.now()) {
        entries.delete(key)
        return undefined
      }
      return e.value
    },
    async set(key, value, ttlSeconds) {
      if (ttlSeconds <= 0) return
      entries.delete(key)
      entries.set(key, { value, expires: clock.now() + ttlSeconds * 1000 })
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!)
    },
    async clear() {
      entries.clear()
    },
  }
}
