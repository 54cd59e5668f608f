/**
 * Input checks for the admin API. Each failure is a 400 naming the field ("quota.period: must
 * be DAY, WEEK or MONTH"); nothing is written until a whole request has passed them. Patch
 * values arrive as strings on AWS's wire ("value": "100"), so numbers and booleans are also
 * taken in their string form.
 */
import { badRequest } from './errors.ts'
import type { QuotaSettings, ThrottleSettings } from './shapes.ts'

export type Obj = Record<string, unknown>

/** The bounds the config schema uses (src/model/usage-schema.ts), so both accept the same plans. */
export const LIMITS = { rate: 1_000_000, burst: 1_000_000, quota: 2_000_000_000, name: 1024, description: 4096 }

export function object(value: unknown, field: string): Obj {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw badRequest(field, 'must be a JSON object')
  return value as Obj
}

/** Refuses members outside `allowed` (a typo would otherwise be ignored silently). */
export function known(o: Obj, allowed: readonly string[], prefix: string, unsupported: Record<string, string> = {}) {
  for (const k of Object.keys(o)) {
    const field = prefix ? `${prefix}.${k}` : k
    if (k in unsupported) throw badRequest(field, unsupported[k]!)
    if (!allowed.includes(k)) throw badRequest(field, `unknown field (expected ${allowed.join(', ')})`)
  }
}

export function string(value: unknown, field: string, opts: { min?: number; max: number }): string {
  if (typeof value !== 'string') throw badRequest(field, 'must be a string')
  if (value.length < (opts.min ?? 0)) throw badRequest(field, opts.min === 1 ? 'must not be empty' : `must be at least ${opts.min} characters`)
  if (value.length > opts.max) throw badRequest(field, `must be at most ${opts.max} characters`)
  return value
}

export function optionalString(value: unknown, field: string, opts: { min?: number; max: number }): string | undefined {
  return value === undefined || value === null ? undefined : string(value, field, opts)
}

export function boolean(value: unknown, field: string): boolean {
  if (value === true || value === 'true') return true
  if (value === false || value === 'false') return false
  throw badRequest(field, 'must be true or false')
}

export function number(value: unknown, field: string, opts: { integer?: boolean; min: number; max: number }): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  if (typeof n !== 'number' || !Number.isFinite(n)) throw badRequest(field, 'must be a number')
  if (opts.integer && !Number.isInteger(n)) throw badRequest(field, 'must be a whole number')
  if (n < opts.min || n > opts.max) throw badRequest(field, `must be from ${opts.min} to ${opts.max}`)
  return n
}

export function rateLimit(value: unknown, field: string): number {
  return number(value, field, { min: 0, max: LIMITS.rate })
}

export function burstLimit(value: unknown, field: string): number {
  return number(value, field, { integer: true, min: 0, max: LIMITS.burst })
}

/** A token bucket: both members required (the store keeps no half bucket). */
export function throttle(value: unknown, field: string): ThrottleSettings {
  const o = object(value, field)
  known(o, ['burstLimit', 'rateLimit'], field)
  if (o.rateLimit === undefined) throw badRequest(`${field}.rateLimit`, 'is required')
  if (o.burstLimit === undefined) throw badRequest(`${field}.burstLimit`, 'is required')
  return { burstLimit: burstLimit(o.burstLimit, `${field}.burstLimit`), rateLimit: rateLimit(o.rateLimit, `${field}.rateLimit`) }
}

export function period(value: unknown, field: string): QuotaSettings['period'] {
  if (value === 'DAY' || value === 'WEEK' || value === 'MONTH') return value
  throw badRequest(field, 'must be DAY, WEEK or MONTH')
}

export function quotaLimit(value: unknown, field: string): number {
  return number(value, field, { integer: true, min: 0, max: LIMITS.quota })
}

export function quotaOffset(value: unknown, field: string): number {
  return number(value, field, { integer: true, min: 0, max: LIMITS.quota })
}

export function quota(value: unknown, field: string): QuotaSettings {
  const o = object(value, field)
  known(o, ['limit', 'offset', 'period'], field)
  if (o.limit === undefined) throw badRequest(`${field}.limit`, 'is required')
  if (o.period === undefined) throw badRequest(`${field}.period`, 'is required')
  return {
    limit: quotaLimit(o.limit, `${field}.limit`),
    offset: o.offset === undefined ? 0 : quotaOffset(o.offset, `${field}.offset`),
    period: period(o.period, `${field}.period`),
  }
}

/** One JSON Patch operation as API Gateway takes them. */
export interface PatchOperation {
  op: 'add' | 'remove' | 'replace'
  path: string
  value?: unknown
}

/**
 * The operations of an update: `{"patchOperations": [...]}` (AWS's body) or a bare array.
 * `move`, `copy` and `test` are refused: API Gateway's resources use only the other three.
 */
export function patchOperations(body: unknown): PatchOperation[] {
  const list = Array.isArray(body) ? body : object(body, 'body').patchOperations
  if (!Array.isArray(body)) known(object(body, 'body'), ['patchOperations'], '')
  if (!Array.isArray(list)) throw badRequest('patchOperations', 'must be a list of {op, path, value}')
  return list.map((raw, i) => {
    const field = `patchOperations[${i}]`
    const o = object(raw, field)
    known(o, ['op', 'path', 'value', 'from'], field)
    if (o.op !== 'add' && o.op !== 'remove' && o.op !== 'replace') throw badRequest(`${field}.op`, 'must be add, remove or replace')
    if (typeof o.path !== 'string' || !o.path.startsWith('/')) throw badRequest(`${field}.path`, 'must be a path such as /name')
    if (o.op !== 'remove' && o.value === undefined) throw badRequest(`${field}.value`, `is required for ${o.op}`)
    return { op: o.op, path: o.path, value: o.value }
  })
}

/** A "yyyy-MM-dd" date that exists. */
export function isoDate(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) throw badRequest(field, 'must be a date as yyyy-MM-dd')
  const t = Date.parse(value + 'T00:00:00Z')
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== value) throw badRequest(field, `${value} is not a date`)
  return value
}
