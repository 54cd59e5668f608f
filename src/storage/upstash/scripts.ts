/**
 * Lua run inside Redis (through Upstash's EVALSHA/EVAL), so each read-modify-write is one
 * atomic step however many gateway instances share the database. Times come from the caller
 * (the gateway's clock), never from Redis, so the arithmetic matches the memory store's.
 */

/**
 * Quota: counts one request in the current period unless that passes the limit.
 * KEYS[1]: quota hash (f = start of the first period counted, s = start of the current
 * period, n = its count); KEYS[2]: per-day hash ("YYYY-MM-DD" → count).
 * ARGV: period start (ms, as a string), limit, offset, day. Returns {allowed, used, limit}.
 * AWS's offset applies in the first period only (see effectiveLimit in periods.ts).
 */
export const CONSUME_SCRIPT = `
local start = ARGV[1]
local limit = tonumber(ARGV[2])
local offset = tonumber(ARGV[3])
local q = redis.call('HMGET', KEYS[1], 'f', 's', 'n')
local first = q[1]
if not first then
  first = start
  redis.call('HSET', KEYS[1], 'f', start)
end
local used = 0
if q[2] == start and q[3] then used = tonumber(q[3]) end
if first == start then limit = math.max(0, limit - offset) end
if used >= limit then return {0, used, limit} end
redis.call('HSET', KEYS[1], 's', start, 'n', used + 1)
redis.call('HINCRBY', KEYS[2], ARGV[4], 1)
return {1, used + 1, limit}
`

/** Forgets the count of the current period. KEYS[1]: quota hash; ARGV[1]: period start. */
export const RESET_QUOTA_SCRIPT = `
if redis.call('HGET', KEYS[1], 's') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'n', 0)
end
return 1
`

/*
 * KeyStore layout under prefix P: P..'key:'..id hash {json, hash}; P..'keyhash:'..hash → id;
 * P..'keys' set of ids; P..'plan:'..id → json; P..'plans' set; P..'plankeys:'..planId and
 * P..'keyplans:'..keyId sets (the links, both ways). Scripts that follow links build key
 * names from ARGV[1] = P: a single Redis (or Upstash database) allows that; a cluster would not.
 */

/** KEYS[1]: keyhash entry. ARGV[1]: prefix. Returns the key's json or nil. */
export const FIND_BY_HASH_SCRIPT = `
local id = redis.call('GET', KEYS[1])
if not id then return false end
return redis.call('HGET', ARGV[1] .. 'key:' .. id, 'json')
`

/** ARGV: prefix, id, hash, json. Replaces the key and its hash entry in one step. */
export const PUT_KEY_SCRIPT = `
local p, id, hash = ARGV[1], ARGV[2], ARGV[3]
local old = redis.call('HGET', p .. 'key:' .. id, 'hash')
if old and old ~= hash and redis.call('GET', p .. 'keyhash:' .. old) == id then
  redis.call('DEL', p .. 'keyhash:' .. old)
end
redis.call('HSET', p .. 'key:' .. id, 'json', ARGV[4], 'hash', hash)
redis.call('SET', p .. 'keyhash:' .. hash, id)
redis.call('SADD', p .. 'keys', id)
return 1
`

/** ARGV: prefix, id. Deletes the key, its hash entry and its links; 1 when it existed. */
export const DELETE_KEY_SCRIPT = `
local p, id = ARGV[1], ARGV[2]
local hash = redis.call('HGET', p .. 'key:' .. id, 'hash')
if not hash then return 0 end
if redis.call('GET', p .. 'keyhash:' .. hash) == id then redis.call('DEL', p .. 'keyhash:' .. hash) end
redis.call('DEL', p .. 'key:' .. id)
redis.call('SREM', p .. 'keys', id)
for _, plan in ipairs(redis.call('SMEMBERS', p .. 'keyplans:' .. id)) do
  redis.call('SREM', p .. 'plankeys:' .. plan, id)
end
redis.call('DEL', p .. 'keyplans:' .. id)
return 1
`

/** ARGV: prefix, plan id. Deletes the plan and its links; 1 when it existed. */
export const DELETE_PLAN_SCRIPT = `
local p, id = ARGV[1], ARGV[2]
if redis.call('DEL', p .. 'plan:' .. id) == 0 then return 0 end
redis.call('SREM', p .. 'plans', id)
for _, key in ipairs(redis.call('SMEMBERS', p .. 'plankeys:' .. id)) do
  redis.call('SREM', p .. 'keyplans:' .. key, id)
end
redis.call('DEL', p .. 'plankeys:' .. id)
return 1
`

/** ARGV: prefix, 'key' | 'plan'. Every stored key's (or plan's) json, in one consistent read. */
export const LIST_SCRIPT = `
local p, kind = ARGV[1], ARGV[2]
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', p .. kind .. 's')) do
  local v
  if kind == 'key' then v = redis.call('HGET', p .. 'key:' .. id, 'json') else v = redis.call('GET', p .. 'plan:' .. id) end
  if v then out[#out + 1] = v end
end
return out
`

/** ARGV: prefix, key. The authorizer cache entry of the current generation (see clear()). */
export const AUTHZ_GET_SCRIPT = `
local gen = redis.call('GET', ARGV[1] .. 'authz:gen') or '0'
return redis.call('GET', ARGV[1] .. 'authz:' .. gen .. ':' .. ARGV[2])
`

/** ARGV: prefix, key, json, ttl ms. */
export const AUTHZ_SET_SCRIPT = `
local gen = redis.call('GET', ARGV[1] .. 'authz:gen') or '0'
redis.call('SET', ARGV[1] .. 'authz:' .. gen .. ':' .. ARGV[2], ARGV[3], 'PX', ARGV[4])
return 1
`
