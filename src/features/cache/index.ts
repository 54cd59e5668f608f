/**
 * Response caching for REST APIs (reference §5): a stage with `cache.enabled` answers GET
 * requests (other methods when the route says `caching.enabled: true`) from a per-stage cache
 * for ttlInSeconds, keyed by method, resource path and the route's cacheKeyParameters (path
 * parameters only when listed, as on AWS) and, on routes with an authorizer or API key, the
 * caller. It runs last before the integration (priority 100), so a hit has already passed the
 * authorizers, the API key check and throttling.
 *
 * Choices where AWS is unconfirmed or where Portico is stricter (README, Caching):
 * - Stored statuses: 200, 301 and 404 (Kong's default). AWS is said to cache every status;
 *   caching a 5XX would replay an outage for the whole TTL.
 * - Never stored: responses with Set-Cookie, with Cache-Control no-store or private, or with
 *   a body over settings.cache.maxEntryBytes (streamed through whole, never cut).
 * - A client's `Cache-Control: max-age=0` refetches and replaces the entry (removes it when
 *   the new answer is not storable). With requireAuthorizationForCacheControl, only requests
 *   whose authorizer set `invalidateCacheAllowed` (execute-api:InvalidateCache allowed on the
 *   method ARN; canInvalidateCache() decides it from policies) may; for the others
 *   FAIL_WITH_403 answers ACCESS_DENIED, SUCCEED_WITH_RESPONSE_HEADER serves as usual and adds
 *   `X-Cache-Control-Ignored: max-age=0 not authorized`, SUCCEED_WITHOUT_RESPONSE_HEADER
 *   serves as usual.
 * - A per-caller route with no identity to key on (callerIdentity()) is not cached at all.
 * - settings.cache.debugHeader adds `X-Portico-Cache: hit|miss|refresh|bypass`, and `Age` on
 *   hits; AWS sends neither.
 */
import { matchRestRoute } from '../../core/router.ts'
import type { Feature, RouteStep } from '../../core/feature.ts'
import type { ResolvedDeps } from '../../core/deps.ts'
import type { GatewayRequest } from '../../core/request.ts'
import { GatewayError } from '../../core/errors.ts'
import { evaluatePolicies, methodArn } from '../../core/iam-policy.ts'
import type { CompiledApi, CompiledRoute, CompiledStage, GatewayModel } from '../../model/load.ts'
import type { StageCacheConfig } from '../../model/cache-schema.ts'
import type { PolicyDocument } from '../../model/auth-schema.ts'
import type { CachedResponse, ResponseCache, ResponseCacheFactory } from '../../storage/ports.ts'
import { memoryResponseCache } from '../../storage/memory/response-cache.ts'
import { cacheApiResponseCache } from '../../storage/cache-api/response-cache.ts'
import { cacheKey, callerIdentity } from './key.ts'
import { importEncryptionKey, openEntry, sealEntry, storedHeaders } from './entry.ts'
import { captureBody } from './capture.ts'
import { addToHeaders, addToLowercaseRecord, gatewayHeaders, type GatewayHeaders } from '../../core/response-headers.ts'

export { cacheKey, canonicalKey, callerIdentity, keyParameterValue } from './key.ts'
export { importEncryptionKey, sealEntry, openEntry, storedHeaders } from './entry.ts'
export { captureBody } from './capture.ts'

/** Statuses whose responses are stored. */
export const CACHEABLE_STATUSES: ReadonlySet<number> = new Set([200, 301, 404])
/** Debug header (settings.cache.debugHeader). */
export const CACHE_STATUS_HEADER = 'X-Portico-Cache'
/** Added under SUCCEED_WITH_RESPONSE_HEADER (AWS's header name is unconfirmed). */
export const IGNORED_HEADER = 'X-Cache-Control-Ignored'
export const IGNORED_HEADER_VALUE = 'max-age=0 not authorized'

/**
 * The request field authorizers set when the caller may invalidate cache entries
 * (execute-api:InvalidateCache allowed on the method ARN); absent means not allowed.
 */
export type CacheAwareRequest = GatewayRequest & { invalidateCacheAllowed?: boolean }

/** Counters of one stage's cache. */
export interface CacheStageStats {
  hits: number
  misses: number
  /** max-age=0 refetches honoured. */
  refreshes: number
  /** Requests that skipped the cache (no caller identity, backend failure). */
  bypasses: number
  stores: number
  /** Entries dropped for room, when the backend reports it (memory). */
  evictions: number
  /** Entries and bytes held, when the backend reports it (memory). */
  entries?: number
  bytes?: number
}

