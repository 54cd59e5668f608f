/**
 * Claims as API Gateway hands them to integrations: every value a string, in the form each API
 * type was seen to use. Evidence (none of it AWS documentation, so treat as best effort):
 * - HTTP APIs (jwt.claims): numbers as decimal strings ("exp": "1787996002"), arrays as
 *   `[a b]` (Go's formatting, space separated), null claims left out. Captured from real
 *   events (DefinitelyTyped#75458, floci#2011, aws-solutions-library-samples PR #803).
 * - REST Cognito (claims): arrays joined with commas ("group-a,group-b"), exp and iat as
 *   Java's Date#toString in UTC ("Tue Apr 04 18:39:39 UTC 2023") while auth_time stays
 *   epoch seconds (re:Post captures 2016 and 2023). nbf is formatted like exp/iat by analogy
 *   (unconfirmed). Nested objects are JSON text on both (unconfirmed).
 */
import type { JWTPayload } from 'jose'

/** Claims of an HTTP API JWT authorizer (payload 1.0 and 2.0). */
export function httpApiClaims(payload: JWTPayload): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(payload)) {
    if (v === null || v === undefined) continue
    out[k] = Array.isArray(v) ? `[${v.map(scalarText).join(' ')}]` : scalarText(v)
  }
  return out
}

const DATE_CLAIMS = new Set(['exp', 'iat', 'nbf'])

/** Claims of a REST Cognito user pool authorizer (payload 1.0). */
export function restClaims(payload: JWTPayload): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(payload)) {
    if (v === null || v === undefined) continue
    // Date's range is ±8.64e15 ms; a claim outside it stays a number string.
    if (DATE_CLAIMS.has(k) && typeof v === 'number' && Math.abs(v) < 8.64e12) out[k] = javaDate(v * 1000)
    else out[k] = Array.isArray(v) ? v.map(scalarText).join(',') : scalarText(v)
  }
  return out
}

function scalarText(v: unknown): string {
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return JSON.stringify(v) ?? ''
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** java.util.Date#toString in UTC: `EEE MMM dd HH:mm:ss zzz yyyy`. */
export function javaDate(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`
}
