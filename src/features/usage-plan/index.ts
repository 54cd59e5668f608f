/**
 * Throttling and quotas (reference §4.1): token buckets at the usage-plan, route and account
 * levels (throttle.ts), then the quota of the key's plan (quota.ts). Priority 900: after the
 * API key check (1000), which identifies the key, and before caching (100), so a cached
 * answer is throttled and counted like any other.
 *
 * - An empty bucket: 429 THROTTLED `{"message":"Too Many Requests"}` with Retry-After.
 * - Over quota: 429 QUOTA_EXCEEDED `{"message":"Limit Exceeded"}` with Retry-After (seconds to
 *   the end of the period). A throttled request never reaches the quota, so it is not counted.
 * - Every response of the route carries RateLimit-Policy / RateLimit and X-RateLimit-* unless
 *   settings.rateLimitHeaders is false (headers.ts); Retry-After is always on a 429.
 *
 * Store failures (an error, or no answer within settings.storePolicy.timeoutMs) follow
 * storePolicy.throttle for the plan lookup and the buckets, storePolicy.quota for the quota:
 * - `open` (default): the level is skipped and the request goes on; a warning names the
 *   request id and the level, so the log shows which requests passed unchecked.
 * - `closed`: 429 THROTTLED with `Retry-After: 1`, for the quota as well. A 429 rather than a
 *   500 because it is the answer clients already handle by backing off and retrying (AWS SDKs
 *   retry TooManyRequestsException), the condition is transient, and it keeps a store outage
 *   from reading as failures of the API owner's backend in 5XX alarms. Not QUOTA_EXCEEDED:
 *   the quota is not known to be used up, and "Limit Exceeded" tells clients not to retry.
 *   The log has the cause at error level.
 *
 * The plan of a key for a stage is looked up through the KeyStore (plansOfKey + getPlan) and
 * remembered for PLAN_CACHE_TTL_MS per gateway instance.
 *
 * On shared stores (Redis, Upstash) large buckets are taken from in leases (leases.ts,
 * storePolicy.throttleLeases): one store call hands this instance up to 100 tokens.
 */
import type { Feature, RouteStep } from '../../core/feature.ts'
import type { ResolvedDeps } from '../../core/deps.ts'
import { GatewayError } from '../../core/errors.ts'
import type { GatewayRequest } from '../../core/request.ts'
import type { QuotaResult, RateLimiter, TakeResult } from '../../storage/ports.ts'
import type { StorePolicyConfig } from '../../model/usage-schema.ts'
import { withTimeout } from './guard.ts'
import { leasingRateLimiter } from './leases.ts'
import { rateLimitHeaders, retryAfterSeconds, type LevelState, type QuotaState } from './headers.ts'
import { quotaCounterKey } from './keys.ts'
import { planResolver, syncConfigPlans, type KeyPlan, type PlanResolver } from './plans.ts'
import { quotaState } from './quota.ts'
import { planLevel, routeLevels, type Level } from './throttle.ts'

export { ACCOUNT_BUCKET, planBucket, planMethodBucket, quotaCounterKey, routeBucket } from './keys.ts'
export { planResolver, stageRef, syncConfigPlans, toStoredPlan } from './plans.ts'
export { rateLimitHeaders } from './headers.ts'
export { StoreTimeoutError, withTimeout } from './guard.ts'
export { leasingRateLimiter, leaseSize, LEASE_MS, MAX_LEASE } from './leases.ts'

/** How long a key's plan for a stage is remembered: admin changes reach every instance within it. */
export const PLAN_CACHE_TTL_MS = 5_000

/** Per gateway (deps object): the plan lookup cache, shared by every route. */
const resolvers = new WeakMap<ResolvedDeps, PlanResolver>()
/** Per gateway: the rate limiter routes take from (leasing on shared stores), shared by every route. */
const limiters = new WeakMap<ResolvedDeps, RateLimiter>()

function limiterOf(deps: ResolvedDeps, policy: StorePolicyConfig): RateLimiter {
  let limiter = limiters.get(deps)
  if (!limiter) {
    const store = deps.stores.rateLimiter
    const { takeUpTo } = store
    limiter =
      policy.throttleLeases && takeUpTo && !store.inProcess
        ? leasingRateLimiter({ take: store.take.bind(store), takeUpTo: takeUpTo.bind(store) }, { guard: (call) => withTimeout(call, policy.timeoutMs) })
        : store
    limiters.set(deps, limiter)
  }
  return limiter
}

function resolverOf(deps: ResolvedDeps, timeoutMs: number): PlanResolver {
  let resolver = resolvers.get(deps)
  if (!resolver) {
    resolver = planResolver(deps.stores.keyStore, deps.clock, {
      ttlMs: PLAN_CACHE_TTL_MS,
      guard: (call) => withTimeout(call, timeoutMs),
    })
    resolvers.set(deps, resolver)
  }
  return resolver
}

/** AWS's default account throttle (reference §4.1), used when settings.throttle is unset. */
export const AWS_ACCOUNT_THROTTLE = { rateLimit: 10_000, burstLimit: 5_000 }

