/** KeyStore on SQLite: keys, usage plans and their links in three tables. */
import type { KeyStore, StoredApiKey, StoredUsagePlan } from '../ports.ts'
import type { SqlDatabase } from './db.ts'

/** A KeyStore on an open (migrated) database. Every write is one transaction. */
export function sqliteKeyStore(db: SqlDatabase): KeyStore {
  const parseKey = (row: { data: string } | undefined): StoredApiKey | undefined => (row ? (JSON.parse(row.data) as StoredApiKey) : undefined)
  const parsePlan = (row: { data: string } | undefined): StoredUsagePlan | undefined => (row ? (JSON.parse(row.data) as StoredUsagePlan) : undefined)
  return {
    async findByHash(hash) {
      return parseKey(db.prepare('SELECT data FROM api_keys WHERE hash = ? ORDER BY seq DESC LIMIT 1').get<{ data: string }>(hash))
    },
    async get(id) {
      return parseKey(db.prepare('SELECT data FROM api_keys WHERE id = ?').get<{ data: string }>(id))
    },
    async put(key) {
      db.transaction(() => {
        // An upsert keeps the row (and so the listing order) of a key written before.
        db.prepare(
          `INSERT INTO api_keys (id, hash, data, seq) VALUES (?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM api_keys))
           ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, data = excluded.data, seq = excluded.seq`,
        ).run(key.id, key.hash, JSON.stringify(key))
      })
    },
    async delete(id) {
      return db.transaction(() => {
        if (!db.prepare('SELECT 1 AS x FROM api_keys WHERE id = ?').get(id)) return false
        db.prepare('DELETE FROM plan_keys WHERE key_id = ?').run(id)
        db.prepare('DELETE FROM api_keys WHERE id = ?').run(id)
        return true
      })
    },
    async list() {
      return db.prepare('SELECT data FROM api_keys ORDER BY rowid').all<{ data: string }>().map((r) => parseKey(r)!)
    },
    async putPlan(plan) {
      db.transaction(() => {
        db.prepare('INSERT INTO usage_plans (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data').run(plan.id, JSON.stringify(plan))
      })
    },
    async getPlan(id) {
      return parsePlan(db.prepare('SELECT data FROM usage_plans WHERE id = ?').get<{ data: string }>(id))
    },
    async listPlans() {
      return db.prepare('SELECT data FROM usage_plans ORDER BY rowid').all<{ data: string }>().map((r) => parsePlan(r)!)
    },
    async deletePlan(id) {
      return db.transaction(() => {
        if (!db.prepare('SELECT 1 AS x FROM usage_plans WHERE id = ?').get(id)) return false
        db.prepare('DELETE FROM plan_keys WHERE plan_id = ?').run(id)
        db.prepare('DELETE FROM usage_plans WHERE id = ?').run(id)
        return true
      })
    },
    async linkKey(planId, keyId) {
      db.transaction(() => {
        db.prepare('INSERT INTO plan_keys (plan_id, key_id) VALUES (?, ?) ON CONFLICT DO NOTHING').run(planId, keyId)
      })
    },
    async unlinkKey(planId, keyId) {
      return db.transaction(() => {
        if (!db.prepare('SELECT 1 AS x FROM plan_keys WHERE plan_id = ? AND key_id = ?').get(planId, keyId)) return false
        db.prepare('DELETE FROM plan_keys WHERE plan_id = ? AND key_id = ?').run(planId, keyId)
        return true
      })
    },
    async plansOfKey(keyId) {
      return db.prepare('SELECT plan_id FROM plan_keys WHERE key_id = ? ORDER BY rowid').all<{ plan_id: string }>(keyId).map((r) => r.plan_id)
    },
    async keysOfPlan(planId) {
      return db.prepare('SELECT key_id FROM plan_keys WHERE plan_id = ? ORDER BY rowid').all<{ key_id: string }>(planId).map((r) => r.key_id)
    },
  }
}
