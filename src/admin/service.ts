/**
 * The admin operations on keys, usage plans, links and usage, over the storage ports. The
 * HTTP admin API and the CLI's direct-store mode both call these, so both validate and answer
 * alike.
 *
 * Every operation validates its whole input before the first write. Operations that take
 * several writes (linking a key writes the link and the key's stages) record how to undo each
 * write and undo them, newest first, when a later one fails, so a store failure leaves the
 * state as it was.
 */
import type { Clock } from '../core/deps.ts'
import type { CompiledApi, GatewayModel } from '../model/load.ts'
import { configApiKeyId } from '../model/load.ts'
import type { KeyStore, QuotaCounter, StoredApiKey, StoredUsagePlan } from '../storage/ports.ts'
import { daysBetween, periodBounds, utcDay } from '../storage/periods.ts'
import { API_KEY_MAX_LENGTH, API_KEY_MIN_LENGTH, generateApiKeyValue, hashApiKey } from '../features/api-key/keys.ts'
import { quotaCounterKey } from '../features/usage-plan/keys.ts'
import { AdminError, badRequest, conflict, notFound } from './errors.ts'
import {
  toApiKey,
  toUsagePlan,
  toUsagePlanKey,
  type AdminStoredKey,
  type ApiKey,
  type Page,
  type Usage,
  type UsagePlan,
  type UsagePlanKey,
} from './shapes.ts'
import * as v from './validate.ts'

/** What the operations work on. */
export interface AdminContext {
  keyStore: KeyStore
  quotaCounter: QuotaCounter
  clock: Clock
  /**
   * The gateway's model: plan stages are checked against its APIs, and config-declared keys
   * and plans are told apart. Absent in the CLI's store mode without --config, where stages are
   * taken as given.
   */
  model?: Pick<GatewayModel, 'apis' | 'apiKeys'> & Partial<Pick<GatewayModel, 'usagePlans'>>
}

/** The longest get-usage range, in days (a year and a day). */
export const MAX_USAGE_DAYS = 366

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'

/** A 10-character id like AWS's ([a-z0-9]); bytes of 252 and above are drawn again (252 = 7 × 36). */
export function newResourceId(): string {
  let out = ''
  const bytes = new Uint8Array(16)
  while (out.length < 10) {
    crypto.getRandomValues(bytes)
    for (const b of bytes) if (b < 252 && out.length < 10) out += ID_ALPHABET[b % 36]
  }
  return out
}

/** Undo steps of a multi-write operation; run newest first when a later write fails. */
class Undo {
  private steps: (() => Promise<unknown>)[] = []

  add(step: () => Promise<unknown>) {
    this.steps.push(step)
  }

  /** Runs `work`; on failure undoes what was recorded and rethrows the original error. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (e) {
      for (const step of this.steps.reverse()) {
        try {
          await step()
        } catch {
          // Keep undoing the rest: the first failure is the one worth reporting.
        }
      }
      throw e
    }
  }
}

/** The admin operations (API Gateway's create/get/update/delete on keys, plans, plan keys, usage). */
export class AdminService {
  private readonly ctx: AdminContext

  constructor(ctx: AdminContext) {
    this.ctx = ctx
  }

  private get store() {
    return this.ctx.keyStore
  }

  private now() {
    return this.ctx.clock.now()
  }

  // ---- API keys -----------------------------------------------------------------------------

  /** create-api-key: the answer carries the value, the only time it is ever shown. */
  async createApiKey(body: unknown): Promise<ApiKey & { value: string }> {
    const o = v.object(body ?? {}, 'body')
    v.known(o, ['name', 'description', 'enabled', 'value', 'generateDistinctId'], '', {
      stageKeys: 'not supported: link the key to a usage plan (POST /usageplans/{id}/keys)',
      customerId: 'not supported',
      tags: 'not supported',
    })
    const name = v.optionalString(o.name, 'name', { max: v.LIMITS.name }) ?? ''
    const description = v.optionalString(o.description, 'description', { max: v.LIMITS.description })
    // AWS's default: a key is created disabled unless `enabled` says otherwise.
    const enabled = o.enabled === undefined ? false : v.boolean(o.enabled, 'enabled')
    const given = v.optionalString(o.value, 'value', { min: API_KEY_MIN_LENGTH, max: API_KEY_MAX_LENGTH })
    if (given !== undefined && /\s/.test(given)) throw badRequest('value', 'must not contain white space')
    if (o.generateDistinctId !== undefined) v.boolean(o.generateDistinctId, 'generateDistinctId')

    const value = given ?? generateApiKeyValue()
    const hash = await hashApiKey(value)
    if (await this.store.findByHash(hash)) throw conflict('API Key value already exists')
    const now = this.now()
    const key: AdminStoredKey = { id: await this.freshKeyId(), name, hash, enabled, stages: [], createdAt: now, updatedAt: now }
    if (description !== undefined) key.description = description
    await this.store.put(key)
    return { ...toApiKey(key), value }
  }

