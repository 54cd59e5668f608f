/**
 * Upstash stores: Redis over Upstash's REST protocol (@upstash/redis), so the same code runs on
 * Node, Bun and Workers (plain fetch, no TCP). Every read-modify-write is one Lua script
 * (EVALSHA, falling back to EVAL) or one MULTI/EXEC, so several gateway instances can share a
 * database. Configured by UPSTASH_REDIS_REST_URL / UPSTASH_REDIS_REST_TOKEN.
 */
import { Redis } from '@upstash/redis'
import { Ratelimit } from '@upstash/ratelimit'
import type { Clock, Stores } from '../../core/deps.ts'
import type { AuthorizerCache, KeyStore, QuotaCounter, RateLimiter, StoredApiKey, StoredUsagePlan, TakeResult } from '../ports.ts'
import { daysBetween, periodBounds, utcDay } from '../periods.ts'
import {
  AUTHZ_GET_SCRIPT,
  AUTHZ_SET_SCRIPT,
  CONSUME_SCRIPT,
  DELETE_KEY_SCRIPT,
  DELETE_PLAN_SCRIPT,
  FIND_BY_HASH_SCRIPT,
  LIST_SCRIPT,
  PUT_KEY_SCRIPT,
  RESET_QUOTA_SCRIPT,
} from './scripts.ts'
import { TOKEN_BUCKET_SCRIPT } from '../token-bucket-script.ts'
import { takeFromBucket } from '../memory/rate-limiter.ts'

export interface UpstashOptions {
  /** Prefix of every Redis key (default "portico:"), so one database can serve several gateways. */
  prefix?: string
  /**
   * Which token bucket the RateLimiter runs. 'lua' (default): this module's script, the exact
   * AWS arithmetic with the gateway's clock and per-call limits. 'ratelimit': @upstash/ratelimit's
   * Ratelimit.tokenBucket (see upstashRatelimitLimiter for what that gives up).
   * Also PORTICO_UPSTASH_LIMITER=ratelimit in env.
   */
  limiter?: 'lua' | 'ratelimit'
}

/** Opens the Upstash stores from env (UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN). */
export function openUpstashStores(opts: {
  clock: Clock
  env: Record<string, string | undefined>
  options?: UpstashOptions
}): { stores: Partial<Stores>; close: () => Promise<void> } {
  const url = opts.env.UPSTASH_REDIS_REST_URL
  const token = opts.env.UPSTASH_REDIS_REST_TOKEN
  if (!url || !token) throw new Error('store "upstash" needs UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN')
  const redis = upstashClient(url, token)
  const prefix = opts.options?.prefix ?? 'portico:'
  const limiter = opts.options?.limiter ?? (opts.env.PORTICO_UPSTASH_LIMITER === 'ratelimit' ? 'ratelimit' : 'lua')
  return {
    stores: {
      rateLimiter: limiter === 'ratelimit' ? upstashRatelimitLimiter(redis, { prefix }) : upstashRateLimiter(redis, { prefix }),
      quotaCounter: upstashQuotaCounter(redis, { prefix }),
      keyStore: upstashKeyStore(redis, { prefix }),
      authorizerCache: upstashAuthorizerCache(redis, opts.clock, { prefix }),
    },
    // REST over fetch: no connection to close.
    close: async () => {},
  }
}

/**
 * The @upstash/redis client as the stores use it: values come back as the strings Redis holds
 * (no automatic JSON parsing, which would turn "123" into a number), one retry (the gateway
 * applies its own timeout and fail-open/closed policy, five retries with backoff would outlast
 * it), no telemetry headers.
 */
export function upstashClient(url: string, token: string): Redis {
  return new Redis({
    url,
    token,
    automaticDeserialization: false,
    enableTelemetry: false,
    retry: { retries: 1, backoff: () => 50 },
  })
}

/** Whole tokens, retry and reset times from the tokens left, as takeFromBucket computes them. */
export function bucketResult(allowed: boolean, tokens: number, limit: { rateLimit: number; burstLimit: number }): TakeResult {
  const rate = limit.rateLimit
  const burst = limit.burstLimit
  const perToken = rate > 0 ? 1000 / rate : Infinity
  const retryAfterMs = allowed ? 0 : Math.ceil((1 - tokens) * perToken)
  const resetMs = rate > 0 ? Math.ceil((burst - tokens) * perToken) : burst - tokens > 0 ? Infinity : 0
  return { allowed, remaining: Math.floor(tokens), retryAfterMs, resetMs }
}

