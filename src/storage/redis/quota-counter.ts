/**
 * QuotaCounter on Redis. Per counted key:
 *   <prefix>q:{<key>}:p:<period start>  requests in that period (a new period is a new key)
 *   <prefix>q:{<key>}:first             start of the first period the key was counted in
 *   <prefix>q:{<key>}:d:<YYYY-MM-DD>     requests per UTC day, for GetUsage
 * The braces put one key's counters in one cluster slot, so one script can touch them all.
 */
import type { QuotaCounter } from '../ports.ts'
import { daysBetween, periodBounds, utcDay } from '../periods.ts'
import { luaScript, type RedisConnection } from './client.ts'

const DAY_MS = 86_400_000
/** Per-day counts and the first-period marker live this long after their last write. */
export const QUOTA_HISTORY_MS = 400 * DAY_MS
/**
 * A period counter lives until its period ends plus this. Expiry runs on the Redis server's
 * clock, not the gateway's: the grace keeps a live period from vanishing when the clocks
 * disagree a little. A stale counter is never misread: the next period has another key.
 */
export const PERIOD_GRACE_MS = 3_600_000

/**
 * KEYS period counter, first marker, day counter; ARGV period start, limit, offset, period
 * TTL, history TTL. The offset rule of periods.ts (effectiveLimit), in Lua. Returns
 * {allowed, used, limit}.
 */
const CONSUME = luaScript(`
local first = redis.call('GET', KEYS[2])
if not first then first = ARGV[1] end
redis.call('SET', KEYS[2], first, 'PX', ARGV[5])
local limit = tonumber(ARGV[2])
if first == ARGV[1] then limit = math.max(0, limit - tonumber(ARGV[3])) end
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= limit then return {0, used, limit} end
used = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
return {1, used, limit}
`)

/** Quota counters under `<prefix>q:`. */
export function redisQuotaCounter(conn: RedisConnection): QuotaCounter {
  const base = (key: string) => `${conn.prefix}q:{${key}}:`
  return {
    async consume(key, quota, now) {
      const [start, end] = periodBounds(quota.period, now)
      const b = base(key)
      const [allowed, used, limit] = (
        await conn.eval<number[]>(
          CONSUME,
          [`${b}p:${start}`, `${b}first`, `${b}d:${utcDay(now)}`],
          [String(start), String(quota.limit), String(quota.offset), String(Math.max(1, end - now) + PERIOD_GRACE_MS), String(QUOTA_HISTORY_MS)],
        )
      ).map(Number) as [number, number, number]
      return { allowed: allowed === 1, used, remaining: Math.max(0, limit - used), limit, resetAt: end }
    },
    async usageByDay(key, fromDay, toDay) {
      const days = daysBetween(fromDay, toDay)
      const out: Record<string, number> = {}
      if (days.length === 0) return out
      const b = base(key)
      const counts = await conn.command<(string | null)[]>(['MGET', ...days.map((d) => `${b}d:${d}`)])
      days.forEach((d, i) => {
        out[d] = Number(counts[i] ?? 0)
      })
      return out
    },
    async periodUsed(key, quota, now) {
      const [start] = periodBounds(quota.period, now)
      return Number((await conn.command<string | null>(['GET', `${base(key)}p:${start}`])) ?? 0)
    },
    async reset(key, quota, now) {
      const [start] = periodBounds(quota.period, now)
      await conn.command(['DEL', `${base(key)}p:${start}`])
    },
  }
}
