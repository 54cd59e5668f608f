/** QuotaCounter on SQLite: the current period per key, and counts per UTC day for GetUsage. */
import type { QuotaCounter } from '../ports.ts'
import { daysBetween, effectiveLimit, periodBounds, utcDay } from '../periods.ts'
import type { SqlDatabase } from './db.ts'

/** Quota counters in `quota_periods` and `quota_days`; each consume is one transaction. */
export function sqliteQuotaCounter(db: SqlDatabase): QuotaCounter {
  return {
    async consume(key, quota, now) {
      const [start, end] = periodBounds(quota.period, now)
      return db.transaction(() => {
        const row = db
          .prepare('SELECT first_start, period_start, used FROM quota_periods WHERE key = ?')
          .get<{ first_start: number; period_start: number; used: number }>(key)
        // The first call marks the initial period, allowed or not (the offset rule).
        if (!row) db.prepare('INSERT INTO quota_periods (key, first_start, period_start, used) VALUES (?, ?, ?, 0)').run(key, start, start)
        const first = row ? Number(row.first_start) : start
        const used = row && Number(row.period_start) === start ? Number(row.used) : 0
        const limit = effectiveLimit(quota, first === start)
        if (used >= limit) return { allowed: false, used, remaining: 0, limit, resetAt: end }
        db.prepare('UPDATE quota_periods SET period_start = ?, used = ? WHERE key = ?').run(start, used + 1, key)
        db.prepare('INSERT INTO quota_days (key, day, count) VALUES (?, ?, 1) ON CONFLICT (key, day) DO UPDATE SET count = count + 1').run(
          key,
          utcDay(now),
        )
        return { allowed: true, used: used + 1, remaining: limit - used - 1, limit, resetAt: end }
      })
    },
    async usageByDay(key, fromDay, toDay) {
      const days = daysBetween(fromDay, toDay)
      const out: Record<string, number> = {}
      for (const day of days) out[day] = 0
      if (days.length === 0) return out
      const rows = db
        .prepare('SELECT day, count FROM quota_days WHERE key = ? AND day >= ? AND day <= ?')
        .all<{ day: string; count: number }>(key, days[0]!, days[days.length - 1]!)
      for (const r of rows) out[r.day] = Number(r.count)
      return out
    },
    async periodUsed(key, quota, now) {
      const [start] = periodBounds(quota.period, now)
      const row = db.prepare('SELECT used FROM quota_periods WHERE key = ? AND period_start = ?').get<{ used: number }>(key, start)
      return row ? Number(row.used) : 0
    },
    async reset(key, quota, now) {
      const [start] = periodBounds(quota.period, now)
      db.transaction(() => {
        db.prepare('UPDATE quota_periods SET used = 0 WHERE key = ? AND period_start = ?').run(key, start)
      })
    },
  }
}