/** Token buckets in Redis through the shared TOKEN_BUCKET_SCRIPT: exact, atomic, on the gateway's clock. */
export function upstashRateLimiter(redis: Redis, opts: { prefix?: string } = {}): RateLimiter {
  const prefix = opts.prefix ?? 'portico:'
  const script = redis.createScript<[number, string]>(TOKEN_BUCKET_SCRIPT)
  // ARGV[4]: keep an idle bucket a second past "full again" (a full bucket is no bucket).
  const run = (key: string, limit: { rateLimit: number; burstLimit: number }, now: number, wanted: number) =>
    script.exec([`${prefix}rl:${key}`], [String(limit.rateLimit), String(limit.burstLimit), String(now), '1000', String(wanted)])
  return {
    async take(key, limit, now) {
      const [, before] = await run(key, limit, now, 1)
      // The reply fields from the reference arithmetic on the refilled bucket the script saw.
      return takeFromBucket({ tokens: Number(before), updatedAt: now }, limit, now).result
    },
    async takeUpTo(key, limit, now, wanted) {
      const [taken, before] = await run(key, limit, now, wanted)
      return { taken: Number(taken), result: takeFromBucket({ tokens: Number(before), updatedAt: now }, limit, now).result }
    },
  }
}

/**
 * The RateLimiter on @upstash/ratelimit's token bucket, one Ratelimit per limit (cached).
 * Mapping: burstLimit → maxTokens; rateLimit → refillRate = rateLimit / 1000 tokens every
 * interval = "1 ms", i.e. a refill as continuous as AWS's (an interval of 1 s would hand out
 * rateLimit tokens at once at each second's edge). What it gives up, which is why it is not
 * the default: the SDK takes its time from Date.now() where it runs (the `now` argument is
 * ignored, so a fake clock has no effect and instances' clocks must agree); a rejection
 * reports no fractional tokens, so retryAfterMs is the upper bound 1000 / rateLimit; a burst
 * below 1 or a rate of 0 cannot be expressed (refillRate 0 divides by zero in its expiry).
 * The ephemeral cache and the SDK's own timeout are off: the gateway's store policy decides.
 */
export function upstashRatelimitLimiter(redis: Redis, opts: { prefix?: string; maxLimiters?: number } = {}): RateLimiter {
  const prefix = `${opts.prefix ?? 'portico:'}rls`
  const maxLimiters = opts.maxLimiters ?? 1000
  const limiters = new Map<string, Ratelimit>()
  const limiterFor = (limit: { rateLimit: number; burstLimit: number }): Ratelimit => {
    const id = `${limit.rateLimit}/${limit.burstLimit}`
    let rl = limiters.get(id)
    if (!rl) {
      rl = new Ratelimit({
        redis,
        limiter: Ratelimit.tokenBucket(limit.rateLimit / 1000, '1 ms', limit.burstLimit),
        prefix,
        ephemeralCache: false,
        timeout: 0,
        analytics: false,
      })
      if (limiters.size >= maxLimiters) limiters.delete(limiters.keys().next().value!)
      limiters.set(id, rl)
    }
    return rl
  }
  return {
    async take(key, limit) {
      if (!(limit.rateLimit > 0) || limit.burstLimit < 1) {
        return bucketResult(false, 0, { rateLimit: Math.max(0, limit.rateLimit), burstLimit: Math.max(0, limit.burstLimit) })
      }
      const res = await limiterFor(limit).limit(key)
      const perToken = 1000 / limit.rateLimit
      return {
        allowed: res.success,
        remaining: res.remaining,
        retryAfterMs: res.success ? 0 : Math.ceil(perToken),
        resetMs: Math.ceil((limit.burstLimit - res.remaining) * perToken),
      }
    },
  }
}

/** Quota counters in Redis (CONSUME_SCRIPT), with per-day counts for GetUsage. */
export function upstashQuotaCounter(redis: Redis, opts: { prefix?: string } = {}): QuotaCounter {
  const prefix = opts.prefix ?? 'portico:'
  const consume = redis.createScript<[number, number, number]>(CONSUME_SCRIPT)
  const reset = redis.createScript<number>(RESET_QUOTA_SCRIPT)
  return {
    async consume(key, quota, now) {
      const [start, end] = periodBounds(quota.period, now)
      const [allowed, used, limit] = await consume.exec(
        [`${prefix}q:${key}`, `${prefix}qd:${key}`],
        [String(start), String(quota.limit), String(quota.offset), utcDay(now)],
      )
      const ok = Number(allowed) === 1
      return { allowed: ok, used: Number(used), remaining: ok ? Number(limit) - Number(used) : 0, limit: Number(limit), resetAt: end }
    },
    async usageByDay(key, fromDay, toDay) {
      const days = daysBetween(fromDay, toDay)
      const out: Record<string, number> = {}
      if (days.length === 0) return out
      // Without automatic deserialization HMGET answers Redis's array, in field order.
      const counts = (await redis.hmget(`${prefix}qd:${key}`, ...days)) as unknown as (string | null)[]
      days.forEach((day, i) => (out[day] = Number(counts[i] ?? 0)))
      return out
    },
    async periodUsed(key, quota, now) {
      const [start] = periodBounds(quota.period, now)
      // The period hash holds its start (s) and count (n); another period's count is not this one's.
      const [s, n] = (await redis.hmget(`${prefix}q:${key}`, 's', 'n')) as unknown as (string | null)[]
      return s !== null && s !== undefined && Number(s) === start ? Number(n ?? 0) : 0
    },
    async reset(key, quota, now) {
      const [start] = periodBounds(quota.period, now)
      await reset.exec([`${prefix}q:${key}`], [String(start)])
    },
  }
}

