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
  getAlarm(): Promise<number | null>
  setAlarm(scheduledTime: number | Date): Promise<void>
  deleteAlarm(): Promise<void>
  deleteAll(): Promise<void>
}

/** The `ctx` a Durable Object class receives. */
export interface DurableObjectStateLike {
  storage: DurableObjectStorageLike
}
