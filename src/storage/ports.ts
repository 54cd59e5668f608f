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

/** A usage plan as stored (create-usage-plan's parameters). */
export interface StoredUsagePlan {
  id: string
  name: string
  description?: string
  throttle?: { rateLimit: number; burstLimit: number }
  quota?: { limit: number; period: 'DAY' | 'WEEK' | 'MONTH'; offset: number }
  /** Stages it applies to, with per-method throttles keyed by route key ("GET /pets/{id}"). */
  apiStages: { apiId: string; stage: string; throttle: Record<string, { rateLimit: number; burstLimit: number }> }[]
  /** Where it came from: config plans are rewritten at each start, admin plans are not. */
  source: 'config' | 'admin'
  createdAt: number
}

/**
 * API keys (looked up by the hash of the value a client sends), usage plans, and the links
 * between them. A write either happens whole or not at all.
 */
export interface KeyStore {
  /** The key whose value hashes to `hash`, or undefined. */
  findByHash(hash: string): Promise<StoredApiKey | undefined>
  get(id: string): Promise<StoredApiKey | undefined>
  put(key: StoredApiKey): Promise<void>
  /** Deletes the key and its plan links. */
  delete(id: string): Promise<boolean>
  list(): Promise<StoredApiKey[]>
  putPlan(plan: StoredUsagePlan): Promise<void>
  getPlan(id: string): Promise<StoredUsagePlan | undefined>
  listPlans(): Promise<StoredUsagePlan[]>
  /** Deletes the plan and its key links. */
  deletePlan(id: string): Promise<boolean>
  /** Links a key to a plan (idempotent). */
  linkKey(planId: string, keyId: string): Promise<void>
  unlinkKey(planId: string, keyId: string): Promise<boolean>
  /** Plan ids a key is linked to. */
  plansOfKey(keyId: string): Promise<string[]>
  /** Key ids linked to a plan. */
  keysOfPlan(planId: string): Promise<string[]>
}

/** The outcome of taking from a token bucket. */
export interface TakeResult {
  allowed: boolean
  /** Whole tokens left after this request. */
  remaining: number
  /** ms until a token is available again (0 when allowed with tokens to spare). */
  retryAfterMs: number
  /** ms until the bucket is full again. */
  resetMs: number
}

/** Token buckets: `rateLimit` tokens per second refill a bucket of `burstLimit`. */
export interface RateLimiter {
  /** In this process (memory): never slow, so callers skip their timeout. */
  readonly inProcess?: boolean
  /**
   * Takes one token from bucket `key` at time `now` (ms). When the bucket is empty nothing is
   * taken and `allowed` is false. Atomic under concurrency.
   */
  take(key: string, limit: { rateLimit: number; burstLimit: number }, now: number): Promise<TakeResult>
  /**
   * Shared stores: takes up to `wanted` tokens at once (all there are, when fewer), for an
   * instance to hand out itself (a lease, features/usage-plan/leases.ts). `result` is take()'s
   * answer for the first of them, the others counted as still in the bucket.
   */
  takeUpTo?(key: string, limit: { rateLimit: number; burstLimit: number }, now: number, wanted: number): Promise<{ taken: number; result: TakeResult }>
}

export interface QuotaResult {
  allowed: boolean
  /** Requests counted in the current period (this one included when allowed). */
  used: number
  remaining: number
  limit: number
  /** ms since epoch when the period ends. */
  resetAt: number
}

/** Calendar-period counters per API key and plan; also per UTC day, for GetUsage. */
export interface QuotaCounter {
  /** In this process (memory): never slow, so callers skip their timeout. */
  readonly inProcess?: boolean
  /** Counts one request in the period containing `now`, unless that passes the limit (atomic). */
  consume(key: string, quota: { limit: number; period: 'DAY' | 'WEEK' | 'MONTH'; offset: number }, now: number): Promise<QuotaResult>
  /** Requests counted per UTC day ("YYYY-MM-DD" → count) between the two days, inclusive. */
  usageByDay(key: string, fromDay: string, toDay: string): Promise<Record<string, number>>
  /** Requests counted in the period containing `now` (what the quota is enforced against). */
  periodUsed(key: string, quota: { period: 'DAY' | 'WEEK' | 'MONTH' }, now: number): Promise<number>
  /** Forgets the count of the period containing `now` (reset a key's quota). */
  reset(key: string, quota: { limit: number; period: 'DAY' | 'WEEK' | 'MONTH'; offset: number }, now: number): Promise<void>
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

/**
 * How DeleteConnection closes a connection: API Gateway's own $disconnect logs show code 1000
 * and this reason for it (reported in a boto3 issue, 2023).
 */
export const DELETE_CLOSE = { code: 1000, reason: 'Connection Closed Normally' } as const

/** What the gateway knows of an open WebSocket connection (GetConnection's answer). */
export interface ConnectionInfo {
  /** The API and stage the connection belongs to: @connections of another API do not reach it. */
  apiId: string
  stage: string
  /** ms since epoch. */
  connectedAt: number
  /** ms since epoch of the last message from the client. */
  lastActiveAt: number
  sourceIp: string
  userAgent?: string
}

/** A WebSocket this process holds (Node, Bun): how to write to it and close it. */
export interface LocalConnection {
  info: ConnectionInfo
  /** One frame: text for a string, binary for bytes. */
  send(data: string | Uint8Array): void
  /** Closes the socket with this code and reason (DeleteConnection: DELETE_CLOSE). */
  close(code: number, reason: string): void
}

/**
 * WebSocket connections, reachable by id from wherever the socket lives: this process
 * (memory), another instance (Redis pub/sub), a Durable Object (Workers).
 */
export interface ConnectionHub {
  /** Sends one frame to the connection. False when there is no such connection (GoneException). */
  post(connectionId: string, data: string | Uint8Array): Promise<boolean>
  /** The connection's details, or undefined when there is no such connection. */
  info(connectionId: string): Promise<ConnectionInfo | undefined>
  /** Closes the connection. False when there is no such connection. */
  disconnect(connectionId: string): Promise<boolean>
}

/** A hub whose sockets live in this process (Node, Bun): the runtime adds and removes them. */
export interface LocalConnectionHub extends ConnectionHub {
  /** Registers a socket once its handshake completed. */
  add(connectionId: string, connection: LocalConnection): Promise<void>
  /** Forgets a socket once it closed. */
  remove(connectionId: string): Promise<void>
  /** Records a message from the client (lastActiveAt); never fails the message. */
  touch(connectionId: string, at: number): void
  /** Lets go of the hub's resources (subscriptions); open sockets are the runtime's to close. */
  close(): Promise<void>
}