type CacheDecision = 'hit' | 'miss' | 'refresh' | 'bypass'

/** Per gateway: the backend factory, each stage's open cache and counters, the key. */
interface GatewayState {
  /** Chosen when the first stage cache opens (deps.stores may be filled in after create()). */
  factory?: ResponseCacheFactory
  caches: Map<string, ResponseCache>
  stats: Map<string, Omit<CacheStageStats, 'evictions' | 'entries' | 'bytes'>>
  encryptionKey?: CryptoKey
  deps: ResolvedDeps
  model: GatewayModel
}

// Keyed by the gateway's deps, so each gateway (and each test) has its own caches and counters.
const states = new WeakMap<ResolvedDeps, GatewayState>()

function stateOf(deps: ResolvedDeps, model: GatewayModel): GatewayState {
  let state = states.get(deps)
  if (!state) states.set(deps, (state = { deps, caches: new Map(), stats: new Map(), model }))
  return state
}

/** The injected backend (deps.stores.responseCache), else the one settings.cache.backend names. */
function factoryOf(state: GatewayState): ResponseCacheFactory {
  const { deps, model } = state
  return (state.factory ??=
    deps.stores.responseCache ??
    (model.settings.cache.backend === 'cache-api' ? cacheApiResponseCache({ clock: deps.clock }) : memoryResponseCache(deps.clock)))
}

/** "apiId/stage", the namespace of a stage's cache. */
function namespaceOf(apiId: string, stage: string): string {
  return `${apiId}/${stage}`
}

function openCache(state: GatewayState, namespace: string, capacityBytes: number): ResponseCache {
  let cache = state.caches.get(namespace)
  if (!cache) state.caches.set(namespace, (cache = factoryOf(state)({ namespace, capacityBytes })))
  return cache
}

function countersOf(state: GatewayState, namespace: string) {
  let c = state.stats.get(namespace)
  if (!c) state.stats.set(namespace, (c = { hits: 0, misses: 0, refreshes: 0, bypasses: 0, stores: 0 }))
  return c
}

/**
 * Counters of every stage cache a gateway has used, by "apiId/stage" (tests, later metrics).
 * @param deps the gateway's deps (`gateway.deps`)
 */
export function cacheStats(deps: ResolvedDeps): Record<string, CacheStageStats> {
  const state = states.get(deps)
  const out: Record<string, CacheStageStats> = {}
  if (!state) return out
  for (const [namespace, counters] of state.stats) {
    const backend = (state.caches.get(namespace) as { stats?: () => { evictions: number; entries: number; bytes: number } } | undefined)?.stats?.()
    out[namespace] = { ...counters, evictions: backend?.evictions ?? 0, ...(backend ? { entries: backend.entries, bytes: backend.bytes } : {}) }
  }
  return out
}

/**
 * Empties one stage's cache (FlushStageCache), for the management API.
 * @returns false when the stage has no cache
 */
export async function flushStageCache(deps: ResolvedDeps, apiId: string, stageName: string): Promise<boolean> {
  const state = states.get(deps)
  const stage = state?.model.apis.find((a) => a.id === apiId)?.stages.find((s) => s.name === stageName)
  if (!state || !stage?.cache) return false
  await openCache(state, namespaceOf(apiId, stageName), stage.cache.capacityBytes).flush()
  return true
}

/** The request an entry was cached for, as the admin API names it. */
export interface CachedRequest {
  method: string
  /** Path without the stage, as sent (percent-encoded): /pets/7 */
  path: string
  /** Query string without "?". */
  query?: string
  headers?: [string, string][]
  /** On routes keyed per caller: the API key id of the caller. */
  apiKeyId?: string
}

/**
 * Deletes one entry: the one a request would hit. Entries keyed by an authorizer's caller
 * (principal, claims) cannot be named this way; flush the stage for those.
 * @returns 'deleted', 'absent', 'no-cache' (the stage does not cache) or 'no-route'
 */
