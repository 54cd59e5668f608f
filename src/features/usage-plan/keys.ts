/**
 * Names of the token buckets and quota counters, shared with the admin API and the CLI (which
 * read and reset the same counters). A store adds its own prefix per port (rate limiter,
 * quota counter), so a bucket and a counter with the same name never collide.
 *
 * | level (header name) | bucket                                                | applies to                                   |
 * | ------------------- | ----------------------------------------------------- | -------------------------------------------- |
 * | `plan-method`       | `plan:{planId}:key:{keyId}:{apiId}/{stage}:{routeKey}` | one API key, one method of one plan stage    |
 * | `plan`              | `plan:{planId}:key:{keyId}`                           | one API key, all the plan's stages together  |
 * | `route`             | `route:{apiId}/{stage}:{routeKey}`                     | every caller of one route of one stage       |
 * | `account`           | `account`                                             | every request to every API of the gateway    |
 *
 * The quota counter of a key in a plan is `plan:{planId}:key:{keyId}` (QuotaCounter port).
 */

/** Bucket of an API key's plan-wide throttle, aggregated across the plan's stages (as AWS does). */
export function planBucket(planId: string, keyId: string): string {
  return `plan:${planId}:key:${keyId}`
}

/** Bucket of an API key's per-method throttle in one plan stage. */
export function planMethodBucket(planId: string, keyId: string, apiId: string, stage: string, routeKey: string): string {
  return `plan:${planId}:key:${keyId}:${apiId}/${stage}:${routeKey}`
}

/** Bucket of a route's throttle on one stage (route.throttle, else the stage's default). */
export function routeBucket(apiId: string, stage: string, routeKey: string): string {
  return `route:${apiId}/${stage}:${routeKey}`
}

/** The bucket of the account-wide throttle (settings.throttle), shared by every API. */
export const ACCOUNT_BUCKET = 'account'

/** The quota counter of an API key in a usage plan (what GetUsage reads and a reset clears). */
export function quotaCounterKey(planId: string, keyId: string): string {
  return `plan:${planId}:key:${keyId}`
}
