/** Identifiers in API Gateway's shapes: request ids, extended ids, stable API ids, trace ids. */

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789'

/** A stable lowercase id of `length` characters derived from `seed` (FNV-1a based). */
export function stableApiId(seed: string, length: number): string {
  let h1 = 0x811c9dc5
  let h2 = 0x01000193
  let out = ''
  for (let round = 0; out.length < length; round++) {
    for (let i = 0; i < seed.length; i++) {
      h1 = Math.imul(h1 ^ seed.charCodeAt(i), 0x01000193) >>> 0
      h2 = Math.imul(h2 ^ (seed.charCodeAt(i) + round), 0x85ebca6b) >>> 0
    }
    out += ALNUM[(h1 ^ h2) % 36]
    h1 = Math.imul(h1 ^ round, 0x27d4eb2d) >>> 0
  }
  return out
}

/** REST requestId: a UUID. */
export function newUuid(): string {
  return crypto.randomUUID()
}

/**
 * The 16-character base64 id API Gateway uses for `x-amz-apigw-id`, extendedRequestId and the
 * HTTP API requestId (e.g. `JCJpxEpoPHcENcQ=`): 11 random bytes in base64.
 */
export function newShortId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(11))
  return btoa(String.fromCharCode(...bytes))
}

/** An X-Ray style trace header value: Root=1-<8 hex seconds>-<24 hex>. */
export function newTraceId(nowMs: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
  return `Root=1-${Math.floor(nowMs / 1000).toString(16).padStart(8, '0')}-${hex}`
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** API Gateway's request time: `14/Apr/2025:22:11:01 +0000` (UTC). */
export function clfTime(ms: number): string {
  const d = new Date(ms)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`
}