export async function deleteStageCacheEntry(
  deps: ResolvedDeps,
  apiId: string,
  stageName: string,
  request: CachedRequest,
): Promise<'deleted' | 'absent' | 'no-cache' | 'no-route'> {
  const state = states.get(deps)
  const api = state?.model.apis.find((a) => a.id === apiId)
  const stage = api?.stages.find((s) => s.name === stageName)
  if (!state || !api || !stage?.cache) return 'no-cache'
  const method = request.method.toUpperCase()
  let match: ReturnType<typeof matchRestRoute>
  try {
    match = matchRestRoute(api, method, request.path)
  } catch {
    return 'no-route'
  }
  // What the cache step reads from a request to build its key, and nothing else.
  const req = {
    api,
    stage,
    route: match.route,
    method,
    pathParameters: match.params,
    rawQueryString: request.query ?? '',
    headers: request.headers ?? [],
    identity: request.apiKeyId ? { apiKeyId: request.apiKeyId } : undefined,
  } as unknown as GatewayRequest
  const identity = match.route.caching.perCaller ? callerIdentity(req) : undefined
  if (match.route.caching.perCaller && identity === undefined) return 'absent'
  const key = await cacheKey(req, { keyParameters: match.route.caching.keyParameters, identity, encrypted: stage.cache.dataEncrypted })
  const deleted = await openCache(state, namespaceOf(apiId, stageName), stage.cache.capacityBytes).delete(key)
  return deleted ? 'deleted' : 'absent'
}

/**
 * Whether identity or authorizer policies allow execute-api:InvalidateCache on the request's
 * method ARN; authorizers call it and set `invalidateCacheAllowed` from the answer.
 */
export function canInvalidateCache(policies: PolicyDocument[], req: GatewayRequest, settings: { region: string; accountId: string }): boolean {
  const resource = methodArn(settings.region, settings.accountId, req.api.id, req.stage.name, req.method, req.path)
  return evaluatePolicies(policies, { action: 'execute-api:InvalidateCache', resource, sourceIp: req.sourceIp }) === 'ALLOW'
}

/** One route's caching on one stage, worked out on the stage's first request. */
interface Plan {
  namespace: string
  ttlMs: number
  anyMethod: boolean
  requireAuthorization: boolean
  strategy: StageCacheConfig['unauthorizedCacheControlHeaderStrategy']
  encrypted: boolean
  capacityBytes: number
}

function planFor(route: CompiledRoute, api: CompiledApi, stage: CompiledStage): Plan | null {
  const cache = stage.cache
  if (!cache?.enabled) return null
  const ttl = route.caching.ttlInSeconds ?? cache.ttlInSeconds
  if (ttl <= 0) return null
  return {
    namespace: namespaceOf(api.id, stage.name),
    ttlMs: ttl * 1000,
    anyMethod: route.caching.enabled === true,
    requireAuthorization: route.caching.requireAuthorizationForCacheControl ?? cache.requireAuthorizationForCacheControl,
    strategy: route.caching.unauthorizedCacheControlHeaderStrategy ?? cache.unauthorizedCacheControlHeaderStrategy,
    encrypted: cache.dataEncrypted,
    capacityBytes: cache.capacityBytes,
  }
}

