/**
 * RateLimiter on Redis: one hash per bucket (tokens, last update), refilled and taken from by
 * one Lua script, so instances sharing the server never both take the last token.
 */
import type { RateLimiter } from '../ports.ts'
import { takeFromBucket } from '../memory/rate-limiter.ts'
import { luaScript, type RedisConnection } from './client.ts'
import { TOKEN_BUCKET_SCRIPT } from '../token-bucket-script.ts'

const TAKE = luaScript(TOKEN_BUCKET_SCRIPT)

/**
 * Token buckets under `<prefix>rl:{<key>}` (the braces keep a bucket in one cluster slot).
 * @param idleMarginMs how long past "full again" a bucket key is kept
 */
export function redisRateLimiter(conn: RedisConnection, idleMarginMs = 60_000): RateLimiter {
  const run = (key: string, limit: { rateLimit: number; burstLimit: number }, now: number, wanted: number) =>
    conn.eval<[number, string]>(
      TAKE,
      [`${conn.prefix}rl:{${key}}`],
      [String(limit.rateLimit), String(limit.burstLimit), String(now), String(idleMarginMs), String(wanted)],
    )
  return {
    async take(key, limit, now) {
      const [, before] = await run(key, limit, now, 1)
      // The script did the atomic part; the reply fields come from the reference arithmetic
      // applied to the refilled bucket it saw (no time passes, so no second refill, and the
      // same `tokens >= 1` test decides `allowed` as in the script).
      return takeFromBucket({ tokens: Number(before), updatedAt: now }, limit, now).result
    },
    async takeUpTo(key, limit, now, wanted) {
      const [taken, before] = await run(key, limit, now, wanted)
      return { taken: Number(taken), result: takeFromBucket({ tokens: Number(before), updatedAt: now }, limit, now).result }
    },
  }
}