/** Keys, plans and links in Redis; each write is one script or one MULTI/EXEC. */
export function upstashKeyStore(redis: Redis, opts: { prefix?: string } = {}): KeyStore {
  const p = opts.prefix ?? 'portico:'
  const findByHash = redis.createScript<string | null>(FIND_BY_HASH_SCRIPT)
  const putKey = redis.createScript<number>(PUT_KEY_SCRIPT)
  const deleteKey = redis.createScript<number>(DELETE_KEY_SCRIPT)
  const deletePlan = redis.createScript<number>(DELETE_PLAN_SCRIPT)
  const list = redis.createScript<string[]>(LIST_SCRIPT)
  const parse = <T>(json: string | null | undefined): T | undefined => (json == null ? undefined : (JSON.parse(json) as T))
  // Sets have no order; the oldest first is what a listing shows.
  const byAge = <T extends { createdAt: number; id: string }>(items: T[]): T[] =>
    items.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  return {
    async findByHash(hash) {
      return parse<StoredApiKey>(await findByHash.exec([`${p}keyhash:${hash}`], [p]))
    },
    async get(id) {
      return parse<StoredApiKey>(await redis.hget<string>(`${p}key:${id}`, 'json'))
    },
    async put(key) {
      await putKey.exec([], [p, key.id, key.hash, JSON.stringify(key)])
    },
    async delete(id) {
      return Number(await deleteKey.exec([], [p, id])) === 1
    },
    async list() {
      return byAge((await list.exec([], [p, 'key'])).map((j) => JSON.parse(j) as StoredApiKey))
    },
    async putPlan(plan) {
      await redis.multi().set(`${p}plan:${plan.id}`, JSON.stringify(plan)).sadd(`${p}plans`, plan.id).exec()
    },
    async getPlan(id) {
      return parse<StoredUsagePlan>(await redis.get<string>(`${p}plan:${id}`))
    },
    async listPlans() {
      return byAge((await list.exec([], [p, 'plan'])).map((j) => JSON.parse(j) as StoredUsagePlan))
    },
    async deletePlan(id) {
      return Number(await deletePlan.exec([], [p, id])) === 1
    },
    async linkKey(planId, keyId) {
      await redis.multi().sadd(`${p}plankeys:${planId}`, keyId).sadd(`${p}keyplans:${keyId}`, planId).exec()
    },
    async unlinkKey(planId, keyId) {
      const [removed] = await redis.multi().srem(`${p}plankeys:${planId}`, keyId).srem(`${p}keyplans:${keyId}`, planId).exec<[number, number]>()
      return Number(removed) === 1
    },
    async plansOfKey(keyId) {
      return (await redis.smembers<string[]>(`${p}keyplans:${keyId}`)).sort()
    },
    async keysOfPlan(planId) {
      return (await redis.smembers<string[]>(`${p}plankeys:${planId}`)).sort()
    },
  }
}

/**
 * Authorizer decisions in Redis. Expiry follows the gateway's clock (the expiry time is stored
 * with the value) and Redis drops the key after the TTL in real time. clear() bumps a
 * generation number that every entry's name carries: one command instead of a scan, and old
 * generations expire on their own.
 */
export function upstashAuthorizerCache(redis: Redis, clock: Clock, opts: { prefix?: string } = {}): AuthorizerCache {
  const p = opts.prefix ?? 'portico:'
  const get = redis.createScript<string | null>(AUTHZ_GET_SCRIPT)
  const set = redis.createScript<number>(AUTHZ_SET_SCRIPT)
  return {
    async get(key) {
      const raw = await get.exec([], [p, key])
      if (raw == null) return undefined
      const entry = JSON.parse(raw) as { v: unknown; e: number }
      return entry.e <= clock.now() ? undefined : entry.v
    },
    async set(key, value, ttlSeconds) {
      if (!(ttlSeconds > 0)) return
      const ttlMs = Math.ceil(ttlSeconds * 1000)
      await set.exec([], [p, key, JSON.stringify({ v: value, e: clock.now() + ttlMs }), String(ttlMs)])
    },
    async clear() {
      await redis.incr(`${p}authz:gen`)
    },
  }
}