/** Response caching (REST), after authorizers, API keys and throttling. */
export const cacheFeature: Feature = {
  name: 'cache',
  priority: 100,

  async init({ model, deps }) {
    const state = stateOf(deps, model)
    const stages = model.apis.filter((a) => a.type === 'REST').flatMap((a) => a.stages.filter((s) => s.cache?.enabled).map((s) => ({ api: a, stage: s })))
    if (!stages.length) return
    if (!deps.stores.responseCache && model.settings.cache.backend === 'cache-api' && !(globalThis as { caches?: unknown }).caches) {
      throw new Error('settings.cache.backend is cache-api, but this runtime has no Cache API (caches); use memory on Node and Bun')
    }
    const encrypted = stages.find((s) => s.stage.cache!.dataEncrypted)
    if (!encrypted) return
    const where = `stage "${encrypted.stage.name}" of API "${encrypted.api.name}" has cache.dataEncrypted`
    const name = model.settings.cache.encryptionKeyEnv
    if (!name) throw new Error(`${where} but settings.cache.encryptionKeyEnv is not set`)
    const value = deps.env[name]
    if (!value) throw new Error(`${where} but the environment variable ${name} (settings.cache.encryptionKeyEnv) is not set`)
    try {
      state.encryptionKey = await importEncryptionKey(value)
    } catch (e) {
      // The reason only (length, alphabet): never the value.
      throw new Error(`the cache encryption key in ${name} ${(e as Error).message}`)
    }
  },

  create({ route, api, model, deps }): RouteStep | undefined {
    if (api.type !== 'REST' || route.caching.enabled === false) return undefined
    if (!api.stages.some((s) => s.cache?.enabled)) return undefined
    const state = stateOf(deps, model)
    const settings = model.settings.cache
    const plans = new Map<CompiledStage, Plan | null>()

    return async (request, next) => {
      const req = request as CacheAwareRequest
      let plan = plans.get(req.stage)
      if (plan === undefined) plans.set(req.stage, (plan = planFor(route, api, req.stage)))
      if (!plan || (req.method !== 'GET' && !plan.anyMethod)) return next()
      // The answer may be stored: the per-request headers (ids, rate limits) are added to
      // each answer by the gateway, never built into the stored one.
      req.deferGatewayHeaders = true
      const counters = countersOf(state, plan.namespace)
      const extra: [string, string][] = []
      const answer = (res: Response, decision: CacheDecision, age?: number) => {
        if (settings.debugHeader) {
          extra.push([CACHE_STATUS_HEADER, decision])
          if (age !== undefined) extra.push(['Age', String(age)])
        }
        return withHeaders(res, extra)
      }

      let refresh = false
      if (asksRefresh(req)) {
        if (!plan.requireAuthorization || req.invalidateCacheAllowed === true) refresh = true
        else if (plan.strategy === 'FAIL_WITH_403') {
          throw new GatewayError('ACCESS_DENIED', { detail: 'Cache-Control: max-age=0 without execute-api:InvalidateCache (FAIL_WITH_403)' })
        } else if (plan.strategy === 'SUCCEED_WITH_RESPONSE_HEADER') extra.push([IGNORED_HEADER, IGNORED_HEADER_VALUE])
      }

      let identity: string | undefined
      if (route.caching.perCaller) {
        identity = callerIdentity(req)
        if (identity === undefined) {
          // Nothing tells callers apart: sharing an entry could hand one caller's answer to another.
          counters.bypasses++
          return answer(await next(), 'bypass')
        }
      }
      const encrypted = plan.encrypted
      if (encrypted && !state.encryptionKey) {
        // init() refuses to start without the key; never fall back to storing plain text.
        counters.bypasses++
        return answer(await next(), 'bypass')
      }

      const key = await cacheKey(req, { keyParameters: route.caching.keyParameters, identity, encrypted })
      const cache = openCache(state, plan.namespace, plan.capacityBytes)

      if (!refresh) {
        let entry: CachedResponse | undefined
        try {
          entry = await cache.get(key)
        } catch (e) {
          deps.logger.warn('response cache read failed', { requestId: req.requestId, cache: plan.namespace, error: String(e) })
          counters.bypasses++
          return answer(await next(), 'bypass')
        }
        const now = deps.clock.now()
        if (entry && entry.expiresAt > now && encrypted) {
          try {
            entry = await openEntry(entry, state.encryptionKey!, key)
          } catch (e) {
            // Another key, or altered at rest: unusable, and replaced below.
            deps.logger.warn('response cache entry does not decrypt; dropped', { requestId: req.requestId, cache: plan.namespace, error: String(e) })
            entry = undefined
          }
        }
        if (entry && entry.expiresAt > now) {
          counters.hits++
          if (settings.debugHeader) extra.push([CACHE_STATUS_HEADER, 'hit'], ['Age', String(Math.max(0, Math.floor((now - entry.storedAt) / 1000)))])
          // A hit is this request's own answer: the gateway's headers (ids, rate limits) go
          // in while it is built, with no Headers object on Node.
          req.deferGatewayHeaders = false
          return fromEntry(entry, req.method, extra, gatewayHeaders(req))
        }
        counters.misses++
      } else {
        counters.refreshes++
      }

      const res = await next()
      const stored = await store(res, { cache, key, req, plan, state, deps, maxEntryBytes: settings.maxEntryBytes, refresh })
      if (stored.stored) counters.stores++
      return answer(stored.response, refresh ? 'refresh' : 'miss')
    }
  },
}

/** Whether the client asks for a fresh answer: Cache-Control max-age=0 (AWS's only trigger). */
function asksRefresh(req: GatewayRequest): boolean {
  for (const [name, value] of req.headers) {
    if (name.toLowerCase() !== 'cache-control') continue
    for (const directive of value.split(',')) {
      const [k, v] = directive.split('=', 2)
      if (k!.trim().toLowerCase() === 'max-age' && v !== undefined && /^"?0+"?$/.test(v.trim())) return true
    }
  }
  return false
}

