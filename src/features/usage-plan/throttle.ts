/**
 * Which token buckets a request takes from, in API Gateway's order (reference §4.1: usage
 * plan per-client limits, then per-method stage limits, then the account limit):
 *
 * 1. `plan-method`: the key's plan sets a throttle for this method on this stage, or else
 *    `plan`: the plan's own throttle, per key, aggregated across the plan's stages. Only on
 *    REST routes with apiKeyRequired where the API key feature identified a key: a method
 *    that needs no key "does not contribute to throttle or quota limits" (§4.1).
 * 2. `route`: the route's throttle (method settings; serverless function-level `throttle`),
 *    or else the stage's (stage `/*\/*` method settings; HTTP API defaultRouteSettings). As on
 *    AWS a stage default is a limit *of each route*, not of the stage as a whole, and a
 *    route's own setting replaces it: one bucket per route and stage.
 * 3. `account`: settings.throttle, one bucket for every API of the gateway.
 *
 * Buckets are taken one after another and the first empty one refuses (429). A request
 * refused at one level takes nothing from the later ones, so a key over its plan limit
 * cannot drain the account's bucket for everyone else; it has taken a token from the
 * earlier levels, as every request that reached them does.
 */
import type { CompiledRoute } from '../../model/load.ts'
import type { KeyPlan } from './plans.ts'
import { ACCOUNT_BUCKET, planBucket, planMethodBucket, routeBucket } from './keys.ts'

export type ThrottleLimit = { rateLimit: number; burstLimit: number }

/** A throttle level of one request: its name (as in the headers), bucket and limit. */
export interface Level {
  name: 'plan-method' | 'plan' | 'route' | 'account'
  bucket: string
  limit: ThrottleLimit
}

/** The levels after the usage plan's, for each stage of the route's API. */
export function routeLevels(
  route: Pick<CompiledRoute, 'routeKey' | 'throttle'>,
  apiId: string,
  stages: { name: string; throttle?: ThrottleLimit }[],
  account: ThrottleLimit,
): Map<string, Level[]> {
  const out = new Map<string, Level[]>()
  for (const stage of stages) {
    const levels: Level[] = []
    const limit = route.throttle ?? stage.throttle
    if (limit) levels.push({ name: 'route', bucket: routeBucket(apiId, stage.name, route.routeKey), limit })
    levels.push({ name: 'account', bucket: ACCOUNT_BUCKET, limit: account })
    out.set(stage.name, levels)
  }
  return out
}

/** The usage plan's level for a key on a stage, when the plan throttles this method or the key. */
export function planLevel(keyPlan: KeyPlan, keyId: string, apiId: string, stage: string, routeKey: string): Level | undefined {
  const { plan, methodThrottle } = keyPlan
  const method = methodThrottle[routeKey]
  if (method) return { name: 'plan-method', bucket: planMethodBucket(plan.id, keyId, apiId, stage, routeKey), limit: method }
  if (plan.throttle) return { name: 'plan', bucket: planBucket(plan.id, keyId), limit: plan.throttle }
  return undefined
}
