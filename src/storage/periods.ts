/** Quota periods on UTC calendar boundaries: a day from midnight, a week from Sunday, a month from the 1st. */

export type QuotaPeriod = 'DAY' | 'WEEK' | 'MONTH'

// Every request of a period asks for the same bounds: the last answer per period is kept
// (read-only: callers destructure it) until time leaves it.
const lastBounds: Record<QuotaPeriod, readonly [number, number] | undefined> = { DAY: undefined, WEEK: undefined, MONTH: undefined }

/** [start, end) of the period containing `now`, ms since epoch. */
export function periodBounds(period: QuotaPeriod, now: number): readonly [number, number] {
  const last = lastBounds[period]
  if (last && now >= last[0] && now < last[1]) return last
  return (lastBounds[period] = computeBounds(period, now))
}

function computeBounds(period: QuotaPeriod, now: number): [number, number] {
  const d = new Date(now)
  const y = d.getUTCFullYear()
  const m = d.getUTCMonth()
  const day = d.getUTCDate()
  if (period === 'DAY') return [Date.UTC(y, m, day), Date.UTC(y, m, day + 1)]
  if (period === 'WEEK') {
    const start = Date.UTC(y, m, day - d.getUTCDay())
    return [start, start + 7 * 86_400_000]
  }
  return [Date.UTC(y, m, 1), Date.UTC(y, m + 1, 1)]
}

let dayStart = NaN
let dayText = ''

/** "YYYY-MM-DD" of a time, UTC. */
export function utcDay(ms: number): string {
  if (ms >= dayStart && ms < dayStart + 86_400_000) return dayText
  dayText = new Date(ms).toISOString().slice(0, 10)
  dayStart = Math.floor(ms / 86_400_000) * 86_400_000
  return dayText
}

/** Days from `from` to `to` inclusive ("YYYY-MM-DD"); at most `max` of them. */
export function daysBetween(from: string, to: string, max = 366): string[] {
  const out: string[] = []
  for (let t = Date.parse(from + 'T00:00:00Z'); t <= Date.parse(to + 'T00:00:00Z') && out.length < max; t += 86_400_000) out.push(utcDay(t))
  return out
}

/**
 * The limit in force for a period: AWS's `offset` is "the number of requests subtracted from the
 * given limit in the initial time period", the first period the key was counted in.
 */
export function effectiveLimit(quota: { limit: number; offset: number }, initialPeriod: boolean): number {
  return initialPeriod ? Math.max(0, quota.limit - quota.offset) : quota.limit
}
