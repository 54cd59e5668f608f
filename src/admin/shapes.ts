/**
 * The admin API's resources in API Gateway's shapes (botocore `apigateway` model: ApiKey,
 * UsagePlan, UsagePlanKey, Usage), converted from and to what the KeyStore keeps.
 *
 * Member names are the ones the AWS CLI prints (`items`), not the REST wire's JSON names
 * (`item`, `values`): the admin API authenticates with a bearer token, not SigV4, so AWS SDKs
 * do not talk to it anyway, and people compare its answers with `aws apigateway` output.
 * Timestamps are epoch seconds, as on the wire.
 */
import type { StoredApiKey, StoredUsagePlan } from '../storage/ports.ts'

export interface ThrottleSettings {
  burstLimit: number
  rateLimit: number
}

export interface QuotaSettings {
  limit: number
  offset: number
  period: 'DAY' | 'WEEK' | 'MONTH'
}

/** ApiKey; `value` only in the answer to its creation. */
export interface ApiKey {
  id: string
  name?: string
  description?: string
  enabled: boolean
  createdDate: number
  lastUpdatedDate: number
  /** "restApiId/stage" of every stage the key may call (its usage plans' stages). */
  stageKeys: string[]
  value?: string
}

export interface ApiStage {
  apiId: string
  stage: string
  /** Per-method throttles keyed AWS's way: "/pets/{id}/GET", the root "//GET". */
  throttle?: Record<string, ThrottleSettings>
}

export interface UsagePlan {
  id: string
  name: string
  description?: string
  apiStages: ApiStage[]
  throttle?: ThrottleSettings
  quota?: QuotaSettings
}

export interface UsagePlanKey {
  id: string
  type: 'API_KEY'
  name?: string
}

/** get-usage: per key, one [used, remaining] pair per day from startDate to endDate. */
export interface Usage {
  usagePlanId: string
  startDate: string
  endDate: string
  /** remaining is null when the plan has no quota. */
  items: Record<string, [number, number | null][]>
}

/** A list answer (get-api-keys, get-usage-plans, get-usage-plan-keys). */
export interface Page<T> {
  items: T[]
}

/**
 * What the admin API keeps beyond StoredApiKey's fields. Until the port has them (see the
 * report), they ride along on the stored object, which the memory store keeps whole.
 */
export type AdminStoredKey = StoredApiKey & { description?: string; updatedAt?: number }

const seconds = (ms: number) => Math.floor(ms / 1000)

export function toApiKey(key: AdminStoredKey): ApiKey {
  const out: ApiKey = {
    id: key.id,
    enabled: key.enabled,
    createdDate: seconds(key.createdAt),
    lastUpdatedDate: seconds(key.updatedAt ?? key.createdAt),
    stageKeys: [...(key.stages ?? [])].sort(),
  }
  if (key.name) out.name = key.name
  if (key.description !== undefined) out.description = key.description
  return out
}

/** "GET /pets/{id}" → "/pets/{id}/GET"; "GET /" → "//GET" (AWS's method keys). */
export function methodKeyOf(routeKey: string): string {
  const space = routeKey.indexOf(' ')
  const method = routeKey.slice(0, space)
  const path = routeKey.slice(space + 1)
  return `${path}/${method}`
}

export function toUsagePlan(plan: StoredUsagePlan): UsagePlan {
  const out: UsagePlan = {
    id: plan.id,
    name: plan.name,
    apiStages: plan.apiStages.map((s) => {
      const stage: ApiStage = { apiId: s.apiId, stage: s.stage }
      const entries = Object.entries(s.throttle)
      if (entries.length) stage.throttle = Object.fromEntries(entries.map(([k, t]) => [methodKeyOf(k), { burstLimit: t.burstLimit, rateLimit: t.rateLimit }]))
      return stage
    }),
  }
  if (plan.description !== undefined) out.description = plan.description
  if (plan.throttle) out.throttle = { burstLimit: plan.throttle.burstLimit, rateLimit: plan.throttle.rateLimit }
  if (plan.quota) out.quota = { limit: plan.quota.limit, offset: plan.quota.offset, period: plan.quota.period }
  return out
}

export function toUsagePlanKey(key: StoredApiKey): UsagePlanKey {
  const out: UsagePlanKey = { id: key.id, type: 'API_KEY' }
  if (key.name) out.name = key.name
  return out
}
