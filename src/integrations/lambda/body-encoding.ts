/**
 * Body encoding rules shared by the Lambda proxy events and responses: which bodies travel as
 * base64, media type matching against `binaryMediaTypes`, and base64 for raw bytes.
 */

/** The `type/subtype` part of a media type, lowercased, parameters (`; charset=...`) removed. */
export function mediaTypeEssence(value: string): string {
  return (value.split(';')[0] ?? '').trim().toLowerCase()
}

/**
 * Whether an HTTP API (which has no binaryMediaTypes setting) passes a body of this content
 * type to Lambda as text. A missing content type counts as text. AWS does not document the
 * list; this one covers the textual types clients commonly send.
 */
export function isTextContentType(ct: string | null | undefined): boolean {
  if (ct == null) return true
  const essence = mediaTypeEssence(ct)
  if (essence === '') return true
  const slash = essence.indexOf('/')
  const type = slash < 0 ? essence : essence.slice(0, slash)
  const subtype = slash < 0 ? '' : essence.slice(slash + 1)
  if (type === 'text') return true
  if (subtype === 'json' || subtype.endsWith('+json')) return true
  if (subtype === 'xml' || subtype.endsWith('+xml')) return true
  if (subtype.includes('javascript') || subtype === 'ecmascript') return true
  if (subtype === 'x-www-form-urlencoded') return true
  if (subtype === 'graphql' || subtype.endsWith('+graphql')) return true
  if (subtype === 'yaml' || subtype === 'x-yaml' || subtype.endsWith('+yaml')) return true
  return false
}

/**
 * Whether `mediaType` (a Content-Type or the first Accept value) matches one of a REST API's
 * `binaryMediaTypes`. Patterns may use `*` for the type or subtype (`image/*`, `*\/*`);
 * parameters on either side are ignored. The value itself is taken literally, so an
 * `Accept: *\/*` only matches a `*\/*` pattern, as on AWS.
 */
export function matchesBinaryMediaType(
  mediaType: string | null | undefined,
  patterns: readonly string[],
): boolean {
  if (mediaType == null || patterns.length === 0) return false
  const [type, subtype] = splitMediaType(mediaTypeEssence(mediaType))
  if (!type) return false
  for (const pattern of patterns) {
    const [pType, pSubtype] = splitMediaType(mediaTypeEssence(pattern))
    if ((pType === '*' || pType === type) && (pSubtype === '*' || pSubtype === subtype)) return true
  }
  return false
}

function splitMediaType(essence: string): [string, string] {
  const slash = essence.indexOf('/')
  return slash < 0 ? [essence, ''] : [essence.slice(0, slash), essence.slice(slash + 1)]
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const LOOKUP = new Int16Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i

/** Standard base64 (with padding) of arbitrary bytes. */
export function bytesToBase64(bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i]! << 16
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + '=='
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + '='
  }
  return out
}

/**
 * Decodes standard base64 into bytes. Padding is optional; any other character, misplaced
 * padding or an impossible length throws, so callers can report a failed decode (API Gateway
 * answers those with API_CONFIGURATION_ERROR).
 */
export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  const end = base64DataEnd(text)
  if (end % 4 === 1) throw new Error('invalid base64: bad length')
  const out = new Uint8Array(Math.floor((end * 3) / 4))
  let acc = 0
  let bits = 0
  let o = 0
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i)
    const v = code < 128 ? LOOKUP[code]! : -1
    if (v < 0) throw new Error(`invalid base64: unexpected character at ${i}`)
    acc = ((acc << 6) | v) & 0xffffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (acc >> bits) & 0xff
    }
  }
  return out
}

/** Bytes base64ToBytes yields for `text` when it decodes, without decoding it. */
export function base64ByteLength(text: string): number {
  return Math.floor((base64DataEnd(text) * 3) / 4)
}

/** Length of the base64 text without its padding (recognised only on a whole quantum). */
function base64DataEnd(text: string): number {
  let end = text.length
  if (end % 4 === 0 && end > 0) {
    if (text[end - 1] === '=') end--
    if (text[end - 1] === '=') end--
  }
  return end
}

// ignoreBOM keeps a leading BOM in the text instead of silently dropping it.
const DECODER = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true })
const ENCODER = new TextEncoder()

/** UTF-8 text of a body; invalid sequences become U+FFFD rather than failing the request. */
export function utf8Decode(bytes: Uint8Array): string {
  return DECODER.decode(bytes)
}

/** Node's and Bun's native count, far quicker than the loop below; absent on Workers. */
const nativeByteLength = (globalThis as { Buffer?: { byteLength(text: string, encoding: 'utf8'): number } }).Buffer?.byteLength

/** Byte length of a string in UTF-8, without encoding it (lone surrogates count as U+FFFD). */
export function utf8Length(text: string): number {
  if (nativeByteLength) return nativeByteLength(text, 'utf8')
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4
      i++
    } else n += 3
  }
  return n
}

/** UTF-8 bytes of a string. */
export function utf8Encode(text: string): Uint8Array {
  return ENCODER.encode(text)
}
