/**
 * Opens the state store a spec names (settings.store, PORTICO_STORE, `portico start --store`):
 *   memory            in-process stores (one instance; lost on restart)
 *   sqlite:<path>     a SQLite file (one instance; kept across restarts); sqlite::memory:
 *   redis://...       Redis over TCP (several instances); rediss:// for TLS.
 *                     `?prefix=<p>` sets the key prefix (default "portico:");
 *                     `?nearCacheMs=<ms>` how long an instance serves its own copy of a
 *                     cached response (default 1000, 0 = always ask Redis);
 *                     `?nearCacheBytes=<n>` the most those copies take per stage (16 MiB)
 *   upstash           Upstash Redis over REST (UPSTASH_REDIS_REST_URL / _TOKEN)
 * Node and Bun only: the backends are imported when chosen, so nothing here loads node:sqlite
 * or a TCP client unless asked to (and workerd never imports this module).
 */
import type { Clock, Logger, Stores } from '../core/deps.ts'
import type { GatewayModel } from '../model/load.ts'
import { memoryAuthorizerCache } from './memory/authorizer-cache.ts'
import { memoryKeyStore } from './memory/key-store.ts'
import { memoryQuotaCounter } from './memory/quota-counter.ts'
import { memoryRateLimiter } from './memory/rate-limiter.ts'

export interface OpenStoresOptions {
  clock: Clock
  env: Record<string, string | undefined>
  logger?: Logger
  /** Redis key prefix; overrides `?prefix=` and PORTICO_STORE_PREFIX. */
  prefix?: string
  /** Some stage caches responses: a store that cannot hold them says so (upstash). */
  cachesResponses?: boolean
  /** Overrides `?nearCacheMs=` (0: one-shot commands that serve no requests need no copies). */
  nearCacheMs?: number
}

/** Open stores and how to let go of them. */
export interface OpenedStores {
  stores: Partial<Stores>
  /** What was opened, without credentials ("sqlite:/var/lib/portico.db", "redis://host:6379"). */
  description: string
  close(): Promise<void>
}

/** Whether some REST stage of `model` caches responses. */
export function cachesResponses(model: GatewayModel): boolean {
  return model.apis.some((api) => api.type === 'REST' && api.stages.some((stage) => stage.cache?.enabled))
}

/** The spec's kind, or undefined when it names no backend. */
export function storeKind(spec: string): 'memory' | 'sqlite' | 'redis' | 'upstash' | undefined {
  if (spec === 'memory') return 'memory'
  if (spec.startsWith('sqlite:')) return 'sqlite'
  if (spec.startsWith('redis://') || spec.startsWith('rediss://')) return 'redis'
  if (spec === 'upstash') return 'upstash'
  return undefined
}

/**
 * Opens the store `spec` names.
 * @throws Error for an unknown spec, an unusable path, an unreachable Redis, a missing backend
 */
export async function openStores(spec: string, opts: OpenStoresOptions): Promise<OpenedStores> {
  spec = spec.trim()
  const kind = storeKind(spec)
  switch (kind) {
    case 'memory':
      return {
        stores: {
          keyStore: memoryKeyStore(),
          rateLimiter: memoryRateLimiter(),
          quotaCounter: memoryQuotaCounter(),
          authorizerCache: memoryAuthorizerCache(opts.clock),
        },
        description: 'memory',
        close: async () => {},
      }
    case 'sqlite': {
      const path = spec.slice('sqlite:'.length)
      if (!path) throw new Error('store "sqlite:" needs a path: sqlite:<path> (or sqlite::memory:)')
      const { openSqliteStores } = await import('./sqlite/index.ts')
      const opened = await openSqliteStores(path, { clock: opts.clock })
      return { stores: opened.stores, description: `sqlite:${path}`, close: opened.close }
    }
    case 'redis': {
      const { url, prefix, nearCache } = splitRedisOptions(spec)
      const { openRedisStores, redisTarget } = await import('./redis/index.ts')
      const opened = await openRedisStores(url, {
        clock: opts.clock,
        logger: opts.logger,
        prefix: opts.prefix ?? prefix ?? opts.env.PORTICO_STORE_PREFIX ?? undefined,
        nearCache: opts.nearCacheMs === undefined ? nearCache : { ...nearCache, ttlMs: opts.nearCacheMs },
      })
      return { stores: opened.stores, description: redisTarget(url), close: opened.close }
    }
    case 'upstash':
      if (opts.cachesResponses) {
        opts.logger?.warn('response caches are kept per instance with the upstash store (no response cache over REST): each instance caches, and a flush or refresh reaches only the instance it arrives at; use redis:// for a shared cache')
      }
      return openUpstash(opts)
    default:
      throw new Error(`unknown store "${describeSpec(spec)}": use memory, sqlite:<path>, redis://host:port, rediss://host:port or upstash`)
  }
}