  /** get-api-keys, optionally only those whose name starts with `nameQuery`. */
  async getApiKeys(query: { nameQuery?: string } = {}): Promise<Page<ApiKey>> {
    const keys = await this.store.list()
    const items = keys
      .filter((k) => !query.nameQuery || k.name.startsWith(query.nameQuery))
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
      .map(toApiKey)
    return { items }
  }

  async getApiKey(id: string): Promise<ApiKey> {
    return toApiKey(await this.key(id))
  }

  /** update-api-key: replace /name, /description, /enabled. */
  async updateApiKey(id: string, body: unknown): Promise<ApiKey> {
    const ops = v.patchOperations(body)
    const key: AdminStoredKey = { ...(await this.key(id)) }
    ops.forEach((op, i) => {
      const field = `patchOperations[${i}]`
      if (op.path === '/name' && op.op === 'replace') key.name = v.string(op.value, `${field}.value`, { max: v.LIMITS.name })
      else if (op.path === '/description' && op.op === 'replace') key.description = v.string(op.value, `${field}.value`, { max: v.LIMITS.description })
      else if (op.path === '/description' && op.op === 'remove') delete key.description
      else if (op.path === '/enabled' && op.op === 'replace') key.enabled = v.boolean(op.value, `${field}.value`)
      else throw unsupportedPatch(field, op, ['replace /name', 'replace|remove /description', 'replace /enabled'])
    })
    if (this.isConfigKey(id)) throw configOwned('API key', id, 'apiKeys')
    key.updatedAt = this.now()
    await this.store.put(key)
    return toApiKey(key)
  }

  /** delete-api-key: the key and its plan links go; its value stops working at once. */
  async deleteApiKey(id: string): Promise<void> {
    await this.key(id)
    if (this.isConfigKey(id)) throw configOwned('API key', id, 'apiKeys')
    await this.store.delete(id)
  }

  // ---- usage plans --------------------------------------------------------------------------

  async createUsagePlan(body: unknown): Promise<UsagePlan> {
    const o = v.object(body ?? {}, 'body')
    v.known(o, ['name', 'description', 'apiStages', 'throttle', 'quota'], '', { productCode: 'not supported', tags: 'not supported' })
    if (o.name === undefined) throw badRequest('name', 'is required')
    const name = v.string(o.name, 'name', { min: 1, max: v.LIMITS.name })
    await this.checkPlanName(name)
    const plan: StoredUsagePlan = {
      id: await this.freshPlanId(),
      name,
      apiStages: o.apiStages === undefined ? [] : this.apiStages(o.apiStages, 'apiStages'),
      source: 'admin',
      createdAt: this.now(),
    }
    const description = v.optionalString(o.description, 'description', { max: v.LIMITS.description })
    if (description !== undefined) plan.description = description
    if (o.throttle !== undefined && o.throttle !== null) plan.throttle = v.throttle(o.throttle, 'throttle')
    if (o.quota !== undefined && o.quota !== null) plan.quota = v.quota(o.quota, 'quota')
    await this.store.putPlan(plan)
    return toUsagePlan(plan)
  }

