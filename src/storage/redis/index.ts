/**
 * The Redis store: API keys, usage plans, token buckets, quota counts, cached authorizer
 * decisions and cached responses on one Redis server, shared by every gateway instance that
 * points at it. Atomic steps (a token taken, a request counted) are Lua scripts.
 */
import type { Clock, Logger, Stores } from '../../core/deps.ts'
import { connectRedis, subscribeRedis, type RedisConnectOptions, type RedisConnection, type RedisSubscription } from './client.ts'
import { redisKeyStore } from './key-store.ts'
import { redisRateLimiter } from './rate-limiter.ts'
import { redisQuotaCounter } from './quota-counter.ts'
import { redisAuthorizerCache } from './authorizer-cache.ts'
import { invalidationChannel, redisResponseCache } from './response-cache.ts'
import { DEFAULT_NEAR_CACHE, NearCache, type NearCacheOptions } from './near-cache.ts'

export { CommandDeadlines, connectRedis, luaScript, redisTarget, type LuaScript, type RedisArg, type RedisConnection, type RedisConnectOptions } from './client.ts'
export { redisKeyStore } from './key-store.ts'
export { redisRateLimiter } from './rate-limiter.ts'
export { redisQuotaCounter, QUOTA_HISTORY_MS, PERIOD_GRACE_MS } from './quota-counter.ts'
export { redisAuthorizerCache } from './authorizer-cache.ts'
export { redisResponseCache, encodeEntry, decodeEntry, invalidationChannel, DEFAULT_MAX_ENTRY_BYTES } from './response-cache.ts'
export { NearCache, DEFAULT_NEAR_CACHE, invalidationMessage, type NearCacheOptions } from './near-cache.ts'

export interface RedisStoreOptions extends RedisConnectOptions {
  clock: Clock
  logger?: Logger
  /** Largest response the response cache stores. Default 1 MiB. */
  maxCacheEntryBytes?: number
  /**
   * The response cache's near cache (in-process copies kept current by invalidations over
   * pub/sub, near-cache.ts). Default DEFAULT_NEAR_CACHE; a ttlMs of 0 turns it off.
   */
  nearCache?: Partial<NearCacheOptions>
}

/** The stores on one Redis connection. */
export interface RedisStores {
  stores: Omit<Stores, 'connectionHub'> & { responseCache: NonNullable<Stores['responseCache']> }
  connection: RedisConnection
  /** The response cache's near cache; undefined when turned off. */
  nearCache?: NearCache
  close(): Promise<void>
}

/**
 * Connects to `url` and builds every store on it.
 * @throws Error (naming the host, not the password) when Redis cannot be reached
 */
export async function openRedisStores(url: string, opts: RedisStoreOptions): Promise<RedisStores> {
  const connection = await connectRedis(url, opts)
  const nearOptions = { ...DEFAULT_NEAR_CACHE, ...opts.nearCache }
  let near: NearCache | undefined
  let subscription: RedisSubscription | undefined
  if (nearOptions.ttlMs > 0) {
    near = new NearCache(opts.clock, nearOptions, () => subscription?.live === true)
    const feed = near
    try {
      subscription = await subscribeRedis(url, invalidationChannel(connection.prefix), {
        onMessage: (message) => feed.receive(message),
        onGap: () => feed.dropAll(),
        logger: opts.logger,
        connectTimeoutMs: opts.connectTimeoutMs,
        // CLIENT LIST shows whose it is; names allow no spaces.
        name: `portico-near-cache:${connection.prefix}`.replace(/[^\x21-\x7e]/g, '_'),
      })
    } catch (err) {
      await connection.close()
      throw err
    }
  }
  return {
    connection,
    nearCache: near,
    stores: {
      keyStore: redisKeyStore(connection),
      rateLimiter: redisRateLimiter(connection),
      quotaCounter: redisQuotaCounter(connection),
      authorizerCache: redisAuthorizerCache(connection, opts.clock),
      responseCache: redisResponseCache(connection, opts.clock, { maxEntryBytes: opts.maxCacheEntryBytes, near }),
    },
    async close() {
      await subscription?.close()
      await connection.close()
    },
  }
}
