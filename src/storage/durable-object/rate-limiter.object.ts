/**
 * One Durable Object per token bucket (the stub client names it after the limiter key), so a
 * bucket's requests all reach one single-threaded object, wherever they enter the edge.
 * take() reads, computes and writes with synchronous SQLite calls and no await in between:
 * no other request can run inside it, so concurrent takes never see the same tokens.
 * An alarm deletes the object's storage once the bucket would be full again: a full bucket
 * is the same as none, and idle keys then cost nothing.
 */
import { DurableObjectClass } from './runtime.ts'
import type { TakeResult } from '../ports.ts'
import { takeToken } from './bucket.ts'

/** Kept after the bucket is full again, so a steady client does not recreate it each time. */
const IDLE_GRACE_MS = 1000

export class PorticoRateLimiter extends DurableObjectClass {
  private ready = false

  private schema(): void {
    if (this.ready) return
    this.ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS bucket (id INTEGER PRIMARY KEY CHECK (id = 1), tokens REAL NOT NULL, updated_at REAL NOT NULL, idle_at REAL)')
    this.ready = true
  }

  /** Takes one token at `now` (the gateway's clock, ms). */
  take(limit: { rateLimit: number; burstLimit: number }, now: number): TakeResult {
    this.schema()
    const sql = this.ctx.storage.sql
    const row = sql.exec<{ tokens: number; updated_at: number }>('SELECT tokens, updated_at FROM bucket WHERE id = 1').toArray()[0]
    const { state, result } = takeToken(row && { tokens: row.tokens, updatedAt: row.updated_at }, limit, now)
    if (state.tokens >= limit.burstLimit) {
      sql.exec('DELETE FROM bucket')
      void this.ctx.storage.deleteAlarm()
      return result
    }
    // Real time for the cleanup: alarms run on the wall clock, whatever clock the caller uses.
    const idleAt = Number.isFinite(result.resetMs) ? Date.now() + result.resetMs + IDLE_GRACE_MS : null
    sql.exec(
      'INSERT INTO bucket (id, tokens, updated_at, idle_at) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at, idle_at = excluded.idle_at',
      state.tokens,
      state.updatedAt,
      idleAt,
    )
    // A bucket that never refills (rate 0) is kept: deleting it would hand out its burst again.
    if (idleAt === null) void this.ctx.storage.deleteAlarm()
    else void this.ctx.storage.setAlarm(idleAt)
    return result
  }

  /** Deletes the bucket once it is idle (full again); earlier, waits for that time. */
  async alarm(): Promise<void> {
    this.schema()
    const row = this.ctx.storage.sql.exec<{ idle_at: number | null }>('SELECT idle_at FROM bucket WHERE id = 1').toArray()[0]
    if (!row || row.idle_at === null) return
    if (Date.now() < row.idle_at) {
      await this.ctx.storage.setAlarm(row.idle_at)
      return
    }
    await this.ctx.storage.deleteAll()
    this.ready = false
  }
}
