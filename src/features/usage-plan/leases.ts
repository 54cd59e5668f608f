/**
 * Token leases (settings.storePolicy.throttleLeases). On a shared store every throttle check is
 * a round trip to one key per bucket, and the account bucket's key is touched by every request
 * of every instance. For large buckets an instance takes several tokens in one call (the
 * store's takeUpTo) and hands them out itself:
 * - A lease is at most 1% of the burst, a tenth of a second's refill and 100 tokens
 *   (leaseSize). Where that is under 2 tokens (small buckets: usage plans of a few requests a
 *   second) every token is taken from the store, exactly as without leases.
 * - Every token handed out was taken from the store atomically, but may be handed out up to
 *   LEASE_MS after it was taken, when the bucket has refilled meanwhile: over any window the
 *   bucket admits at most its burst + rate × window, plus one lease (at most a tenth of a
 *   second of the rate) per instance. A lease's tokens not handed out within LEASE_MS are
 *   dropped (fewer admitted, never more); a lease is used only under the limit it was taken
 *   under (a plan whose limits change takes anew), and never at a clock before its own.
 * - A refusal is remembered until its Retry-After, less than a token's refill time (at most
 *   50 ms where leases apply): only time refills a bucket, so the store would refuse too,
 *   unless its key was evicted meanwhile. A flood of refused requests costs no round trips.
 * - Requests that find no lease wait for the one being fetched instead of each fetching one,
 *   and get its error when it fails (at most MAX_WAITS fetches; then they take their token
 *   from the store directly).
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
  /** The limit it was taken under: a request under another limit (a plan changed) takes anew. */
  rateLimit: number
  burstLimit: number
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
  /** While the lease is being fetched: settles with the fetch's error, if it failed. */
  pending?: Promise<{ error: unknown } | undefined>
}

/** ms until a bucket with `remaining` whole tokens is full again. */
function resetMs(limit: Limit, remaining: number): number {
  return Math.ceil(((limit.burstLimit - remaining) * 1000) / limit.rateLimit)
}

/** How many fetches a request waits for before it takes its token straight from the store. */
const MAX_WAITS = 4

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
    let settle!: (outcome: { error: unknown } | undefined) => void
    const lease: Lease = {
      rateLimit: limit.rateLimit,
      burstLimit: limit.burstLimit,
      tokens: 0,
      expiresAt: 0,
      remaining: 0,
      deniedUntil: 0,
      at: now,
      pending: new Promise((r) => (settle = r)),
    }
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
      lease.pending = undefined
      settle(undefined)
      return result
    } catch (error) {
      if (leases.get(key) === lease) leases.delete(key)
      lease.pending = undefined
      // Those waiting on this fetch get its failure too: the store policy applies to each.
      settle({ error })
      throw error
    }
  }

  return markInProcess({
    async take(key, limit, now) {
      const size = leaseSize(limit)
      if (size < 2) return guard(() => store.take(key, limit, now))
      for (let waits = 0; ; waits++) {
        const lease = leases.get(key)
        if (lease?.pending) {
          // Requests that find a fetch under way wait for it rather than each fetching: when
          // it brings fewer tokens than there are waiters, one of them fetches the next.
          if (waits >= MAX_WAITS) return guard(() => store.take(key, limit, now))
          const failed = await lease.pending
          if (failed) throw failed.error
          continue
        }
        if (lease && lease.rateLimit === limit.rateLimit && lease.burstLimit === limit.burstLimit) {
          if (now < lease.deniedUntil && now >= lease.at) {
            const denial = lease.denial!
            return { allowed: false, remaining: 0, retryAfterMs: lease.deniedUntil - now, resetMs: Math.max(0, denial.resetMs - (now - lease.at)) }
          }
          if (lease.tokens >= 1 && now < lease.expiresAt && now >= lease.at) {
            lease.tokens--
            lease.remaining = Math.max(0, lease.remaining - 1)
            return { allowed: true, remaining: lease.remaining, retryAfterMs: 0, resetMs: resetMs(limit, lease.remaining) }
          }
        }
        return fetchLease(key, limit, now, size)
      }
    },
  })
}
