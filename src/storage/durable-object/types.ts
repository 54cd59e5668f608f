/**
 * The parts of workerd's Durable Object API the objects use, written structurally so these
 * files type-check (and load) outside workerd too; @cloudflare/workers-types has the full ones.
 */

/** A cursor over SQL rows (SqlStorageCursor). */
export interface SqlCursorLike<T> {
  toArray(): T[]
}

/** ctx.storage.sql. */
export interface SqlStorageLike {
  exec<T = Record<string, string | number | null>>(query: string, ...bindings: unknown[]): SqlCursorLike<T>
}

/** ctx.storage (SQLite-backed objects). */
export interface DurableObjectStorageLike {
  sql: SqlStorageLike
  /** The key-value API (SQLite-backed objects have it too). */
  get<T = unknown>(key: string): Promise<T | undefined>
  put(key: string, value: unknown): Promise<void>
  getAlarm(): Promise<number | null>
  setAlarm(scheduledTime: number | Date): Promise<void>
  deleteAlarm(): Promise<void>
  deleteAll(): Promise<void>
}

/** A WebSocket a Durable Object accepted with the hibernation API. */
export interface HibernatableWebSocketLike {
  send(data: string | ArrayBuffer | Uint8Array): void
  close(code?: number, reason?: string): void
  serializeAttachment(value: unknown): void
  deserializeAttachment(): unknown
}

/** The `ctx` a Durable Object class receives. */
export interface DurableObjectStateLike {
  storage: DurableObjectStorageLike
  /** Hibernation API: the object may be evicted while the socket stays open. */
  acceptWebSocket(ws: HibernatableWebSocketLike, tags?: string[]): void
  getWebSockets(tag?: string): HibernatableWebSocketLike[]
}
