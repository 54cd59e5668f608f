/**
 * Usage plans in the KeyStore: writing the config's plans at start-up, and finding the plan
 * of an API key for a stage at request time (cached briefly).
 */
import type { Clock } from '../../core/deps.ts'
import { configApiKeyId, type CompiledUsagePlan, type GatewayModel } from '../../model/load.ts'
import type { KeyStore, StoredApiKey, StoredUsagePlan } from '../../storage/ports.ts'

/** The usage-plan stage reference of an API stage: "apiId/stage" (StoredApiKey.stages). */
export function stageRef(apiId: string, stage: string): string {
  return `${apiId}/${stage}`
}

/** A config plan as the KeyStore keeps it. */
export function toStoredPlan(plan: CompiledUsagePlan, createdAt: number): StoredUsagePlan {
  const stored: StoredUsagePlan = {
    id: plan.id,
    name: plan.name,
    apiStages: plan.apiStages.map((s) => ({ apiId: s.apiId, stage: s.stage, throttle: { ...s.methodThrottle } })),
    source: 'config',
    createdAt,
  }
  if (plan.description !== undefined) stored.description = plan.description
  if (plan.throttle) stored.throttle = { ...plan.throttle }
  if (plan.quota) stored.quota = { ...plan.quota }
  return stored
}

/**
 * Writes the config's usage plans into the KeyStore and restricts the config API keys to the
 * stages of their plans. Runs after the API key feature stored the keys (init runs in
 * priority order).
 *
 * - Config plans are rewritten at each start; a config plan no longer in the config is deleted
 *   (with its links). Admin plans are left alone.
 * - A config key dropped from a config plan's `apiKeys` is unlinked; admin links stay.
 * - With usage plans in the config, each config key may call exactly the stages of the plans
 *   it is linked to (config or admin): a key in no plan gets `stages: []` and is refused
 *   everywhere, as on AWS. Without usage plans in the config, a config key linked to no plan
 *   keeps `stages` undefined (every stage), as before usage plans existed.
 */
export async function syncConfigPlans(
  model: Pick<GatewayModel, 'usagePlans' | 'apiKeys'>,
  deps: { clock: Clock; stores: { keyStore: KeyStore } },
): Promise<void> {
  const store = deps.stores.keyStore
  const configKeyIds = new Set(model.apiKeys.map((k) => configApiKeyId(k)))
  const wanted = new Set(model.usagePlans.map((p) => p.id))

  for (const prior of await store.listPlans()) {
    if (prior.source === 'config' && !wanted.has(prior.id)) await store.deletePlan(prior.id)
  }
  for (const plan of model.usagePlans) {
    const prior = await store.getPlan(plan.id)
    if (prior && prior.source !== 'config') {
      // An admin plan with the id a config plan derives from its name: refuse to overwrite it.
      throw new Error(`usage plan "${plan.name}": the key store already holds an admin plan with id ${plan.id}`)
    }
    await store.putPlan(toStoredPlan(plan, prior?.createdAt ?? deps.clock.now()))
    const linked = new Set(plan.apiKeyIds)
    for (const keyId of await store.keysOfPlan(plan.id)) {
      if (configKeyIds.has(keyId) && !linked.has(keyId)) await store.unlinkKey(plan.id, keyId)
    }
    for (const keyId of plan.apiKeyIds) await store.linkKey(plan.id, keyId)
  }

  const plansInConfig = model.usagePlans.length > 0
  for (const keyId of configKeyIds) {
    const key = await store.get(keyId)
    // Not stored: the API key feature is not in this gateway, or the key was refused there.
    if (!key) continue
    const stages = new Set<string>()
    for (const planId of await store.plansOfKey(keyId)) {
      const plan = await store.getPlan(planId)
      for (const s of plan?.apiStages ?? []) stages.add(stageRef(s.apiId, s.stage))
    }
    const next: StoredApiKey = { ...key }
    if (plansInConfig || stages.size > 0) next.stages = [...stages].sort()
    else delete next.stages
    if (!sameStages(key.stages, next.stages)) await store.put(next)
  }
}

function sameStages(a: string[] | undefined, b: string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return [...a].sort().join('\n') === [...b].sort().join('\n')
}

/** What a key's plan means for one stage: the plan, and its per-method throttles there. */
export interface KeyPlan {
  plan: StoredUsagePlan
  methodThrottle: Record<string, { rateLimit: number; burstLimit: number }>
}

/**
 * Finds the usage plan of an API key for a stage, remembering answers (plans found and
 * "no plan") for `ttlMs`: a plan changed or a key unlinked through the admin API takes effect
 * on every instance within that time. Store errors are not remembered.
 */
export function planResolver(
  store: KeyStore,
  clock: Clock,
  opts: { ttlMs: number; maxEntries?: number; guard?: <T>(call: () => Promise<T>) => Promise<T> },
) {
  // Each store call under the caller's deadline, so that a lookup shared by concurrent
  // requests settles (and is retried by the next request) even when the store hangs.
  const guard = opts.guard ?? (<T>(call: () => Promise<T>) => call())
  const max = opts.maxEntries ?? 10_000
  const cache = new Map<string, { value: KeyPlan | undefined; expires: number }>()
  const inflight = new Map<string, Promise<KeyPlan | undefined>>()

  async function load(keyId: string, apiId: string, stage: string): Promise<KeyPlan | undefined> {
    const planIds = [...(await guard(() => store.plansOfKey(keyId)))]
    // Sorted: should the store ever hold two plans of one key for a stage (AWS allows one),
    // every instance picks the same.
    planIds.sort()
    for (const planId of planIds) {
      const plan = await guard(() => store.getPlan(planId))
      const apiStage = plan?.apiStages.find((s) => s.apiId === apiId && s.stage === stage)
      if (plan && apiStage) return { plan, methodThrottle: apiStage.throttle }
    }
    return undefined
  }

  return {
    /** The plan of `keyId` on stage `apiId/stage`, or undefined when the key has none there. */
    async planOf(keyId: string, apiId: string, stage: string): Promise<KeyPlan | undefined> {
      const id = `${keyId} ${apiId}/${stage}`
      const now = clock.now()
      const hit = cache.get(id)
      if (hit && hit.expires > now) return hit.value
      // Concurrent requests of one key share one lookup.
      let pending = inflight.get(id)
      if (!pending) {
        pending = load(keyId, apiId, stage).finally(() => inflight.delete(id))
        inflight.set(id, pending)
      }
      const value = await pending
      cache.delete(id)
      cache.set(id, { value, expires: clock.now() + opts.ttlMs })
      if (cache.size > max) cache.delete(cache.keys().next().value!)
      return value
    },
    /** Forgets every remembered answer. */
    clear() {
      cache.clear()
    },
  }
}

export type PlanResolver = ReturnType<typeof planResolver>
