/** RateLimiter on SQLite: one row per bucket, read and written in one transaction. */
import type { RateLimiter } from '../ports.ts'
import { takeFromBucket } from '../memory/rate-limiter.ts'
import type { SqlDatabase } from './db.ts'

/**
 * Token buckets in `rate_buckets`, with the memory store's arithmetic. Rows of buckets that
 * have refilled are deleted now and then: a missing row reads as a full bucket, so this loses
 * nothing.
 * @param pruneEvery takes between two prunes
 */
export function sqliteRateLimiter(db: SqlDatabase, pruneEvery = 1000): RateLimiter {
  let takes = 0
  return {
    async take(key, limit, now) {
      return db.transaction(() => {
        const row = db.prepare('SELECT tokens, updated_at FROM rate_buckets WHERE key = ?').get<{ tokens: number; updated_at: number }>(key)
        const { state, result } = takeFromBucket(row && { tokens: Number(row.tokens), updatedAt: Number(row.updated_at) }, limit, now)
        const fullAt = Number.isFinite(result.resetMs) ? state.updatedAt + result.resetMs : null
        db.prepare(
          `INSERT INTO rate_buckets (key, tokens, updated_at, full_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at, full_at = excluded.full_at`,
        ).run(key, state.tokens, state.updatedAt, fullAt)
        if (++takes % pruneEvery === 0) db.prepare('DELETE FROM rate_buckets WHERE full_at <= ? AND key <> ?').run(now, key)
        return result
      })
    },
  }
}
