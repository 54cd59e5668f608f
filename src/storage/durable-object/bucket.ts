/**
 * Token-bucket and quota arithmetic the Durable Objects run (pure: no Cloudflare imports, so
 * it is also testable anywhere). The same rules as the memory store's takeFromBucket and the
 * Upstash script: refills rounded to a millionth of a token (float error must not turn ten
 * refills of 0.1 into 0.9999), and an update time that never moves back (a caller whose
 * clock is behind must not earn the same refill twice).
 */
import type { QuotaResult, TakeResult } from '../ports.ts'
import { effectiveLimit, periodBounds } from '../periods.ts'

export interface BucketState {
  tokens: number
  updatedAt: number
}

/** Refills `state` to `now` and takes one token when there is one. */
export function takeToken(
  state: BucketState | undefined,
  limit: { rateLimit: number; burstLimit: number },
  now: number,
): { state: BucketState; result: TakeResult } {
  const rate = limit.rateLimit
  const burst = limit.burstLimit
  let tokens = burst
  let updatedAt = now
  if (state) {
    const elapsed = Math.max(0, now - state.updatedAt)
    tokens = Math.min(burst, Math.round((state.tokens + (elapsed / 1000) * rate) * 1e6) / 1e6)
    updatedAt = Math.max(state.updatedAt, now)
  }
  const allowed = tokens >= 1
  if (allowed) tokens -= 1
  const perToken = rate > 0 ? 1000 / rate : Infinity
  const retryAfterMs = allowed ? 0 : Math.ceil((1 - tokens) * perToken)
  const resetMs = rate > 0 ? Math.ceil((burst - tokens) * perToken) : burst - tokens > 0 ? Infinity : 0
  return { state: { tokens, updatedAt }, result: { allowed, remaining: Math.floor(tokens), retryAfterMs, resetMs } }
}

/** A quota counter's stored state: the first period it counted in, and the current one. */
export interface QuotaState {
  firstStart: number
  start: number
  used: number
}

/** Counts one request in the period containing `now` unless that passes the limit. */
export function consumeQuota(
  state: QuotaState | undefined,
  quota: { limit: number; period: 'DAY' | 'WEEK' | 'MONTH'; offset: number },
  now: number,
): { state: QuotaState; result: QuotaResult } {
  const [start, end] = periodBounds(quota.period, now)
  const firstStart = state?.firstStart ?? start
  const used = state && state.start === start ? state.used : 0
  const limit = effectiveLimit(quota, firstStart === start)
  if (used >= limit) {
    return { state: { firstStart, start, used }, result: { allowed: false, used, remaining: 0, limit, resetAt: end } }
  }
  return { state: { firstStart, start, used: used + 1 }, result: { allowed: true, used: used + 1, remaining: limit - used - 1, limit, resetAt: end } }
}
