/**
 * Token leases (settings.storePolicy.throttleLeases). On a shared store every throttle check is
 * a round trip to one key per bucket, and the account bucket's key is touched by every request
 * of every instance. For large buckets an instance takes several tokens in one call (the
 * store's takeUpTo) and hands them out itself:
 * - A lease is at most 1% of the burst, a tenth of a second's refill and 100 tokens
 *   (leaseSize). Where that is under 2 tokens (small buckets: usage plans of a few requests a
 *   second) every token is taken from the store, exactly as without leases.
 * - No more is ever admitted than the bucket allows: each token handed out was taken from the
 *   store atomically. Fewer may be: a lease's tokens not handed out within LEASE_MS are
 *   dropped, at most one lease per instance and bucket at a time.
 * - A refusal is remembered until its Retry-After: nothing but time adds tokens to a bucket,
 *   so the store could not say otherwise before then, and a flood of refused requests costs
 *   no round trips.
 * - Requests that find no lease wait for the one being fetched instead of each fetching one.
 * - The remaining count in the rate-limit headers is the store's at the lease less what this
 *   instance has handed out since: other instances' takes show at the next lease.
 */
import type { RateLimiter, TakeResult } from '../../storage/ports.ts'
import { markInProcess } from '../../storage/memory/rate-limiter.ts'

/** How long a lease's tokens may be handed out. */
export const LEASE_MS = 1000
/** The most tokens one lease takes. */
export const MAX_LEASE = 100

type Limit = { rateLimit: number; burstLimit: number }

/** Tokens per lease for `limit`; under 2 means no leases (one token per store call). */
export function leaseSize(limit: Limit): number {
  return Math.min(MAX_LEASE, Math.floor(limit.burstLimit / 100), Math.floor(limit.rateLimit / 10))
}

interface Lease {
  /** Tokens left to hand out. */
  tokens: number
  /** Until when they may be (the gateway's clock). */
  expiresAt: number
  /** The headers' remaining count. */
  remaining: number
  /** The store refused: refuse locally until then. */
  deniedUntil: number
  /** The store's answer to the refusal (resetMs as of `at`). */
  denial?: TakeResult
  at: number
  /** While the lease is being fetched. */
  pending?: Promise<void>
}

/** ms until a bucket with `remaining` whole tokens is full again. */
function resetMs(limit: Limit, remaining: number): number {
  return Math.ceil(((limit.burstLimit - remaining) * 1000) / limit.rateLimit)
}

/**
 * A RateLimiter handing out leased tokens of `store`'s buckets. It applies `guard` (the
 * store-call deadline) to its own store calls, so callers treat it as in-process.
 * @param maxLeases buckets tracked at once; the oldest lease goes first beyond it
 */
export function leasingRateLimiter(
  store: RateLimiter & Required<Pick<RateLimiter, 'takeUpTo'>>,
  opts: { guard: <T>(call: () => Promise<T>) => Promise<T>; maxLeases?: number },
): RateLimiter {
  const leases = new Map<string, Lease>()
  const maxLeases = opts.maxLeases ?? 100_000
  const guard = opts.guard

  const fetchLease = async (key: string, limit: Limit, now: number, size: number): Promise<TakeResult> => {
    let done!: () => void
    const lease: Lease = { tokens: 0, expiresAt: 0, remaining: 0, deniedUntil: 0, at: now, pending: new Promise<void>((r) => (done = r)) }
    leases.delete(key)
    leases.set(key, lease)
    if (leases.size > maxLeases) leases.delete(leases.keys().next().value!)
    try {
      const { taken, result } = await guard(() => store.takeUpTo(key, limit, now, size))
      if (taken < 1) {
        lease.deniedUntil = now + result.retryAfterMs
        lease.denial = result
      } else {
        lease.tokens = taken - 1
        lease.expiresAt = now + LEASE_MS
        lease.remaining = result.remaining
      }
      return result
    } catch (e) {
      if (leases.get(key) === lease) leases.delete(key)
      throw e
    } finally {
      lease.pending = undefined
      done()
    }
  }

  return markInProcess({
    async take(key, limit, now) {
      const size = leaseSize(limit)
      if (size < 2) return guard(() => store.take(key, limit, now))
      let lease = leases.get(key)
      if (lease?.pending) {
        await lease.pending
        lease = leases.get(key)
      }
      if (lease && !lease.pending) {
        if (now < lease.deniedUntil) {
          const denial = lease.denial!
          return { allowed: false, remaining: 0, retryAfterMs: lease.deniedUntil - now, resetMs: Math.max(0, denial.resetMs - (now - lease.at)) }
        }
        if (lease.tokens >= 1 && now < lease.expiresAt) {
          lease.tokens--
          lease.remaining = Math.max(0, lease.remaining - 1)
          return { allowed: true, remaining: lease.remaining, retryAfterMs: 0, resetMs: resetMs(limit, lease.remaining) }
        }
      }
      // Another request is already fetching the next lease: take this one token directly
      // rather than queue behind a second fetch.
      if (lease?.pending) return guard(() => store.take(key, limit, now))
      return fetchLease(key, limit, now, size)
    },
  })
}
