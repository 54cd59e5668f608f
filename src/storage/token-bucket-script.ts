/**
 * The token bucket as one Lua script, run by the Redis store (TCP) and the Upstash store
 * (REST) alike, so both keep one copy of the arithmetic.
 *
 * KEYS[1] bucket; ARGV rate, burst, now (ms, the gateway's clock), idle margin (ms), and
 * optionally how many tokens to take at most (default 1: a lease takes more, leases.ts).
 * Returns {tokens taken (0 when the bucket has less than one), tokens before the take
 * (refilled, %.17g so the double survives)}.
 * The refill is takeFromBucket's (Lua numbers are doubles too), rounded to a millionth of a
 * token so that ten refills of 0.1 make a whole one. The update time never moves back: with
 * instances whose clocks differ a little, a late clock must not earn the same refill twice.
 * The key expires once it would be full again (plus a margin): a missing bucket is a full
 * one, so expiry loses nothing. Expiry runs on the server's clock; the margin keeps a bucket
 * whose gateway clock lags a little from going early.
 */
export const TOKEN_BUCKET_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens = burst
local updated = now
if state[1] and state[2] then
  local prev = tonumber(state[2])
  local elapsed = math.max(0, now - prev)
  -- Math.round of the memory store, exactly: to the nearest micro-token, halves up.
  local micro = (tonumber(state[1]) + (elapsed / 1000) * rate) * 1e6
  local whole = math.floor(micro)
  if micro - whole >= 0.5 then whole = whole + 1 end
  tokens = math.min(burst, whole / 1e6)
  updated = math.max(prev, now)
end
local before = string.format('%.17g', tokens)
local taken = 0
if tokens >= 1 then
  taken = math.min(tonumber(ARGV[5] or '1'), math.floor(tokens))
  tokens = tokens - taken
end
redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'u', string.format('%.17g', updated))
if rate > 0 then
  local ttl = math.ceil((burst - tokens) * 1000 / rate) + tonumber(ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.min(ttl, 34560000000))
else
  redis.call('PERSIST', KEYS[1])
end
return {taken, before}
`
