/** AuthorizerCache on SQLite: JSON values with an expiry judged by the gateway's clock. */
import type { Clock } from '../../core/deps.ts'
import type { AuthorizerCache } from '../ports.ts'
import type { SqlDatabase } from './db.ts'

/**
 * Entries in `authorizer_cache`; expired rows are dropped when read and, every `pruneEvery`
 * writes, all at once.
 */
export function sqliteAuthorizerCache(db: SqlDatabase, clock: Clock, pruneEvery = 1000): AuthorizerCache {
  let writes = 0
  return {
    async get(key) {
      const row = db.prepare('SELECT value, expires_at FROM authorizer_cache WHERE key = ?').get<{ value: string; expires_at: number }>(key)
      if (!row) return undefined
      if (Number(row.expires_at) <= clock.now()) {
        db.prepare('DELETE FROM authorizer_cache WHERE key = ? AND expires_at <= ?').run(key, clock.now())
        return undefined
      }
      return JSON.parse(row.value) as unknown
    },
    async set(key, value, ttlSeconds) {
      if (ttlSeconds <= 0) return
      const now = clock.now()
      db.transaction(() => {
        db.prepare(
          `INSERT INTO authorizer_cache (key, value, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
        ).run(key, JSON.stringify(value) ?? 'null', now + ttlSeconds * 1000)
        if (++writes % pruneEvery === 0) db.prepare('DELETE FROM authorizer_cache WHERE expires_at <= ?').run(now)
      })
    },
    async clear() {
      db.transaction(() => {
        db.prepare('DELETE FROM authorizer_cache').run()
      })
    },
  }
}
