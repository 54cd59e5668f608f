/** Quota counters in memory (per key: the current period, its first period, and per-day counts). */
import type { QuotaCounter } from '../ports.ts'
import { markInProcess } from './rate-limiter.ts'
import { daysBetween, effectiveLimit, periodBounds, utcDay } from '../periods.ts'

export function memoryQuotaCounter(): QuotaCounter {
  const periods = new Map<string, { start: number; used: number }>()
  const firstPeriod = new Map<string, number>()
  const days = new Map<string, number>()
  return markInProcess({
    async consume(key, quota, now) {
      const [start, end] = periodBounds(quota.period, now)
      if (!firstPeriod.has(key)) firstPeriod.set(key, start)
      const current = periods.get(key)
      const used = current && current.start === start ? current.used : 0
      const limit = effectiveLimit(quota, firstPeriod.get(key) === start)
      if (used >= limit) return { allowed: false, used, remaining: 0, limit, resetAt: end }
      periods.set(key, { start, used: used + 1 })
      const day = `${key}|${utcDay(now)}`
      days.set(day, (days.get(day) ?? 0) + 1)
      return { allowed: true, used: used + 1, remaining: limit - used - 1, limit, resetAt: end }
    },
    async usageByDay(key, fromDay, toDay) {
      const out: Record<string, number> = {}
      for (const day of daysBetween(fromDay, toDay)) out[day] = days.get(`${key}|${day}`) ?? 0
      return out
    },
    async periodUsed(key, quota, now) {
      const [start] = periodBounds(quota.period, now)
      const current = periods.get(key)
      return current && current.start === start ? current.used : 0
    },
    async reset(key, quota, now) {
      const [start] = periodBounds(quota.period, now)
      const current = periods.get(key)
      if (current && current.start === start) periods.set(key, { start, used: 0 })
    },
  })
}
