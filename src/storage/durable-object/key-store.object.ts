/**
 * API keys, usage plans and their links in one Durable Object (the stub client uses the
 * instance named "keys"), and the authorizer cache (instance "authorizer-cache": same class,
 * its own storage). Every method is synchronous SQLite with no await inside, so each write
 * is whole or absent and no two interleave.
 */
import { DurableObjectClass } from './runtime.ts'
import type { StoredApiKey, StoredUsagePlan } from '../ports.ts'

/** Entries the authorizer cache keeps at most; the oldest go first. */
const MAX_AUTHZ_ENTRIES = 10_000

export class PorticoKeyStore extends DurableObjectClass {
  private ready = false
  private sets = 0

  private schema(): void {
    if (this.ready) return
    const sql = this.ctx.storage.sql
    sql.exec('CREATE TABLE IF NOT EXISTS keys (id TEXT PRIMARY KEY, hash TEXT NOT NULL, created_at REAL NOT NULL, json TEXT NOT NULL)')
    sql.exec('CREATE INDEX IF NOT EXISTS keys_hash ON keys (hash)')
    sql.exec('CREATE TABLE IF NOT EXISTS plans (id TEXT PRIMARY KEY, created_at REAL NOT NULL, json TEXT NOT NULL)')
    sql.exec('CREATE TABLE IF NOT EXISTS links (plan_id TEXT NOT NULL, key_id TEXT NOT NULL, PRIMARY KEY (plan_id, key_id))')
    sql.exec('CREATE INDEX IF NOT EXISTS links_key ON links (key_id)')
    // expires: the gateway's clock (what get() compares); wall: real time, for cleanup.
    sql.exec('CREATE TABLE IF NOT EXISTS authz (key TEXT PRIMARY KEY, json TEXT NOT NULL, expires REAL NOT NULL, wall REAL NOT NULL)')
    sql.exec('CREATE INDEX IF NOT EXISTS authz_wall ON authz (wall)')
    this.ready = true
  }

  private rows<T extends Record<string, string | number | null>>(query: string, ...bindings: unknown[]): T[] {
    this.schema()
    return this.ctx.storage.sql.exec<T>(query, ...bindings).toArray()
  }

  findByHash(hash: string): StoredApiKey | undefined {
    const row = this.rows<{ json: string }>('SELECT json FROM keys WHERE hash = ? ORDER BY rowid DESC LIMIT 1', hash)[0]
    return row && (JSON.parse(row.json) as StoredApiKey)
  }

  get(id: string): StoredApiKey | undefined {
    const row = this.rows<{ json: string }>('SELECT json FROM keys WHERE id = ?', id)[0]
    return row && (JSON.parse(row.json) as StoredApiKey)
  }

  put(key: StoredApiKey): void {
    this.rows(
      'INSERT INTO keys (id, hash, created_at, json) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, created_at = excluded.created_at, json = excluded.json',
      key.id,
      key.hash,
      key.createdAt,
      JSON.stringify(key),
    )
  }

  delete(id: string): boolean {
    const gone = this.rows<{ id: string }>('DELETE FROM keys WHERE id = ? RETURNING id', id).length > 0
    if (gone) this.rows('DELETE FROM links WHERE key_id = ?', id)
    return gone
  }

  list(): StoredApiKey[] {
    return this.rows<{ json: string }>('SELECT json FROM keys ORDER BY created_at, id').map((r) => JSON.parse(r.json) as StoredApiKey)
  }

  putPlan(plan: StoredUsagePlan): void {
    this.rows(
      'INSERT INTO plans (id, created_at, json) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at, json = excluded.json',
      plan.id,
      plan.createdAt,
      JSON.stringify(plan),
    )
  }

  getPlan(id: string): StoredUsagePlan | undefined {
    const row = this.rows<{ json: string }>('SELECT json FROM plans WHERE id = ?', id)[0]
    return row && (JSON.parse(row.json) as StoredUsagePlan)
  }

  listPlans(): StoredUsagePlan[] {
    return this.rows<{ json: string }>('SELECT json FROM plans ORDER BY created_at, id').map((r) => JSON.parse(r.json) as StoredUsagePlan)
  }

  deletePlan(id: string): boolean {
    const gone = this.rows<{ id: string }>('DELETE FROM plans WHERE id = ? RETURNING id', id).length > 0
    if (gone) this.rows('DELETE FROM links WHERE plan_id = ?', id)
    return gone
  }

  linkKey(planId: string, keyId: string): void {
    this.rows('INSERT OR IGNORE INTO links (plan_id, key_id) VALUES (?, ?)', planId, keyId)
  }

  unlinkKey(planId: string, keyId: string): boolean {
    return this.rows('DELETE FROM links WHERE plan_id = ? AND key_id = ? RETURNING plan_id', planId, keyId).length > 0
  }

  plansOfKey(keyId: string): string[] {
    return this.rows<{ plan_id: string }>('SELECT plan_id FROM links WHERE key_id = ? ORDER BY plan_id', keyId).map((r) => r.plan_id)
  }

  keysOfPlan(planId: string): string[] {
    return this.rows<{ key_id: string }>('SELECT key_id FROM links WHERE plan_id = ? ORDER BY key_id', planId).map((r) => r.key_id)
  }

  /** The cached JSON under `key` unless it expired at `now` (the gateway's clock). */
  authzGet(key: string, now: number): string | undefined {
    const row = this.rows<{ json: string; expires: number }>('SELECT json, expires FROM authz WHERE key = ?', key)[0]
    if (!row) return undefined
    if (row.expires <= now) {
      this.rows('DELETE FROM authz WHERE key = ?', key)
      return undefined
    }
    return row.json
  }

  /** Stores `json` until `expires` (gateway clock); real-time expiry drops it after ttlMs. */
  authzSet(key: string, json: string, expires: number, ttlMs: number): void {
    const wall = Date.now()
    this.rows('DELETE FROM authz WHERE wall <= ?', wall)
    this.rows(
      'INSERT INTO authz (key, json, expires, wall) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET json = excluded.json, expires = excluded.expires, wall = excluded.wall',
      key,
      json,
      expires,
      wall + ttlMs,
    )
    // The bound costs a walk of the index: checked every hundredth write, not each one.
    if (++this.sets % 100 === 0) {
      this.rows('DELETE FROM authz WHERE key IN (SELECT key FROM authz ORDER BY wall DESC LIMIT -1 OFFSET ?)', MAX_AUTHZ_ENTRIES)
    }
  }

  authzClear(): void {
    this.rows('DELETE FROM authz')
  }
}
