/** The tables of the SQLite store, created on open; `user_version` records the layout. */
import type { SqlDatabase } from './db.ts'

/** The layout this code writes. A file with a newer layout is refused rather than misread. */
export const SCHEMA_VERSION = 1

const V1 = `
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL,
  -- The whole StoredApiKey as JSON, so fields added to the port survive a round trip.
  data TEXT NOT NULL,
  -- Order of the last write: when two keys share a hash the latest wins, as in memory.
  seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS api_keys_hash ON api_keys (hash);
CREATE TABLE IF NOT EXISTS usage_plans (
  id TEXT PRIMARY KEY,
  data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS plan_keys (
  plan_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  PRIMARY KEY (plan_id, key_id)
);
CREATE INDEX IF NOT EXISTS plan_keys_key ON plan_keys (key_id);
CREATE TABLE IF NOT EXISTS rate_buckets (
  key TEXT PRIMARY KEY,
  tokens REAL NOT NULL,
  updated_at INTEGER NOT NULL,
  -- When the bucket is full again (NULL: never, rate 0); a full bucket is the same as no row.
  full_at INTEGER
);
CREATE INDEX IF NOT EXISTS rate_buckets_full ON rate_buckets (full_at);
CREATE TABLE IF NOT EXISTS quota_periods (
  key TEXT PRIMARY KEY,
  -- Start of the first period the key was counted in (where the offset applies).
  first_start INTEGER NOT NULL,
  period_start INTEGER NOT NULL,
  used INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS quota_days (
  key TEXT NOT NULL,
  day TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (key, day)
);
CREATE TABLE IF NOT EXISTS authorizer_cache (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS authorizer_cache_expiry ON authorizer_cache (expires_at);
`

/**
 * Creates the tables (idempotent).
 * @throws Error when the file was written by a newer Portico
 */
export function migrate(db: SqlDatabase): void {
  const version = Number(db.prepare('PRAGMA user_version').get<{ user_version: number }>()?.user_version ?? 0)
  if (version > SCHEMA_VERSION) throw new Error(`the SQLite store has layout version ${version}; this Portico reads up to ${SCHEMA_VERSION}`)
  if (version === SCHEMA_VERSION) return
  db.transaction(() => {
    db.exec(V1)
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`)
  })
}
