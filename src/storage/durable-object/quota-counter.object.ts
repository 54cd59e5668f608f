/**
 * One Durable Object per quota counter (API key × plan, named by the stub client). consume()
 * checks and counts with synchronous SQLite calls and no await in between, so parallel
 * requests can never count past the limit. The per-day counts stay (GetUsage reads them), so
 * there is no idle cleanup here.
 */
import { DurableObjectClass } from './runtime.ts'
import type { QuotaResult } from '../ports.ts'
import { daysBetween, periodBounds, utcDay } from '../periods.ts'
import { consumeQuota } from './bucket.ts'

type Quota = { limit: number; period: 'DAY' | 'WEEK' | 'MONTH'; offset: number }

export class PorticoQuotaCounter extends DurableObjectClass {
  private ready = false

  private schema(): void {
    if (this.ready) return
    const sql = this.ctx.storage.sql
    sql.exec('CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY CHECK (id = 1), first_start REAL NOT NULL, start REAL NOT NULL, used INTEGER NOT NULL)')
    sql.exec('CREATE TABLE IF NOT EXISTS days (day TEXT PRIMARY KEY, count INTEGER NOT NULL)')
    this.ready = true
  }

  /** Counts one request at `now` (the gateway's clock) unless that passes the limit. */
  consume(quota: Quota, now: number): QuotaResult {
    this.schema()
    const sql = this.ctx.storage.sql
    const row = sql.exec<{ first_start: number; start: number; used: number }>('SELECT first_start, start, used FROM counter WHERE id = 1').toArray()[0]
    const { state, result } = consumeQuota(row && { firstStart: row.first_start, start: row.start, used: row.used }, quota, now)
    sql.exec(
      'INSERT INTO counter (id, first_start, start, used) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET start = excluded.start, used = excluded.used',
      state.firstStart,
      state.start,
      state.used,
    )
    if (result.allowed) {
      sql.exec('INSERT INTO days (day, count) VALUES (?, 1) ON CONFLICT (day) DO UPDATE SET count = count + 1', utcDay(now))
    }
    return result
  }

  /** Requests counted per UTC day, every day of the range (0 when none). */
  usageByDay(fromDay: string, toDay: string): Record<string, number> {
    this.schema()
    const out: Record<string, number> = {}
    const days = daysBetween(fromDay, toDay)
    for (const day of days) out[day] = 0
    if (days.length === 0) return out
    const rows = this.ctx.storage.sql.exec<{ day: string; count: number }>('SELECT day, count FROM days WHERE day >= ? AND day <= ?', days[0], days[days.length - 1]).toArray()
    for (const r of rows) if (r.day in out) out[r.day] = r.count
    return out
  }

  /** Requests counted in the period containing `now`. */
  periodUsed(quota: Quota, now: number): number {
    this.schema()
    const [start] = periodBounds(quota.period, now)
    const row = this.ctx.storage.sql.exec<{ used: number }>('SELECT used FROM counter WHERE id = 1 AND start = ?', start).toArray()[0]
    return row ? row.used : 0
  }

  /** Forgets the count of the period containing `now`. */
  reset(quota: Quota, now: number): void {
    this.schema()
    const [start] = periodBounds(quota.period, now)
    this.ctx.storage.sql.exec('UPDATE counter SET used = 0 WHERE id = 1 AND start = ?', start)
  }
}
