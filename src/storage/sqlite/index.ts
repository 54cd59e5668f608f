/**
 * The SQLite store (Node's node:sqlite, Bun's bun:sqlite): API keys, usage plans, token
 * buckets, quota counts and cached authorizer decisions in one file, kept across restarts.
 * Meant for one gateway process (WAL lets the CLI read and write alongside it); several
 * instances should share Redis instead.
 */
import type { Clock, Stores } from '../../core/deps.ts'
import { openSqlite, type SqlDatabase } from './db.ts'
import { migrate } from './schema.ts'
import { sqliteKeyStore } from './key-store.ts'
import { sqliteRateLimiter } from './rate-limiter.ts'
import { sqliteQuotaCounter } from './quota-counter.ts'
import { sqliteAuthorizerCache } from './authorizer-cache.ts'

export { openSqlite, type SqlDatabase, type SqlStatement, type SqlValue } from './db.ts'
export { migrate, SCHEMA_VERSION } from './schema.ts'
export { sqliteKeyStore } from './key-store.ts'
export { sqliteRateLimiter } from './rate-limiter.ts'
export { sqliteQuotaCounter } from './quota-counter.ts'
export { sqliteAuthorizerCache } from './authorizer-cache.ts'

/** The stores on one SQLite file. */
export interface SqliteStores {
  stores: Pick<Stores, 'keyStore' | 'rateLimiter' | 'quotaCounter' | 'authorizerCache'>
  db: SqlDatabase
  close(): Promise<void>
}

/**
 * Opens (creating when missing) the store at `path` (':memory:' for a throwaway one).
 * @param opts.clock expiry of cached authorizer decisions
 */
export async function openSqliteStores(path: string, opts: { clock: Clock }): Promise<SqliteStores> {
  const db = await openSqlite(path)
  try {
    migrate(db)
  } catch (err) {
    db.close()
    throw err
  }
  let closed = false
  return {
    db,
    stores: {
      keyStore: sqliteKeyStore(db),
      rateLimiter: sqliteRateLimiter(db),
      quotaCounter: sqliteQuotaCounter(db),
      authorizerCache: sqliteAuthorizerCache(db, opts.clock),
    },
    async close() {
      if (closed) return
      closed = true
      db.close()
    },
  }
}