  /** get-usage-plans; with `keyId`, only the plans that key is linked to. */
  async getUsagePlans(query: { keyId?: string } = {}): Promise<Page<UsagePlan>> {
    let plans = await this.store.listPlans()
    if (query.keyId !== undefined) {
      await this.key(query.keyId)
      const linked = new Set(await this.store.plansOfKey(query.keyId))
      plans = plans.filter((p) => linked.has(p.id))
    }
    return { items: plans.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id)).map(toUsagePlan) }
  }

  async getUsagePlan(id: string): Promise<UsagePlan> {
    return toUsagePlan(await this.plan(id))
  }

  /**
   * update-usage-plan. Paths: /name, /description, /throttle/rateLimit, /throttle/burstLimit,
   * /throttle (remove), /quota/limit, /quota/period, /quota/offset, /quota (remove),
   * /apiStages (add or remove "apiId:stage"), and a stage's method throttle
   * /apiStages/{apiId}:{stage}/throttle/{resourcePath with / as ~1}/{METHOD}[/rateLimit|/burstLimit].
   */
  async updateUsagePlan(id: string, body: unknown): Promise<UsagePlan> {
    const ops = v.patchOperations(body)
    const prior = await this.plan(id)
    const plan: StoredUsagePlan = structuredClone(prior)
    ops.forEach((op, i) => this.applyPlanPatch(plan, op, `patchOperations[${i}]`))
    if (plan.throttle && (Number.isNaN(plan.throttle.rateLimit) || Number.isNaN(plan.throttle.burstLimit))) {
      throw badRequest('throttle', 'needs both rateLimit and burstLimit (set the other one in the same request)')
    }
    if (plan.quota && (Number.isNaN(plan.quota.limit) || !plan.quota.period)) {
      throw badRequest('quota', 'needs both limit and period (set the other one in the same request)')
    }
    if (plan.name !== prior.name) await this.checkPlanName(plan.name, id)
    if (prior.source === 'config') throw configOwned('usage plan', id, 'usagePlans')

    const stagesChanged = stageSet(plan).join() !== stageSet(prior).join()
    const keyIds = stagesChanged ? await this.store.keysOfPlan(id) : []
    for (const keyId of keyIds) await this.checkOnePlanPerStage(keyId, plan)

    const undo = new Undo()
    await undo.run(async () => {
      undo.add(() => this.store.putPlan(prior))
      await this.store.putPlan(plan)
      for (const keyId of keyIds) await this.restage(keyId, undo)
    })
    return toUsagePlan(plan)
  }

  /** delete-usage-plan: its links go, and its keys lose its stages. */
  async deleteUsagePlan(id: string): Promise<void> {
    const prior = await this.plan(id)
    if (prior.source === 'config') throw configOwned('usage plan', id, 'usagePlans')
    const keyIds = await this.store.keysOfPlan(id)
    const undo = new Undo()
    await undo.run(async () => {
      undo.add(async () => {
        await this.store.putPlan(prior)
        for (const keyId of keyIds) await this.store.linkKey(id, keyId)
      })
      await this.store.deletePlan(id)
      for (const keyId of keyIds) await this.restage(keyId, undo)
    })
  }

  // ---- plan keys ----------------------------------------------------------------------------

  /** create-usage-plan-key: links a key; it may then call the plan's stages. */
  async createUsagePlanKey(planId: string, body: unknown): Promise<UsagePlanKey> {
    const plan = await this.plan(planId)
    const o = v.object(body ?? {}, 'body')
    v.known(o, ['keyId', 'keyType'], '')
    if (o.keyId === undefined) throw badRequest('keyId', 'is required')
    const keyId = v.string(o.keyId, 'keyId', { min: 1, max: 128 })
    if (o.keyType !== undefined && o.keyType !== 'API_KEY') throw badRequest('keyType', 'must be API_KEY')
    const key = await this.key(keyId)
    if ((await this.store.plansOfKey(keyId)).includes(planId)) throw conflict(`API Key ${keyId} is already in Usage Plan ${planId}`)
    await this.checkOnePlanPerStage(keyId, plan)

    const undo = new Undo()
    await undo.run(async () => {
      undo.add(() => this.store.unlinkKey(planId, keyId))
      await this.store.linkKey(planId, keyId)
      await this.restage(keyId, undo)
    })
    return toUsagePlanKey(key)
  }

  async getUsagePlanKeys(planId: string, query: { nameQuery?: string } = {}): Promise<Page<UsagePlanKey>> {
    await this.plan(planId)
    const keys = await Promise.all((await this.store.keysOfPlan(planId)).map((id) => this.store.get(id)))
    const items = keys
      .filter((k): k is StoredApiKey => k !== undefined && (!query.nameQuery || k.name.startsWith(query.nameQuery)))
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
      .map(toUsagePlanKey)
    return { items }
  }

  async getUsagePlanKey(planId: string, keyId: string): Promise<UsagePlanKey> {
    await this.plan(planId)
    if (!(await this.store.keysOfPlan(planId)).includes(keyId)) throw notFound('usagePlanKey')
    return toUsagePlanKey(await this.key(keyId))
  }

  /** delete-usage-plan-key: unlinks; the key loses the plan's stages. */
  async deleteUsagePlanKey(planId: string, keyId: string): Promise<void> {
    await this.plan(planId)
    if (!(await this.store.keysOfPlan(planId)).includes(keyId)) throw notFound('usagePlanKey')
    const undo = new Undo()
    await undo.run(async () => {
      undo.add(() => this.store.linkKey(planId, keyId))
      await this.store.unlinkKey(planId, keyId)
      await this.restage(keyId, undo)
    })
  }

  // ---- usage --------------------------------------------------------------------------------

  /**
   * get-usage: for each key of the plan (or `keyId` alone), one [used, remaining] pair per UTC
   * day from startDate to endDate. `remaining` is what was left of the quota period at the end
   * of that day (null without a quota). The quota offset of a key's first period is not
   * reflected: the counter port does not say which period was a key's first.
   */
  async getUsage(planId: string, query: { keyId?: string; startDate?: unknown; endDate?: unknown }): Promise<Usage> {
    const plan = await this.plan(planId)
    if (query.startDate === undefined) throw badRequest('startDate', 'is required (yyyy-MM-dd)')
    if (query.endDate === undefined) throw badRequest('endDate', 'is required (yyyy-MM-dd)')
    const startDate = v.isoDate(query.startDate, 'startDate')
    const endDate = v.isoDate(query.endDate, 'endDate')
    if (endDate < startDate) throw badRequest('endDate', 'must not be before startDate')
    if (daysBetween(startDate, endDate, MAX_USAGE_DAYS + 1).length > MAX_USAGE_DAYS) throw badRequest('endDate', `the range may cover at most ${MAX_USAGE_DAYS} days`)

    let keyIds: string[]
    if (query.keyId !== undefined && query.keyId !== '') {
      await this.key(query.keyId)
      keyIds = [query.keyId]
    } else {
      keyIds = (await this.store.keysOfPlan(planId)).sort()
    }
    // Counted from the start of the quota period holding startDate, so `remaining` is right
    // on the range's first days too.
    const from = plan.quota ? utcDay(periodBounds(plan.quota.period, Date.parse(startDate + 'T00:00:00Z'))[0]) : startDate
    const days = daysBetween(startDate, endDate, MAX_USAGE_DAYS)
    const items: Usage['items'] = {}
    const now = this.now()
    const [currentStart] = plan.quota ? periodBounds(plan.quota.period, now) : [0]
    for (const keyId of keyIds) {
      const counterKey = quotaCounterKey(planId, keyId)
      const counts = await this.ctx.quotaCounter.usageByDay(counterKey, from, endDate)
      // The current period is enforced against the counter, which a reset clears; the per-day
      // history keeps every request served. Past periods are read from that history.
      const enforced = plan.quota ? await this.ctx.quotaCounter.periodUsed(counterKey, plan.quota, now) : 0
      const today = utcDay(now)
      items[keyId] = days.map((day) => {
        const used = counts[day] ?? 0
        if (!plan.quota) return [used, null]
        const [periodStart] = periodBounds(plan.quota.period, Date.parse(day + 'T00:00:00Z'))
        if (periodStart === currentStart && day <= today) {
          // What was counted after this day comes off the enforced total.
          let later = 0
          for (const d of daysBetween(day, today).slice(1)) later += counts[d] ?? 0
          return [used, Math.max(0, plan.quota.limit - Math.max(0, enforced - later))]
        }
        let total = 0
        for (const d of daysBetween(utcDay(periodStart), day)) total += counts[d] ?? 0
        return [used, Math.max(0, plan.quota.limit - total)]
      })
    }
    return { usagePlanId: planId, startDate, endDate, items }
  }

  /** Forgets the key's count in the plan's current quota period (its full quota is back). */
  async resetUsage(planId: string, keyId: string): Promise<void> {
    const plan = await this.plan(planId)
    await this.key(keyId)
    if (!(await this.store.keysOfPlan(planId)).includes(keyId)) throw notFound('usagePlanKey')
    if (!plan.quota) throw badRequest('quota', `usage plan ${planId} has no quota to reset`)
    await this.ctx.quotaCounter.reset(quotaCounterKey(planId, keyId), plan.quota, this.now())
  }

  // ---- helpers ------------------------------------------------------------------------------

  private async key(id: string): Promise<AdminStoredKey> {
    const key = await this.store.get(id)
    if (!key) throw notFound('apiKey')
    return key
  }

  private async plan(id: string): Promise<StoredUsagePlan> {
    const plan = await this.store.getPlan(id)
    if (!plan) throw notFound('usagePlan')
    return plan
  }

  private isConfigKey(id: string): boolean {
    const k = this.ctx.model?.apiKeys.find((key) => configApiKeyId(key) === id)
    return k !== undefined
  }

  private async freshKeyId(): Promise<string> {
    for (;;) {
      const id = newResourceId()
      if (!(await this.store.get(id))) return id
    }
  }

  private async freshPlanId(): Promise<string> {
    for (;;) {
      const id = newResourceId()
      if (!(await this.store.getPlan(id))) return id
    }
  }

  /** Plan names are unique in Portico (AWS allows twins), so `--plan <name>` names one plan. */
  private async checkPlanName(name: string, self?: string) {
    const twin = (await this.store.listPlans()).find((p) => p.name === name && p.id !== self)
    if (twin) throw conflict(`a usage plan named "${name}" already exists (${twin.id})`)
  }

  /** A key may belong to one plan per API stage (AWS's rule). */
  private async checkOnePlanPerStage(keyId: string, plan: StoredUsagePlan) {
    const mine = new Set(stageSet(plan))
    for (const otherId of await this.store.plansOfKey(keyId)) {
      if (otherId === plan.id) continue
      const other = await this.store.getPlan(otherId)
      const shared = other && stageSet(other).find((s) => mine.has(s))
      if (shared) {
        throw conflict(
          `Usage Plan ${plan.id} cannot be added because API Key ${keyId} cannot reference multiple Usage Plans with the same API Stage: ${shared.replace('/', ':')}`,
        )
      }
    }
  }

  /**
   * Sets a key's stages to the union of its plans' stages (what the API key check allows). A
   * key in no plan may call no stage, as on AWS; except a config key of a config without usage
   * plans, which gets back "every stage", as the usage-plan feature's start-up leaves it.
   */
  private async restage(keyId: string, undo: Undo) {
    const key = await this.store.get(keyId)
    if (!key) return
    const stages = new Set<string>()
    for (const planId of await this.store.plansOfKey(keyId)) {
      const plan = await this.store.getPlan(planId)
      if (plan) for (const s of stageSet(plan)) stages.add(s)
    }
    const next: StoredApiKey = { ...key }
    if (stages.size === 0 && this.isConfigKey(keyId) && !this.ctx.model?.usagePlans?.length) delete next.stages
    else next.stages = [...stages].sort()
    if (JSON.stringify(next.stages) === JSON.stringify(key.stages)) return
    undo.add(() => this.store.put(key))
    await this.store.put(next)
  }

  /** Checks and resolves apiStages: the API must exist and be REST, the stage must exist. */
  private apiStages(value: unknown, field: string): StoredUsagePlan['apiStages'] {
    if (!Array.isArray(value)) throw badRequest(field, 'must be a list of {apiId, stage, throttle}')
    const seen = new Set<string>()
    return value.map((raw, i) => {
      const at = `${field}[${i}]`
      const o = v.object(raw, at)
      v.known(o, ['apiId', 'stage', 'throttle'], at)
      if (o.apiId === undefined) throw badRequest(`${at}.apiId`, 'is required')
      if (o.stage === undefined) throw badRequest(`${at}.stage`, 'is required')
      const apiId = v.string(o.apiId, `${at}.apiId`, { min: 1, max: 128 })
      const stage = v.string(o.stage, `${at}.stage`, { min: 1, max: 128 })
      const api = this.checkStage(apiId, stage, at)
      if (seen.has(`${apiId}/${stage}`)) throw badRequest(at, `${apiId}:${stage} is listed twice`)
      seen.add(`${apiId}/${stage}`)
      const throttle: Record<string, { rateLimit: number; burstLimit: number }> = {}
      if (o.throttle !== undefined && o.throttle !== null) {
        for (const [methodKey, t] of Object.entries(v.object(o.throttle, `${at}.throttle`))) {
          const settings = v.throttle(t, `${at}.throttle.${methodKey}`)
          for (const routeKey of routeKeysOf(methodKey, api, `${at}.throttle.${methodKey}`)) throttle[routeKey] = settings
        }
      }
      return { apiId, stage, throttle }
    })
  }

  /** The API of apiId (undefined without a model); 400 naming the field when it or the stage is unknown. */
  private checkStage(apiId: string, stage: string, at: string): CompiledApi | undefined {
    if (!this.ctx.model) return undefined
    const api = this.ctx.model.apis.find((a) => a.id === apiId)
    if (!api) throw badRequest(`${at}.apiId`, `no API with id ${apiId}`)
    if (api.type !== 'REST') throw badRequest(`${at}.apiId`, `API ${api.name} is an ${api.type} API: usage plans apply to REST APIs only`)
    if (!api.stages.some((s) => s.name === stage)) throw badRequest(`${at}.stage`, `API ${api.name} has no stage ${stage}`)
    return api
  }

  private applyPlanPatch(plan: StoredUsagePlan, op: v.PatchOperation, field: string) {
    const value = `${field}.value`
    const { path } = op
    if (path === '/name' && op.op === 'replace') plan.name = v.string(op.value, value, { min: 1, max: v.LIMITS.name })
    else if (path === '/description' && op.op === 'replace') plan.description = v.string(op.value, value, { max: v.LIMITS.description })
    else if (path === '/description' && op.op === 'remove') delete plan.description
    else if (path === '/throttle' && op.op === 'remove') delete plan.throttle
    else if (path === '/throttle/rateLimit' && op.op !== 'remove') plan.throttle = { burstLimit: plan.throttle?.burstLimit ?? NaN, rateLimit: v.rateLimit(op.value, value) }
    else if (path === '/throttle/burstLimit' && op.op !== 'remove') plan.throttle = { rateLimit: plan.throttle?.rateLimit ?? NaN, burstLimit: v.burstLimit(op.value, value) }
    else if (path === '/quota' && op.op === 'remove') delete plan.quota
    else if (path === '/quota/limit' && op.op !== 'remove') plan.quota = { period: plan.quota?.period as never, offset: plan.quota?.offset ?? 0, limit: v.quotaLimit(op.value, value) }
    else if (path === '/quota/period' && op.op !== 'remove') plan.quota = { limit: plan.quota?.limit ?? NaN, offset: plan.quota?.offset ?? 0, period: v.period(op.value, value) }
    else if (path === '/quota/offset' && op.op !== 'remove') plan.quota = { limit: plan.quota?.limit ?? NaN, period: plan.quota?.period as never, offset: v.quotaOffset(op.value, value) }
    else if (path === '/apiStages' && op.op !== 'replace') this.patchApiStages(plan, op, value)
    else if (path.startsWith('/apiStages/')) this.patchMethodThrottle(plan, op, field)
    else {
      throw unsupportedPatch(field, op, [
        'replace /name',
        'replace|remove /description',
        'replace /throttle/rateLimit|burstLimit',
        'remove /throttle',
        'replace /quota/limit|period|offset',
        'remove /quota',
        'add|remove /apiStages',
        'replace|remove /apiStages/{apiId}:{stage}/throttle/{path}/{METHOD}[/rateLimit|/burstLimit]',
      ])
    }
  }

  /** add|remove /apiStages, value "apiId:stage". */
  private patchApiStages(plan: StoredUsagePlan, op: v.PatchOperation, field: string) {
    const [apiId, stage] = stageRef(op.value, field)
    const index = plan.apiStages.findIndex((s) => s.apiId === apiId && s.stage === stage)
    if (op.op === 'add') {
      this.checkStage(apiId, stage, field)
      if (index >= 0) throw badRequest(field, `${apiId}:${stage} is already in the plan`)
      plan.apiStages.push({ apiId, stage, throttle: {} })
    } else {
      if (index < 0) throw badRequest(field, `${apiId}:${stage} is not in the plan`)
      plan.apiStages.splice(index, 1)
    }
  }

  /** /apiStages/{apiId}:{stage}/throttle/{~1pets~1{id}}/{METHOD}[/rateLimit|/burstLimit]. */
  private patchMethodThrottle(plan: StoredUsagePlan, op: v.PatchOperation, field: string) {
    const m = /^\/apiStages\/([^/:]+):([^/]+)\/throttle\/([^/]+)\/([A-Za-z*]+)(?:\/(rateLimit|burstLimit))?$/.exec(op.path)
    if (!m) throw badRequest(`${field}.path`, `${op.path} is not /apiStages/{apiId}:{stage}/throttle/{resourcePath}/{METHOD}[/rateLimit|/burstLimit]`)
    const [, apiId, stage, encodedPath, method, member] = m as unknown as [string, string, string, string, string, string | undefined]
    const entry = plan.apiStages.find((s) => s.apiId === apiId && s.stage === stage)
    if (!entry) throw badRequest(`${field}.path`, `${apiId}:${stage} is not in the plan`)
    const resourcePath = decodeURIComponent(encodedPath.replace(/~1/g, '/').replace(/~0/g, '~'))
    const api = this.checkStage(apiId, stage, `${field}.path`)
    const routeKeys = routeKeysOf(`${resourcePath}/${method.toUpperCase()}`, api, `${field}.path`)
    for (const routeKey of routeKeys) {
      if (op.op === 'remove') {
        if (member) throw badRequest(`${field}.path`, 'remove takes the method path, without /rateLimit or /burstLimit')
        delete entry.throttle[routeKey]
        continue
      }
      if (!member) {
        entry.throttle[routeKey] = v.throttle(typeof op.value === 'string' ? parseJson(op.value, `${field}.value`) : op.value, `${field}.value`)
        continue
      }
      const current = entry.throttle[routeKey]
      if (!current) throw badRequest(`${field}.path`, `${routeKey} has no throttle yet: set both members with ${op.path.replace(/\/(rateLimit|burstLimit)$/, '')}, value {"rateLimit":..,"burstLimit":..}`)
      entry.throttle[routeKey] = member === 'rateLimit' ? { ...current, rateLimit: v.rateLimit(op.value, `${field}.value`) } : { ...current, burstLimit: v.burstLimit(op.value, `${field}.value`) }
    }
  }
}