/** The throttle and quota feature (usage plans, route, stage and account throttles). */
export const usagePlanFeature: Feature = {
  name: 'usage-plan',
  priority: 900,

  async init({ model, deps }) {
    await syncConfigPlans(model, deps)
  },

  create({ route, api, model, deps }): RouteStep {
    const settings = model.settings
    const policy = settings.storePolicy
    const timeoutMs = policy.timeoutMs
    const limiter = limiterOf(deps, policy)
    const counter = deps.stores.quotaCounter
    // Unset, AWS's account default applies but is not advertised: only configured limits are.
    const account = settings.throttle ?? AWS_ACCOUNT_THROTTLE
    const advertiseAccount = settings.throttle !== undefined
    const byStage = routeLevels(route, api.id, api.stages, account)
    // Usage plans exist on REST APIs only; a method without apiKeyRequired does not count.
    const usesPlans = api.type === 'REST' && route.apiKeyRequired
    const plans = usesPlans ? resolverOf(deps, timeoutMs) : undefined
    const showHeaders = settings.rateLimitHeaders

    /** Applies the store policy of `level`: returns under 'open', throws a 429 under 'closed'. */
    function storeFailed(req: GatewayRequest, level: string, mode: 'open' | 'closed', error: unknown): void {
      const fields = { requestId: req.requestId, level, error: String(error) }
      if (mode === 'open') {
        deps.logger.warn('usage plan store unavailable: request let through unchecked', fields)
        return
      }
      deps.logger.error('usage plan store unavailable: request refused', fields)
      throw new GatewayError('THROTTLED', { detail: `store unavailable at level ${level} (storePolicy closed)`, headers: { 'Retry-After': '1' } })
    }

    return async (req, next) => {
      const now = deps.clock.now()
      const stage = req.stage.name
      const keyId = usesPlans ? (req.identity?.apiKeyId ?? undefined) : undefined
      const levels: Level[] = []

      let keyPlan: KeyPlan | undefined
      if (keyId && plans) {
        try {
          keyPlan = await plans.planOf(keyId, api.id, stage)
        } catch (e) {
          storeFailed(req, 'plan', policy.throttle, e)
        }
        const level = keyPlan && planLevel(keyPlan, keyId, api.id, stage, route.routeKey)
        if (level) levels.push(level)
      }
      const after = byStage.get(stage) ?? routeLevels(route, api.id, [req.stage], account).get(stage)!
      for (const level of after) levels.push(level)

      const states: LevelState[] = []
      for (const level of levels) {
        let result: TakeResult
        try {
          // A timer per call costs more than a memory store's whole answer; it cannot hang.
          result = await (limiter.inProcess ? limiter.take(level.bucket, level.limit, now) : withTimeout(() => limiter.take(level.bucket, level.limit, now), timeoutMs))
        } catch (e) {
          storeFailed(req, level.name, policy.throttle, e)
          continue
        }
        const state: LevelState = { name: level.name, limit: level.limit, result }
        states.push(state)
        if (!result.allowed) {
          const headers = showHeaders ? rateLimitHeaders(states, undefined, state) : {}
          headers['Retry-After'] = String(retryAfterSeconds(result.retryAfterMs))
          throw new GatewayError('THROTTLED', { detail: `${level.name} throttle: bucket ${level.bucket} is empty`, headers })
        }
      }

      let quota: QuotaState | undefined
      const planQuota = keyPlan?.plan.quota
      if (keyId && keyPlan && planQuota) {
        const planId = keyPlan.plan.id
        let result: QuotaResult | undefined
        try {
          const consume = () => counter.consume(quotaCounterKey(planId, keyId), planQuota, now)
          result = await (counter.inProcess ? consume() : withTimeout(consume, timeoutMs))
        } catch (e) {
          storeFailed(req, 'quota', policy.quota, e)
        }
        if (result) {
          quota = quotaState(result, planQuota.period, now)
          if (!result.allowed) {
            const headers = showHeaders ? rateLimitHeaders(states, quota) : {}
            headers['Retry-After'] = String(retryAfterSeconds(result.resetAt - now))
            throw new GatewayError('QUOTA_EXCEEDED', { detail: `quota of API key ${keyId} in usage plan ${planId} is used up`, headers })
          }
        }
      }

      const shown = advertiseAccount ? states : states.filter((s) => s.name !== 'account')
      if (!showHeaders || (shown.length === 0 && !quota)) return next()
      const headers = rateLimitHeaders(shown, quota)
      // The gateway (or the integration, while building its answer) adds them; the
      // integration's own headers of the same names win.
      req.responseHeaders = req.responseHeaders ? { ...req.responseHeaders, ...headers } : headers
      try {
        return await next()
      } catch (e) {
        // A gateway error further down (integration timeout, ...) is answered on this route too.
        if (e instanceof GatewayError) throw withErrorHeaders(e, headers)
        throw e
      }
    }
  },
}

/** The same gateway error with the rate-limit headers added (its own headers win). */
function withErrorHeaders(e: GatewayError, headers: Record<string, string>): GatewayError {
  return new GatewayError(e.type, {
    message: e.overrideMessage,
    detail: e.detail,
    headers: { ...headers, ...e.headers },
    body: e.body,
    errorType: e.errorType,
    cause: e.cause,
  })
}
