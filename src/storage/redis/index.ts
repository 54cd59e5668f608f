/**
 * The Redis store: API keys, usage plans, token buckets, quota counts, cached authorizer
 * decisions and cached responses on one Redis server, shared by every gateway instance that
 * points at it. Atomic steps (a token taken, a request counted) are Lua scripts.
 */
import type { Clock, Logger, Stores } from '../../core/deps.ts'
import { connectRedis, type RedisConnectOptions, type RedisConnection } from './client.ts'
import { redisKeyStore } from './key-store.ts'
import { redisRateLimiter } from './rate-limiter.ts'
import { redisQuotaCounter } from './quota-counter.ts'
import { redisAuthorizerCache } from './authorizer-cache.ts'
import { redisResponseCache } from './response-cache.ts'

export { CommandDeadlines, connectRedis, luaScript, redisTarget, type LuaScript, type RedisArg, type RedisConnection, type RedisConnectOptions } from './client.ts'
export { redisKeyStore } from './key-store.ts'
export { redisRateLimiter } from './rate-limiter.ts'
export { redisQuotaCounter, QUOTA_HISTORY_MS, PERIOD_GRACE_MS } from './quota-counter.ts'
export { redisAuthorizerCache } from './authorizer-cache.ts'
export { redisResponseCache, encodeEntry, decodeEntry, DEFAULT_MAX_ENTRY_BYTES } from './response-cache.ts'

export interface RedisStoreOptions extends RedisConnectOptions {
  clock: Clock
  logger?: Logger
  /** Largest response the response cache stores. Default 1 MiB. */
  maxCacheEntryBytes?: number
}

/** The stores on one Redis connection. */
export interface RedisStores {
  stores: Omit<Stores, 'connectionHub'> & { responseCache: NonNullable<Stores['responseCache']> }
  connection: RedisConnection
  close(): Promise<void>
}

/**
 * Connects to `url` and builds every store on it.
 * @throws Error (naming the host, not the password) when Redis cannot be reached
 */
export async function openRedisStores(url: string, opts: RedisStoreOptions): Promise<RedisStores> {
  const connection = await connectRedis(url, opts)
  return {
    connection,
    stores: {
      keyStore: redisKeyStore(connection),
      rateLimiter: redisRateLimiter(connection),
      quotaCounter: redisQuotaCounter(connection),
      authorizerCache: redisAuthorizerCache(connection, opts.clock),
      responseCache: redisResponseCache(connection, opts.clock, { maxEntryBytes: opts.maxCacheEntryBytes }),
    },
    close: () => connection.close(),
  }
}