/** Whether a response may be kept at all (before its body is looked at). */
function storable(res: Response): boolean {
  if (!CACHEABLE_STATUSES.has(res.status)) return false
  if (res.headers.has('set-cookie')) return false
  const cc = res.headers.get('cache-control')
  if (cc) {
    for (const directive of cc.split(',')) {
      const name = directive.split('=', 1)[0]!.trim().toLowerCase()
      if (name === 'no-store' || name === 'private') return false
    }
  }
  return true
}

/**
 * Stores a miss's response when it may be kept, and returns what the client gets: the same
 * status, headers and every byte of the body, whether stored or not.
 */
async function store(
  res: Response,
  ctx: {
    cache: ResponseCache
    key: string
    req: GatewayRequest
    plan: Plan
    state: GatewayState
    deps: ResolvedDeps
    maxEntryBytes: number
    refresh: boolean
  },
): Promise<{ response: Response; stored: boolean }> {
  const { cache, key, req, plan, deps } = ctx
  const forget = async () => {
    // A refresh whose answer cannot be kept still removes the entry it was meant to replace.
    if (!ctx.refresh) return
    try {
      await cache.delete(key)
    } catch (e) {
      deps.logger.warn('response cache delete failed', { requestId: req.requestId, cache: plan.namespace, error: String(e) })
    }
  }
  const declared = Number(res.headers.get('content-length') ?? 0)
  if (!storable(res) || (req.method !== 'HEAD' && declared > ctx.maxEntryBytes)) {
    await forget()
    return { response: res, stored: false }
  }
  const captured = await captureBody(res.body, ctx.maxEntryBytes)
  if (!captured.complete) {
    await forget()
    return { response: new Response(captured.body, { status: res.status, statusText: res.statusText, headers: res.headers }), stored: false }
  }
  const body = captured.body
  const now = deps.clock.now()
  let entry: CachedResponse = { status: res.status, headers: storedHeaders(res.headers), body, storedAt: now, expiresAt: now + plan.ttlMs }
  let stored = false
  try {
    if (plan.encrypted) entry = await sealEntry(entry, ctx.state.encryptionKey!, key)
    await cache.put(key, entry)
    stored = true
  } catch (e) {
    deps.logger.warn('response cache write failed', { requestId: req.requestId, cache: plan.namespace, error: String(e) })
  }
  const nullBody = res.status === 204 || res.status === 304 || req.method === 'HEAD'
  return { response: new Response(nullBody ? null : (body as Uint8Array<ArrayBuffer>), { status: res.status, statusText: res.statusText, headers: res.headers }), stored }
}

/**
 * A cached answer as a fresh Response, with `extra` headers set and the gateway's (`added`)
 * in. Stored names are lowercase; without a repeated one (Set-Cookie is never stored) the
 * headers are a plain record, which @hono/node-server writes without a Headers object.
 */
function fromEntry(entry: CachedResponse, method: string, extra: [string, string][] = [], added?: GatewayHeaders): Response {
  const nullBody = entry.status === 204 || entry.status === 304 || method === 'HEAD'
  const body = nullBody ? null : (entry.body as Uint8Array<ArrayBuffer>)
  const record: Record<string, string> = {}
  for (const [name, value] of entry.headers) {
    const lower = name.toLowerCase()
    if (lower in record) return new Response(body, { status: entry.status, headers: headersOf(entry, method, extra, added) })
    record[lower] = value
  }
  // HEAD keeps the stored length (of the GET body it describes); otherwise it is the body's.
  if (method !== 'HEAD') record['content-length'] = String(entry.body.byteLength)
  for (const [name, value] of extra) record[name.toLowerCase()] = value
  if (added) addToLowercaseRecord(record, added)
  return new Response(body, { status: entry.status, headers: record })
}

/** fromEntry()'s headers when a name repeats. */
function headersOf(entry: CachedResponse, method: string, extra: [string, string][], added: GatewayHeaders | undefined): Headers {
  const headers = new Headers(entry.headers)
  if (method !== 'HEAD') headers.set('content-length', String(entry.body.byteLength))
  for (const [name, value] of extra) headers.set(name, value)
  if (added) addToHeaders(headers, added)
  return headers
}

/** Adds headers, copying the response when its headers are immutable (fetch answers on Workers). */
function withHeaders(res: Response, extra: [string, string][]): Response {
  if (!extra.length) return res
  let out = res
  try {
    for (const [k, v] of extra) out.headers.set(k, v)
  } catch {
    out = new Response(res.body, res)
    for (const [k, v] of extra) out.headers.set(k, v)
  }
  return out
}
