/**
 * Quotas per API key and plan (reference §4.1): `limit` requests per UTC calendar DAY, WEEK
 * (from Sunday) or MONTH (from the 1st), less `offset` in the first period the key is counted
 * in. Which requests count: those on a route with apiKeyRequired, with a key in a plan for the
 * stage, that passed every throttle level (AWS counts requests that passed throttling). A
 * request refused by an authorizer, the API key check or a throttle does not count; one that
 * passed is counted even when the integration then fails or a cached answer is served, as on
 * AWS, where the quota is checked before the method runs.
 */
import { periodBounds } from '../../storage/periods.ts'
import type { QuotaResult } from '../../storage/ports.ts'
import { ceilSeconds, type QuotaState } from './headers.ts'

/** The quota's header state at `now` after a consume. */
export function quotaState(result: QuotaResult, period: 'DAY' | 'WEEK' | 'MONTH', now: number): QuotaState {
  const [start, end] = periodBounds(period, now)
  return {
    limit: result.limit,
    remaining: result.remaining,
    windowSeconds: Math.round((end - start) / 1000),
    resetSeconds: ceilSeconds(result.resetAt - now),
  }
}
