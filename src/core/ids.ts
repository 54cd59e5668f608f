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
    // >>> 0: the xor of two uint32s is a signed int32 in JS, and a negative index has no letter.
    out += ALNUM[((h1 ^ h2) >>> 0) % 36]
    h1 = Math.imul(h1 ^ round, 0x27d4eb2d) >>> 0
  }
  return out
}

// Ids take random bytes from a pool refilled 64 KiB at a time (getRandomValues' maximum): one
// call per ~1000 requests instead of several per request (each is a system call on Node).
const pool = new Uint8Array(65536)
let poolPos = pool.length

/** Reserves `n` random bytes of the pool; returns where they start (no view is allocated). */
function takeRandom(n: number): number {
  if (poolPos + n > pool.length) {
    crypto.getRandomValues(pool)
    poolPos = 0
  }
  const at = poolPos
  poolPos += n
  return at
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** Hex of `count` pool bytes from `at`. */
function hexRun(at: number, count: number): string {
  let out = ''
  for (let i = at; i < at + count; i++) out += HEX[pool[i]!]
  return out
}

/**
 * A random (version 4) UUID: REST's requestId, a local Lambda's awsRequestId. Drawn from the
 * pool rather than crypto.randomUUID(), whose own cache is refilled every 128 UUIDs.
 */
export function newUuid(): string {
  const at = takeRandom(16)
  const version = HEX[(pool[at + 6]! & 0x0f) | 0x40]! + HEX[pool[at + 7]!]!
  const variant = HEX[(pool[at + 8]! & 0x3f) | 0x80]! + HEX[pool[at + 9]!]!
  return `${hexRun(at, 4)}-${hexRun(at + 4, 2)}-${version}-${variant}-${hexRun(at + 10, 6)}`
}

/**
 * The 16-character base64 id API Gateway uses for `x-amz-apigw-id`, extendedRequestId and the
 * HTTP API requestId (e.g. `JCJpxEpoPHcENcQ=`): 11 random bytes in base64.
 */
export function newShortId(): string {
  const at = takeRandom(11)
  let out = ''
  for (let i = at; i < at + 9; i += 3) {
    const n = (pool[i]! << 16) | (pool[i + 1]! << 8) | pool[i + 2]!
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!
  }
  const n = (pool[at + 9]! << 16) | (pool[at + 10]! << 8)
  return out + B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + '='
}

const ID_LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/**
 * A WebSocket connection id in API Gateway's shape (`L0SM9cOFvHcCIhw=`: 15 characters and
 * "="), drawn from letters and digits only so that it needs no escaping in a URL path.
 */
export function newConnectionId(): string {
  const at = takeRandom(15)
  let out = ''
  // 256 % 62 leaves a slight bias, harmless for an id that only has to be unique.
  for (let i = at; i < at + 15; i++) out += ID_LETTERS[pool[i]! % 62]
  return out + '='
}

/** An X-Ray style trace header value: Root=1-<8 hex seconds>-<24 hex>. */
export function newTraceId(nowMs: number): string {
  const hex = hexRun(takeRandom(12), 12)
  return `Root=1-${Math.floor(nowMs / 1000).toString(16).padStart(8, '0')}-${hex}`
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

// Requests within one second share their request time; formatting it is a Date and six pads.
let clfSecond = NaN
let clfText = ''

/** API Gateway's request time: `14/Apr/2025:22:11:01 +0000` (UTC). */
export function clfTime(ms: number): string {
  const second = Math.floor(ms / 1000)
  if (second !== clfSecond) {
    clfText = formatClfTime(ms)
    clfSecond = second
  }
  return clfText
}

function formatClfTime(ms: number): string {
  const d = new Date(ms)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`
}