/** Largest accepted `?nearCacheMs=`: a copy older than a minute is not "near" any more. */
const MAX_NEAR_CACHE_MS = 60_000

/**
 * Takes Portico's options out of a Redis store URL's query (node-redis does not know them).
 * @throws Error for an unparsable URL, a bad value or an option Portico does not know
 */
export function splitRedisOptions(spec: string): { url: string; prefix?: string; nearCache: { ttlMs?: number; capacityBytes?: number } } {
  let u: URL
  try {
    u = new URL(spec)
  } catch {
    throw new Error(`store URL is not a valid URL: ${describeSpec(spec)}`)
  }
  const take = (name: string) => {
    const value = u.searchParams.get(name) ?? undefined
    u.searchParams.delete(name)
    return value
  }
  const whole = (name: string, max: number) => {
    const raw = take(name)
    if (raw === undefined) return undefined
    const n = Number(raw)
    if (raw.trim() === '' || !Number.isInteger(n) || n < 0 || n > max) throw new Error(`store URL option ${name} must be a whole number from 0 to ${max}, not "${raw}"`)
    return n
  }
  const prefix = take('prefix')
  const nearCache: { ttlMs?: number; capacityBytes?: number } = {}
  const ttlMs = whole('nearCacheMs', MAX_NEAR_CACHE_MS)
  if (ttlMs !== undefined) nearCache.ttlMs = ttlMs
  const capacityBytes = whole('nearCacheBytes', Number.MAX_SAFE_INTEGER)
  if (capacityBytes !== undefined) nearCache.capacityBytes = capacityBytes
  // node-redis ignores what it does not know; a typo must not pass for a setting.
  const unknown = u.searchParams.keys().next().value
  if (unknown !== undefined) throw new Error(`store URL option "${unknown}" is not known: use prefix, nearCacheMs or nearCacheBytes`)
  return { url: u.toString(), prefix, nearCache }
}

/** A spec for an error message: a URL's password never appears. */
function describeSpec(spec: string): string {
  try {
    const u = new URL(spec)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    const safe = spec.replace(/\/\/[^/]*@/, '//***@')
    return safe.length > 80 ? safe.slice(0, 80) + '…' : safe
  }
}

/** What open.ts needs of src/storage/upstash/index.ts. */
interface UpstashModule {
  openUpstashStores(opts: {
    clock: Clock
    env: Record<string, string | undefined>
    options?: { prefix?: string }
  }): { stores: Partial<Stores>; close(): Promise<void> } | Promise<{ stores: Partial<Stores>; close(): Promise<void> }>
}

async function openUpstash(opts: OpenStoresOptions): Promise<OpenedStores> {
  // A variable specifier: the Upstash backend is a separate module that may not be present
  // in every build, and type checking must not depend on it.
  const specifier = './upstash/index.ts'
  let mod: UpstashModule
  try {
    mod = (await import(specifier)) as UpstashModule
  } catch (err) {
    // Only the module itself missing means "not in this build"; a dependency of it missing
    // (an uninstalled client library) is reported as it is.
    const message = String((err as Error).message)
    if (/Cannot find|not found|ERR_MODULE_NOT_FOUND/i.test(message) && message.includes('upstash/index.ts')) {
      throw new Error('store "upstash" is not available in this build (src/storage/upstash/index.ts is missing)')
    }
    throw err
  }
  if (typeof mod.openUpstashStores !== 'function') throw new Error('store "upstash": src/storage/upstash/index.ts has no openUpstashStores')
  const prefix = opts.prefix ?? opts.env.PORTICO_STORE_PREFIX
  const opened = await mod.openUpstashStores({ clock: opts.clock, env: opts.env, options: prefix ? { prefix } : undefined })
  return { stores: opened.stores, description: 'upstash', close: opened.close }
}
