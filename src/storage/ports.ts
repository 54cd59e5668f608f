/**
 * Storage ports: what features need from shared state, independent of the backend (memory
 * now; SQLite, Redis, Upstash and Durable Objects implement the same interfaces). Every
 * method may be slow or fail; callers apply their timeout and fail-open/closed policy.
 */

/** A cached authorizer decision (Lambda authorizers: the policy and context, not the verdict). */
export interface AuthorizerCache {
  /** The entry stored under `key`, or undefined when absent or expired. */
  get(key: string): Promise<unknown | undefined>
  /** Stores `value` for `ttlSeconds`. */
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>
  /** Drops every entry (FlushStageAuthorizersCache). */
  clear(): Promise<void>
}

/** An API key as stored: the value only as a hash. */
export interface StoredApiKey {
  id: string
  name: string
  /** SHA-256 of the key value, hex. */
  hash: string
  enabled: boolean
  /** Stages the key may call, "apiId/stage"; undefined: every stage (until usage plans link them). */
  stages?: string[]
  createdAt: number
}

/** API keys, looked up by the hash of the value a client sends. */
export interface KeyStore {
  /** The key whose value hashes to `hash`, or undefined. */
  findByHash(hash: string): Promise<StoredApiKey | undefined>
  get(id: string): Promise<StoredApiKey | undefined>
  put(key: StoredApiKey): Promise<void>
  delete(id: string): Promise<boolean>
  list(): Promise<StoredApiKey[]>
}

/** A cached response: everything needed to answer again without the integration. */
export interface CachedResponse {
  status: number
  headers: [string, string][]
  body: Uint8Array
  /** ms since epoch (the gateway's clock). */
  storedAt: number
  expiresAt: number
}

/** One stage's response cache. Keys are already namespaced and hashed by the caller. */
export interface ResponseCache {
  get(key: string): Promise<CachedResponse | undefined>
  put(key: string, entry: CachedResponse): Promise<void>
  delete(key: string): Promise<boolean>
  /** Drops every entry of this cache (FlushStageCache). */
  flush(): Promise<void>
}

/** Opens the cache of one stage (`namespace` = "apiId/stage"), bounded by `capacityBytes`. */
export type ResponseCacheFactory = (opts: { namespace: string; capacityBytes: number }) => ResponseCache
