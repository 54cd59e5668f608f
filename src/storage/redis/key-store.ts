/**
 * KeyStore on Redis:
 *   <prefix>{ks}:keys        hash id → StoredApiKey JSON
 *   <prefix>{ks}:hash        hash value-hash → id (findByHash)
 *   <prefix>{ks}:plans       hash id → StoredUsagePlan JSON
 *   <prefix>{ks}:pk:<plan>   set of key ids linked to the plan
 *   <prefix>{ks}:kp:<key>    set of plan ids the key is linked to
 * Writes that depend on what is stored (a key's old hash, a deleted key's links) are Lua
 * scripts; the others MULTI. Either way a write is applied whole or not at all. The {ks} tag
 * keeps everything in one cluster slot.
 */
import type { KeyStore, StoredApiKey, StoredUsagePlan } from '../ports.ts'
import { luaScript, type RedisConnection } from './client.ts'

/** KEYS keys, hash index; ARGV id, value hash, JSON. A key's old hash stops resolving to it. */
const PUT_KEY = luaScript(`
local prior = redis.call('HGET', KEYS[1], ARGV[1])
if prior then
  local old = cjson.decode(prior)['hash']
  if old ~= ARGV[2] and redis.call('HGET', KEYS[2], old) == ARGV[1] then redis.call('HDEL', KEYS[2], old) end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return 1
`)

/** KEYS keys, hash index, the key's plan set; ARGV id, plan-set prefix. */
const DELETE_KEY = luaScript(`
local prior = redis.call('HGET', KEYS[1], ARGV[1])
if not prior then return 0 end
local h = cjson.decode(prior)['hash']
if redis.call('HGET', KEYS[2], h) == ARGV[1] then redis.call('HDEL', KEYS[2], h) end
redis.call('HDEL', KEYS[1], ARGV[1])
for _, plan in ipairs(redis.call('SMEMBERS', KEYS[3])) do redis.call('SREM', ARGV[2] .. plan, ARGV[1]) end
redis.call('DEL', KEYS[3])
return 1
`)

/** KEYS plans, the plan's key set; ARGV id, key-set prefix. */
const DELETE_PLAN = luaScript(`
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
for _, key in ipairs(redis.call('SMEMBERS', KEYS[2])) do redis.call('SREM', ARGV[2] .. key, ARGV[1]) end
redis.call('DEL', KEYS[2])
return 1
`)

/**
 * A KeyStore under `<prefix>{ks}:`. Listings (keys, plans, links) come sorted by creation time
 * then id: Redis hashes and sets keep no insertion order.
 */
export function redisKeyStore(conn: RedisConnection): KeyStore {
  const p = `${conn.prefix}{ks}:`
  const KEYS = `${p}keys`
  const HASH = `${p}hash`
  const PLANS = `${p}plans`
  const planKeys = (planId: string) => `${p}pk:${planId}`
  const keyPlans = (keyId: string) => `${p}kp:${keyId}`
  const byCreation = <T extends { id: string; createdAt: number }>(a: T, b: T) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  const parse = <T>(json: string | null | undefined): T | undefined => (json == null ? undefined : (JSON.parse(json) as T))

  return {
    async findByHash(hash) {
      const id = await conn.command<string | null>(['HGET', HASH, hash])
      if (id == null) return undefined
      return parse<StoredApiKey>(await conn.command<string | null>(['HGET', KEYS, id]))
    },
    async get(id) {
      return parse<StoredApiKey>(await conn.command<string | null>(['HGET', KEYS, id]))
    },
    async put(key) {
      await conn.eval(PUT_KEY, [KEYS, HASH], [key.id, key.hash, JSON.stringify(key)])
    },
    async delete(id) {
      return Number(await conn.eval(DELETE_KEY, [KEYS, HASH, keyPlans(id)], [id, `${p}pk:`])) === 1
    },
    async list() {
      const all = await conn.command<string[]>(['HVALS', KEYS])
      return all.map((j) => JSON.parse(j) as StoredApiKey).sort(byCreation)
    },
    async putPlan(plan) {
      await conn.command(['HSET', PLANS, plan.id, JSON.stringify(plan)])
    },
    async getPlan(id) {
      return parse<StoredUsagePlan>(await conn.command<string | null>(['HGET', PLANS, id]))
    },
    async listPlans() {
      const all = await conn.command<string[]>(['HVALS', PLANS])
      return all.map((j) => JSON.parse(j) as StoredUsagePlan).sort(byCreation)
    },
    async deletePlan(id) {
      return Number(await conn.eval(DELETE_PLAN, [PLANS, planKeys(id)], [id, `${p}kp:`])) === 1
    },
    async linkKey(planId, keyId) {
      await conn.multi([
        ['SADD', planKeys(planId), keyId],
        ['SADD', keyPlans(keyId), planId],
      ])
    },
    async unlinkKey(planId, keyId) {
      const [removed] = await conn.multi([
        ['SREM', planKeys(planId), keyId],
        ['SREM', keyPlans(keyId), planId],
      ])
      return Number(removed) === 1
    },
    async plansOfKey(keyId) {
      return (await conn.command<string[]>(['SMEMBERS', keyPlans(keyId)])).sort()
    },
    async keysOfPlan(planId) {
      return (await conn.command<string[]>(['SMEMBERS', planKeys(planId)])).sort()
    },
  }
}
