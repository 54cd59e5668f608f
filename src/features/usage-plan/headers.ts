/**
 * Rate-limit response headers.
 *
 * IETF: `RateLimit-Policy` and `RateLimit` as in draft-ietf-httpapi-ratelimit-headers-10
 * (September 2025, §3 and §4): Structured Field lists of items named by a quoted string, with
 * `q` (quota units) and `w` (window, seconds) in the policy, `r` (remaining) and `t` (seconds
 * until the quota is restored) in the current state:
 *
 *   RateLimit-Policy: "plan";q=20;w=20, "route";q=5;w=1, "account";q=5000;w=1, "quota";q=1000;w=86400
 *   RateLimit: "plan";r=17;t=3, "route";r=4;t=1, "account";r=4999;t=1, "quota";r=998;t=42300
 *
 * A token bucket maps onto a quota policy as q = burstLimit over w = burstLimit / rateLimit
 * seconds (the time an empty bucket takes to fill), rounded up; a bucket that never refills
 * (rateLimit 0) has no `w`. `t` is the time until the bucket is full again.
 *
 * De facto: `X-RateLimit-Limit` (burstLimit), `X-RateLimit-Remaining` (whole tokens left) and
 * `X-RateLimit-Reset` (seconds until that bucket is full again) for the most constraining
 * throttle level: the fewest tokens left, the earlier level on a tie (on a 429, the level that
 * refused).
 *
 * `Retry-After` on every 429 (RFC 9110 §10.2.3): whole seconds, rounded up, at least 1.
 */
import type { TakeResult } from '../../storage/ports.ts'

/** Where a time never comes (a bucket with rateLimit 0): seconds written instead of infinity. */
export const NEVER_SECONDS = 86_400

/** One throttle level's state after a take. */
export interface LevelState {
  name: string
  limit: { rateLimit: number; burstLimit: number }
  result: TakeResult
}

/** The quota's state after a consume. */
export interface QuotaState {
  limit: number
  remaining: number
  /** Period length in seconds (the policy's window). */
  windowSeconds: number
  /** Seconds until the period ends. */
  resetSeconds: number
}

/** Whole seconds of `ms`, rounded up; NEVER_SECONDS for infinity (a header needs a number). */
export function ceilSeconds(ms: number): number {
  if (!Number.isFinite(ms)) return NEVER_SECONDS
  return Math.max(0, Math.ceil(ms / 1000))
}

/** Retry-After seconds: rounded up, at least 1 (a 0 would invite an immediate retry). */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, ceilSeconds(ms))
}

// A level's policy item depends on its (config-held) limit only: written once per limit.
const policyItems = new WeakMap<object, { name: string; text: string }>()

/** `"name";q=burst;w=window` for a token bucket level. */
function policyItem(name: string, limit: { rateLimit: number; burstLimit: number }): string {
  const known = policyItems.get(limit)
  if (known?.name === name) return known.text
  const window = limit.rateLimit > 0 ? `;w=${Math.max(1, Math.ceil(limit.burstLimit / limit.rateLimit))}` : ''
  const text = `"${name}";q=${limit.burstLimit}${window}`
  policyItems.set(limit, { name, text })
  return text
}

/** The level whose bucket is the closest to empty (first on a tie). */
export function mostConstraining(levels: LevelState[]): LevelState | undefined {
  let best: LevelState | undefined
  for (const level of levels) if (!best || level.result.remaining < best.result.remaining) best = level
  return best
}

/**
 * The rate-limit headers for the levels checked (in order) and the quota, when any.
 * `focus` is the level the X-RateLimit-* headers describe (default: the most constraining).
 */
export function rateLimitHeaders(levels: LevelState[], quota?: QuotaState, focus?: LevelState): Record<string, string> {
  let policy = ''
  let state = ''
  for (const { name, limit, result } of levels) {
    const sep = policy ? ', ' : ''
    policy += sep + policyItem(name, limit)
    state += `${sep}"${name}";r=${result.remaining};t=${ceilSeconds(result.resetMs)}`
  }
  if (quota) {
    const sep = policy ? ', ' : ''
    policy += `${sep}"quota";q=${quota.limit};w=${quota.windowSeconds}`
    state += `${sep}"quota";r=${quota.remaining};t=${quota.resetSeconds}`
  }
  const headers: Record<string, string> = {}
  if (policy) {
    headers['RateLimit-Policy'] = policy
    headers['RateLimit'] = state
  }
  const top = focus ?? mostConstraining(levels)
  if (top) {
    headers['X-RateLimit-Limit'] = String(top.limit.burstLimit)
    headers['X-RateLimit-Remaining'] = String(top.result.remaining)
    headers['X-RateLimit-Reset'] = String(ceilSeconds(top.result.resetMs))
  }
  return headers
}
