/**
 * Durable Object stores for Cloudflare Workers: clients that implement the storage ports by
 * RPC to the objects in *.object.ts. This module imports nothing from Cloudflare (the objects
 * do), so it type-checks and loads anywhere; the namespaces come from the Worker's bindings:
 * - PORTICO_RATE_LIMITER → PorticoRateLimiter, one object per bucket key;
 * - PORTICO_QUOTA        → PorticoQuotaCounter, one object per quota counter key;
 * - PORTICO_KEYS         → PorticoKeyStore, instance "keys" (keys, plans, links) and instance
 *                          "authorizer-cache".
 */
import type { Clock, Stores } from '../../core/deps.ts'
import type { AuthorizerCache, KeyStore, QuotaCounter, QuotaResult, RateLimiter, TakeResult } from '../ports.ts'

type Limit = { rateLimit: number; burstLimit: number }
type Quota = { limit: number; period: 'DAY' | 'WEEK' | 'MONTH'; offset: number }

/** What a Durable Object namespace binding offers (structurally; see @cloudflare/workers-types). */
export interface NamespaceLike<S> {
  idFromName(name: string): unknown
  get(id: never): S
}

/** The RPC surface of each object, as its stub exposes it (every call is async over RPC). */
export interface RateLimiterStub {
  take(limit: Limit, now: number): Promise<TakeResult>
}
export interface QuotaCounterStub {
  consume(quota: Quota, now: number): Promise<QuotaResult>
  usageByDay(fromDay: string, toDay: string): Promise<Record<string, number>>
  periodUsed(quota: Quota, now: number): Promise<number>
  reset(quota: Quota, now: number): Promise<void>
}
/** The key store object: the KeyStore port, plus the authorizer cache it also keeps. */
export interface KeyStoreStub extends KeyStore {
  authzGet(key: string, now: number): Promise<string | undefined>
  authzSet(key: string, json: string, expires: number, ttlMs: number): Promise<void>
  authzClear(): Promise<void>
}

/** The binding names wrangler.toml declares. */
export const DO_BINDINGS = { rateLimiter: 'PORTICO_RATE_LIMITER', quota: 'PORTICO_QUOTA', keys: 'PORTICO_KEYS' } as const

/**
 * Calls `fn` on a stub for the object `name`; once more on a fresh stub when the runtime says
 * the failure is retryable (the object was reset or moved: the stub is broken, not the call)
 * and not an overload (retrying would add to it). A retried take or consume may count twice
 * if the first call did land: that errs towards refusing, never towards admitting more.
 */
async function callObject<S, R>(ns: NamespaceLike<S>, name: string, fn: (stub: S) => Promise<R>): Promise<R> {
  const stub = () => ns.get(ns.idFromName(name) as never)
  try {
    return await fn(stub())
  } catch (e) {
    const err = e as { retryable?: boolean; overloaded?: boolean }
    if (err?.retryable !== true || err.overloaded === true) throw e
    return await fn(stub())
  }
}

/** RateLimiter over PorticoRateLimiter objects, one per bucket key. */
export function durableObjectRateLimiter(ns: NamespaceLike<RateLimiterStub>): RateLimiter {
  return {
    take: (key, limit, now) => callObject(ns, key, (s) => s.take({ rateLimit: limit.rateLimit, burstLimit: limit.burstLimit }, now)),
  }
}

/** QuotaCounter over PorticoQuotaCounter objects (one per counter key). */
export function durableObjectQuotaCounter(ns: NamespaceLike<QuotaCounterStub>): QuotaCounter {
  const plain = (q: Quota): Quota => ({ limit: q.limit, period: q.period, offset: q.offset })
  return {
    consume: (key, quota, now) => callObject(ns, key, (s) => s.consume(plain(quota), now)),
    usageByDay: (key, fromDay, toDay) => callObject(ns, key, (s) => s.usageByDay(fromDay, toDay)),
    periodUsed: (key, quota, now) => callObject(ns, key, (s) => s.periodUsed({ limit: 0, offset: 0, period: quota.period }, now)),
    reset: (key, quota, now) => callObject(ns, key, (s) => s.reset(plain(quota), now)),
  }
}

/** KeyStore over the PorticoKeyStore instance `name` (default "keys"). */
export function durableObjectKeyStore(ns: NamespaceLike<KeyStoreStub>, name = 'keys'): KeyStore {
  const call = <R>(fn: (s: KeyStoreStub) => Promise<R>) => callObject(ns, name, fn)
  return {
    findByHash: (hash) => call((s) => s.findByHash(hash)),
    get: (id) => call((s) => s.get(id)),
    put: (key) => call((s) => s.put(key)),
    delete: (id) => call((s) => s.delete(id)),
    list: () => call((s) => s.list()),
    putPlan: (plan) => call((s) => s.putPlan(plan)),
    getPlan: (id) => call((s) => s.getPlan(id)),
    listPlans: () => call((s) => s.listPlans()),
    deletePlan: (id) => call((s) => s.deletePlan(id)),
    linkKey: (planId, keyId) => call((s) => s.linkKey(planId, keyId)),
    unlinkKey: (planId, keyId) => call((s) => s.unlinkKey(planId, keyId)),
    plansOfKey: (keyId) => call((s) => s.plansOfKey(keyId)),
    keysOfPlan: (planId) => call((s) => s.keysOfPlan(planId)),
  }
}

/**
 * AuthorizerCache over the PorticoKeyStore instance `name` (default "authorizer-cache").
 * Values cross as JSON (what authorizer results are); expiry on the gateway's clock.
 */
export function durableObjectAuthorizerCache(ns: NamespaceLike<KeyStoreStub>, clock: Clock, name = 'authorizer-cache'): AuthorizerCache {
  const call = <R>(fn: (s: KeyStoreStub) => Promise<R>) => callObject(ns, name, fn)
  return {
    async get(key) {
      const json = await call((s) => s.authzGet(key, clock.now()))
      return json === undefined ? undefined : JSON.parse(json)
    },
    async set(key, value, ttlSeconds) {
      if (!(ttlSeconds > 0)) return
      const ttlMs = Math.ceil(ttlSeconds * 1000)
      await call((s) => s.authzSet(key, JSON.stringify(value), clock.now() + ttlMs, ttlMs))
    },
    clear: () => call((s) => s.authzClear()),
  }
}

/**
 * The stores a Worker gets from its Durable Object bindings: each port whose binding is
 * present (see DO_BINDINGS); none when wrangler.toml declares none, and the gateway keeps its
 * memory defaults.
 */
export function durableObjectStores(env: Record<string, unknown> | undefined, clock: Clock): Partial<Stores> {
  const ns = <S>(name: string): NamespaceLike<S> | undefined => {
    const b = env?.[name] as NamespaceLike<S> | undefined
    return b && typeof b.idFromName === 'function' && typeof b.get === 'function' ? b : undefined
  }
  const stores: Partial<Stores> = {}
  const rl = ns<RateLimiterStub>(DO_BINDINGS.rateLimiter)
  if (rl) stores.rateLimiter = durableObjectRateLimiter(rl)
  const q = ns<QuotaCounterStub>(DO_BINDINGS.quota)
  if (q) stores.quotaCounter = durableObjectQuotaCounter(q)
  const keys = ns<KeyStoreStub>(DO_BINDINGS.keys)
  if (keys) {
    stores.keyStore = durableObjectKeyStore(keys)
    stores.authorizerCache = durableObjectAuthorizerCache(keys, clock)
  }
  return stores
}
