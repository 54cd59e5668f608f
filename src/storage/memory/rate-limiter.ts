/** Token buckets in memory: exact, single process (tests, demos, one instance). */
import type { RateLimiter, TakeResult } from '../ports.ts'

/** Refills a bucket to `now` and takes one token when there is one. Shared by the stores. */
export function takeFromBucket(
  state: { tokens: number; updatedAt: number } | undefined,
  limit: { rateLimit: number; burstLimit: number },
  now: number,
): { state: { tokens: number; updatedAt: number }; result: TakeResult } {
  const next = state ? { tokens: state.tokens, updatedAt: state.updatedAt } : { tokens: limit.burstLimit, updatedAt: now }
  const result = takeInPlace(next, limit, now, state === undefined)
  return { state: next, result }
}

/** takeFromBucket() on a state it updates itself (`fresh`: a new, full bucket). */
function takeInPlace(state: { tokens: number; updatedAt: number }, limit: { rateLimit: number; burstLimit: number }, now: number, fresh: boolean): TakeResult {
  const burst = limit.burstLimit
  const rate = limit.rateLimit
  const elapsed = fresh ? 0 : Math.max(0, now - state.updatedAt)
  // Float sums drift (ten refills of 0.1 make 0.9999999999999999): snap to a micro-token grid.
  let tokens = fresh ? burst : Math.min(burst, Math.round((state.tokens + (elapsed / 1000) * rate) * 1e6) / 1e6)
  const allowed = tokens >= 1
  if (allowed) tokens -= 1
  const perToken = rate > 0 ? 1000 / rate : Infinity
  const retryAfterMs = allowed ? 0 : Math.ceil((1 - tokens) * perToken)
  const resetMs = rate > 0 ? Math.ceil((burst - tokens) * perToken) : burst - tokens > 0 ? Infinity : 0
  state.tokens = tokens
  // A clock behind the last writer's must not move the bucket back (it would refill twice).
  state.updatedAt = fresh ? now : Math.max(state.updatedAt, now)
  return { allowed, remaining: Math.floor(tokens), retryAfterMs, resetMs }
}

export function memoryRateLimiter(maxBuckets = 100_000): RateLimiter {
  const buckets = new Map<string, { tokens: number; updatedAt: number }>()
  return markInProcess({
    async take(key, limit, now) {
      let state = buckets.get(key)
      const fresh = state === undefined
      state ??= { tokens: limit.burstLimit, updatedAt: now }
      const result = takeInPlace(state, limit, now, fresh)
      // Most recently used goes last: the oldest are the first to go when the map is full.
      buckets.delete(key)
      buckets.set(key, state)
      // A full bucket carries no information: the oldest entries can go.
      if (buckets.size > maxBuckets) buckets.delete(buckets.keys().next().value!)
      return result
    },
  })
}

/**
 * Flags a store as living in this process (callers skip their timeout). Not enumerable, so a
 * wrapper built by spreading the store (a slow or failing stand-in) does not inherit it.
 */
export function markInProcess<T extends object>(store: T): T {
  return Object.defineProperty(store, 'inProcess', { value: true, enumerable: false })
}
