/**
 * The SQLite driver of the running runtime behind one small interface: `node:sqlite`'s
 * DatabaseSync on Node, `bun:sqlite` on Bun. Both are synchronous and take positional `?`
 * parameters, so every store runs the same SQL on either.
 */
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

/** A value SQLite stores or returns (text, integer, real, null). */
export type SqlValue = string | number | bigint | null

/** A prepared statement. */
export interface SqlStatement {
  run(...params: SqlValue[]): void
  /** The first row, or undefined. */
  get<T = Record<string, SqlValue>>(...params: SqlValue[]): T | undefined
  all<T = Record<string, SqlValue>>(...params: SqlValue[]): T[]
}

/** An open database. */
export interface SqlDatabase {
  /** Runs statements that take no parameters (DDL, pragmas). */
  exec(sql: string): void
  /** A prepared statement, cached per SQL text. */
  prepare(sql: string): SqlStatement
  /**
   * Runs `fn` (synchronous: nothing else may run inside) in a write transaction (BEGIN IMMEDIATE: the write lock is taken first, so a
   * second process on the same file waits instead of failing half-way), committing when it
   * returns and rolling back when it throws.
   */
  transaction<T>(fn: () => T): T
  close(): void
}

interface RawStatement {
  run(...params: SqlValue[]): unknown
  get(...params: SqlValue[]): unknown
  all(...params: SqlValue[]): unknown[]
}
interface RawDatabase {
  exec(sql: string): unknown
  prepare(sql: string): RawStatement
  close(): void
}

/** True when running on Bun (which also defines `process`, so test for Bun itself). */
function isBun(): boolean {
  return typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined'
}

async function openRaw(path: string): Promise<RawDatabase> {
  // Specifiers in variables: neither TypeScript (no bun types) nor bundlers for workerd
  // should try to resolve these; only Node and Bun ever reach this code.
  if (isBun()) {
    const bunSqlite = 'bun:sqlite'
    const { Database } = (await import(bunSqlite)) as { Database: new (path: string, opts?: { create?: boolean; strict?: boolean }) => RawDatabase }
    return new Database(path, { create: true })
  }
  const nodeSqlite = 'node:sqlite'
  // Node 22 flags node:sqlite experimental with a warning at load; in a gateway's log that is
  // noise on every start (the store only uses its stable core: prepare/run/get/all/exec).
  const emitWarning = process.emitWarning
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).includes('SQLite is an experimental feature')) return
    ;(emitWarning as (...a: unknown[]) => void).call(process, warning, ...rest)
  }) as typeof process.emitWarning
  try {
    const { DatabaseSync } = (await import(nodeSqlite)) as { DatabaseSync: new (path: string) => RawDatabase }
    return new DatabaseSync(path)
  } finally {
    process.emitWarning = emitWarning
  }
}

/**
 * Opens (creating it and its directory when missing) the database at `path`, or an in-memory
 * one for ':memory:'. WAL journal: readers do not block the writer, and a commit costs an
 * append rather than a rewrite; synchronous=NORMAL is durable across process crashes (only a
 * power cut can lose the last commits). busy_timeout: a second process (the CLI while a
 * gateway runs) waits for the lock instead of failing.
 */
export async function openSqlite(path: string): Promise<SqlDatabase> {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true })
  const raw = await openRaw(path)
  raw.exec('PRAGMA busy_timeout = 5000')
  if (path !== ':memory:') raw.exec('PRAGMA journal_mode = WAL')
  raw.exec('PRAGMA synchronous = NORMAL')
  const cache = new Map<string, SqlStatement>()
  let depth = 0
  const db: SqlDatabase = {
    exec(sql) {
      raw.exec(sql)
    },
    prepare(sql) {
      let stmt = cache.get(sql)
      if (!stmt) {
        const s = raw.prepare(sql)
        stmt = {
          run: (...params) => {
            s.run(...params)
          },
          // bun:sqlite answers null for no row, node:sqlite undefined.
          get: <T>(...params: SqlValue[]) => (s.get(...params) ?? undefined) as T | undefined,
          all: <T>(...params: SqlValue[]) => s.all(...params) as T[],
        }
        cache.set(sql, stmt)
      }
      return stmt
    },
    transaction(fn) {
      // Nested calls join the outer transaction (the stores compose their own helpers).
      if (depth > 0) return fn()
      raw.exec('BEGIN IMMEDIATE')
      depth++
      let out: ReturnType<typeof fn>
      try {
        out = fn()
      } catch (err) {
        depth--
        raw.exec('ROLLBACK')
        throw err
      }
      depth--
      try {
        raw.exec('COMMIT')
      } catch (err) {
        // A commit that could not take the lock leaves the transaction open: end it.
        raw.exec('ROLLBACK')
        throw err
      }
      return out
    },
    close() {
      cache.clear()
      raw.close()
    },
  }
  return db
}