/** "apiId/stage" of each of a plan's stages, sorted. */
function stageSet(plan: StoredUsagePlan): string[] {
  return plan.apiStages.map((s) => `${s.apiId}/${s.stage}`).sort()
}

function stageRef(value: unknown, field: string): [string, string] {
  const m = typeof value === 'string' ? /^([^:/\s]+):([^:/\s]+)$/.exec(value) : null
  if (!m) throw badRequest(field, 'must be "apiId:stage"')
  return [m[1]!, m[2]!]
}

function parseJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw badRequest(field, 'must be JSON: {"rateLimit": .., "burstLimit": ..}')
  }
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY']

/**
 * The route keys an AWS method key ("/pets/{id}/GET", root "//GET", "*" for every method) or a
 * Portico one ("GET /pets/{id}") stands for. With the API at hand it must name existing routes.
 */
function routeKeysOf(methodKey: string, api: CompiledApi | undefined, field: string): string[] {
  const aws = /^(\/.*)\/([A-Za-z*]+)$/.exec(methodKey)
  const portico = /^([A-Z]+) (\/\S*)$/.exec(methodKey)
  let method: string
  let path: string
  if (portico) [method, path] = [portico[1]!, portico[2]!]
  else if (aws) [method, path] = [aws[2]!.toUpperCase(), aws[1] === '/' ? '/' : aws[1]!]
  else throw badRequest(field, 'a method key is "/pets/GET" (the root is "//GET") or "GET /pets"')
  if (path.length > 1) path = path.replace(/\/$/, '')
  if (method !== '*' && !METHODS.includes(method)) throw badRequest(field, `${method} is not an HTTP method`)
  if (!api) {
    if (method === '*') throw badRequest(field, 'the "*" method needs the gateway config to know the routes')
    return [`${method} ${path}`]
  }
  const keys = api.routes.filter((r) => r.resourcePath === path && (method === '*' || r.method === method)).map((r) => r.routeKey)
  if (!keys.length) throw badRequest(field, `API ${api.name} has no route ${method} ${path}`)
  return keys
}

function unsupportedPatch(field: string, op: v.PatchOperation, supported: string[]): AdminError {
  return badRequest(`${field}.path`, `${op.op} ${op.path} is not supported (supported: ${supported.join('; ')})`)
}

/** Config keys and plans are rewritten at each start: an admin change would silently come undone. */
function configOwned(what: string, id: string, section: string): AdminError {
  return conflict(`${what} ${id} is declared in the config (${section}): change it there`)
}
