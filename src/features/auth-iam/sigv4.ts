/**
 * AWS Signature Version 4 verification (header and presigned query-string forms), written on
 * WebCrypto so it runs unchanged on Node, workerd and Bun.
 *
 * The canonical request follows the general SigV4 rules (not S3's): the path is normalised
 * (empty and dot segments removed) and URI-encoded once more on top of its wire encoding, the
 * query is decoded and re-encoded in RFC 3986 form and sorted, header values are trimmed with
 * inner whitespace collapsed. aws4fetch, @smithy/signature-v4 and botocore's SigV4Auth all
 * produce this form for execute-api.
 */

export const ALGORITHM = 'AWS4-HMAC-SHA256'
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'
/** SHA-256 of the empty string: the payload hash of a request without a body. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
/** AWS tolerates this much difference between the signer's clock and its own. */
export const MAX_SKEW_MS = 5 * 60 * 1000
/** Presigned URLs live at most a week (X-Amz-Expires). */
export const MAX_EXPIRES_SECONDS = 604_800

/**
 * Why verification failed, mapped by the feature to API Gateway's response types:
 * missing → MISSING_AUTHENTICATION_TOKEN, expired → EXPIRED_TOKEN, the rest → INVALID_SIGNATURE.
 */
export type SigV4FailureKind = 'missing' | 'incomplete' | 'expired' | 'unknown-key' | 'mismatch'

/** A rejected signature: `message` is for the client, `detail` for the log (never secrets). */
export class SigV4Error extends Error {
  readonly kind: SigV4FailureKind
  readonly detail: string
  constructor(kind: SigV4FailureKind, message: string, detail: string) {
    super(message)
    this.name = 'SigV4Error'
    this.kind = kind
    this.detail = detail
  }
}

/** The parts of a request a signature covers. */
export interface SignedRequestInput {
  /** HTTP method on the wire (not X-HTTP-Method-Override). */
  method: string
  /** Path as sent, still percent-encoded, API base path and stage included. */
  path: string
  /** Query string as sent, without `?`. */
  query: string
  /** Header list in arrival order. */
  headers: [string, string][]
  /** The Host when the header list has none (in-process requests): the URL's host. */
  host: string
  /** Hex SHA-256 of the body; called only when the signature covers the body. */
  bodySha256: () => Promise<string>
}

/** A verified signature. */
export interface SigV4Result {
  accessKeyId: string
  form: 'header' | 'query'
  /** Signed header names, lowercase. */
  signedHeaders: string[]
  /** Signing time, ms since the epoch. */
  signedAt: number
}

export interface VerifierOptions {
  region: string
  service: string
  /** Secret access key of an access key id, or undefined when the id is unknown. */
  secretFor(accessKeyId: string): string | undefined
}

/** Verifies SigV4 signatures; keeps derived signing keys (per key id and day) between requests. */
export interface SigV4Verifier {
  /** Resolves with the caller's key id, or rejects with a SigV4Error. */
  verify(input: SignedRequestInput, now: number): Promise<SigV4Result>
}

/** Builds a verifier for one region and service. */
export function createVerifier(opts: VerifierOptions): SigV4Verifier {
  // kSigning depends on secret, day, region and service only: derive it once per key and day.
  const keys = new Map<string, Promise<CryptoKey>>()
  const signingKey = (accessKeyId: string, secret: string, day: string): Promise<CryptoKey> => {
    const cacheKey = `${accessKeyId}/${day}`
    let key = keys.get(cacheKey)
    if (!key) {
      if (keys.size >= 1000) keys.clear()
      key = deriveSigningKey(secret, day, opts.region, opts.service)
      keys.set(cacheKey, key)
      // A failed derivation must not stay cached.
      key.catch(() => keys.delete(cacheKey))
    }
    return key
  }

  return {
    async verify(input, now) {
      const parsed = await parseAuthentication(input, now, opts)
      const secret = opts.secretFor(parsed.accessKeyId)
      if (secret === undefined) {
        throw new SigV4Error('unknown-key', 'The security token included in the request is invalid.', `unknown access key id ${parsed.accessKeyId}`)
      }

      let payloadHash: string
      const declared = headerValues(input.headers, 'x-amz-content-sha256')
      const declaredHash = declared ? declared[declared.length - 1]!.trim() : undefined
      if (declaredHash === undefined) payloadHash = await input.bodySha256()
      else if (declaredHash === UNSIGNED_PAYLOAD || /^[0-9a-fA-F]{64}$/.test(declaredHash)) payloadHash = declaredHash
      else {
        throw new SigV4Error(
          'incomplete',
          "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.",
          'unsupported x-amz-content-sha256 value (streaming payloads are not supported)',
        )
      }

      const canonical = canonicalRequest(input, parsed.signedHeaders, payloadHash, parsed.form === 'query')
      const stringToSign = [ALGORITHM, parsed.amzDate, parsed.scope, hex(await sha256(canonical))].join('\n')
      const key = await signingKey(parsed.accessKeyId, secret, parsed.amzDate.slice(0, 8))
      // verify() compares in constant time.
      const ok = parsed.signature !== null && (await crypto.subtle.verify('HMAC', key, parsed.signature, utf8(stringToSign)))
      if (!ok) {
        throw new SigV4Error(
          'mismatch',
          'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
          `signature mismatch for access key id ${parsed.accessKeyId} (${parsed.form} form, signed headers ${parsed.signedHeaders.join(';')})`,
        )
      }
      // A declared hash is only worth something if the body really has it; checked after the
      // signature so unsigned junk never makes us read a body.
      if (declaredHash !== undefined && declaredHash !== UNSIGNED_PAYLOAD && (await input.bodySha256()) !== declaredHash.toLowerCase()) {
        throw new SigV4Error(
          'mismatch',
          "The provided 'x-amz-content-sha256' header does not match what was computed.",
          `body hash differs from x-amz-content-sha256 (access key id ${parsed.accessKeyId})`,
        )
      }
      return { accessKeyId: parsed.accessKeyId, form: parsed.form, signedHeaders: parsed.signedHeaders, signedAt: parsed.signedAt }
    },
  }
}

interface ParsedAuthentication {
  form: 'header' | 'query'
  accessKeyId: string
  /** `YYYYMMDD/region/service/aws4_request` */
  scope: string
  /** `YYYYMMDDTHHMMSSZ` */
  amzDate: string
  signedAt: number
  signedHeaders: string[]
  /** Decoded signature bytes; null when not 64 hex digits (never matches). */
  signature: Uint8Array<ArrayBuffer> | null
}

const QUERY_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders'] as const
/** Any of these in the query makes it a presigned request (X-Amz-Date alone does not). */
const PRESIGN_MARKERS = new Set(['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders'])

/** Reads the Authorization header or the presigned query parameters and checks their form. */
async function parseAuthentication(input: SignedRequestInput, now: number, opts: VerifierOptions): Promise<ParsedAuthentication> {
  const authorization = headerValues(input.headers, 'authorization')
  const authValue = authorization ? authorization[authorization.length - 1]!.trim() : ''
  if (authValue) return parseHeaderForm(input, authValue, now, opts)
  const query = parseQuery(input.query)
  const presigned = query.some((p) => PRESIGN_MARKERS.has(p.key))
  if (presigned) return parseQueryForm(query, now, opts)
  throw new SigV4Error('missing', 'Missing Authentication Token', 'no Authorization header and no presigned query parameters')
}

async function parseHeaderForm(input: SignedRequestInput, value: string, now: number, opts: VerifierOptions): Promise<ParsedAuthentication> {
  const space = value.search(/\s/)
  const scheme = space === -1 ? value : value.slice(0, space)
  const rest = space === -1 ? '' : value.slice(space + 1)
  const params = new Map<string, string>()
  for (const raw of rest.split(',')) {
    const pair = raw.trim()
    if (!pair) continue
    const eq = pair.indexOf('=')
    if (eq <= 0) {
      // AWS hashes the offending text rather than echoing what may be a bearer token.
      const digest = base64(await sha256(pair))
      throw new SigV4Error(
        'incomplete',
        `Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): '${digest}'.`,
        'Authorization header pair without "="',
      )
    }
    params.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim())
  }

  const xAmzDate = headerValues(input.headers, 'x-amz-date')
  const dateHeader = headerValues(input.headers, 'date')
  const missing: string[] = []
  for (const name of ['Credential', 'Signature', 'SignedHeaders']) {
    if (!params.get(name)) missing.push(`Authorization header requires '${name}' parameter.`)
  }
  if (!xAmzDate && !dateHeader) missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
  // AWS appends " Authorization=<value>"; left out so the client's header never reaches the
  // access log (which records the error message).
  if (missing.length) throw new SigV4Error('incomplete', missing.join(' '), `incomplete Authorization header (${missing.length} problems)`)
  if (scheme !== ALGORITHM) {
    throw new SigV4Error('incomplete', `Unsupported AWS 'algorithm': only ${ALGORITHM} is accepted.`, 'unsupported Authorization algorithm')
  }

  let amzDate: string
  if (xAmzDate) amzDate = xAmzDate[xAmzDate.length - 1]!.trim()
  else {
    // SigV4 accepts the HTTP Date header in place of X-Amz-Date.
    const parsed = Date.parse(dateHeader![dateHeader!.length - 1]!)
    if (Number.isNaN(parsed)) {
      throw new SigV4Error('incomplete', `Date must be in ISO-8601 'basic format'. Got '${clip(dateHeader![0]!)}'. See http://en.wikipedia.org/wiki/ISO_8601`, 'unparsable Date header')
    }
    amzDate = amzTime(parsed)
  }
  const signedAt = checkDate(amzDate)
  const credential = checkCredential(params.get('Credential')!, amzDate, opts)
  const signedHeaders = checkSignedHeaders(params.get('SignedHeaders')!)
  checkSkew(signedAt, now)
  return { form: 'header', ...credential, amzDate, signedAt, signedHeaders, signature: signatureBytes(params.get('Signature')!) }
}

function parseQueryForm(query: QueryPair[], now: number, opts: VerifierOptions): ParsedAuthentication {
  const get = (name: string) => query.find((p) => p.key === name)?.value
  const missing = QUERY_PARAMS.filter((name) => !get(name))
  if (missing.length) {
    throw new SigV4Error(
      'incomplete',
      `AWS query-string parameters must include ${missing.map((m) => `'${m}'`).join(', ')}. Re-examine the query-string parameters.`,
      `presigned request without ${missing.join(', ')}`,
    )
  }
  if (get('X-Amz-Algorithm') !== ALGORITHM) {
    throw new SigV4Error('incomplete', `Unsupported AWS 'algorithm': only ${ALGORITHM} is accepted.`, 'unsupported X-Amz-Algorithm')
  }
  const amzDate = get('X-Amz-Date')!
  const signedAt = checkDate(amzDate)
  const credential = checkCredential(get('X-Amz-Credential')!, amzDate, opts)
  const signedHeaders = checkSignedHeaders(get('X-Amz-SignedHeaders')!)
  const expires = get('X-Amz-Expires')
  if (expires === undefined) checkSkew(signedAt, now)
  else {
    if (!/^\d{1,9}$/.test(expires)) throw new SigV4Error('incomplete', 'X-Amz-Expires should be a number', 'X-Amz-Expires is not a number')
    const seconds = Number(expires)
    if (seconds > MAX_EXPIRES_SECONDS) {
      throw new SigV4Error('incomplete', `X-Amz-Expires must be less than a week (in seconds) that is ${MAX_EXPIRES_SECONDS}`, 'X-Amz-Expires over a week')
    }
    // A URL signed by a clock a little ahead is accepted, as for the header form.
    if (signedAt - MAX_SKEW_MS > now) checkSkew(signedAt, now)
    if (now > signedAt + seconds * 1000) {
      throw new SigV4Error('expired', 'Signature expired', `presigned URL expired at ${amzTime(signedAt + seconds * 1000)} (now ${amzTime(now)})`)
    }
  }
  return { form: 'query', ...credential, amzDate, signedAt, signedHeaders, signature: signatureBytes(get('X-Amz-Signature')!) }
}

/** `YYYYMMDDTHHMMSSZ`, a real calendar time; returns it in ms. */
function checkDate(amzDate: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate)
  const t = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN
  if (!m || Number.isNaN(t) || amzTime(t) !== amzDate) {
    throw new SigV4Error('incomplete', `Date must be in ISO-8601 'basic format'. Got '${clip(amzDate)}'. See http://en.wikipedia.org/wiki/ISO_8601`, 'malformed X-Amz-Date')
  }
  return t
}

function checkCredential(credential: string, amzDate: string, opts: VerifierOptions) {
  const parts = credential.split('/')
  if (parts.length !== 5 || !parts[0]) {
    throw new SigV4Error(
      'incomplete',
      'The Credential is malformed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
      `Credential with ${parts.length} parts`,
    )
  }
  const [accessKeyId, day, region, service, terminator] = parts as [string, string, string, string, string]
  if (day !== amzDate.slice(0, 8)) {
    throw new SigV4Error(
      'incomplete',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${clip(day)}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
      'credential scope date differs from the signing date',
    )
  }
  if (region !== opts.region) {
    throw new SigV4Error('incomplete', `Credential should be scoped to a valid region, not '${clip(region)}'.`, `scope region ${clip(region)} is not ${opts.region}`)
  }
  if (service !== opts.service) {
    throw new SigV4Error('incomplete', `Credential should be scoped to correct service: '${opts.service}'.`, `scope service ${clip(service)}`)
  }
  if (terminator !== 'aws4_request') {
    throw new SigV4Error('incomplete', `Credential should be scoped with a valid terminator: 'aws4_request', not '${clip(terminator)}'.`, 'bad scope terminator')
  }
  return { accessKeyId, scope: parts.slice(1).join('/') }
}

function checkSignedHeaders(list: string): string[] {
  const names = list.split(';')
  if (names.some((n) => !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(n))) {
    throw new SigV4Error('incomplete', 'SignedHeaders must be lowercase header names separated by semicolons.', 'malformed SignedHeaders')
  }
  if (!names.includes('host')) {
    throw new SigV4Error('incomplete', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.", 'host is not a signed header')
  }
  return names
}

/** The 5-minute window around the gateway's clock, with AWS's wording. */
function checkSkew(signedAt: number, now: number): void {
  if (signedAt < now - MAX_SKEW_MS) {
    throw new SigV4Error(
      'expired',
      `Signature expired: ${amzTime(signedAt)} is now earlier than ${amzTime(now - MAX_SKEW_MS)} (${amzTime(now)} - 5 min.)`,
      'signing time more than 5 minutes in the past',
    )
  }
  if (signedAt > now + MAX_SKEW_MS) {
    throw new SigV4Error(
      'expired',
      `Signature not yet current: ${amzTime(signedAt)} is still later than ${amzTime(now + MAX_SKEW_MS)} (${amzTime(now)} + 5 min.)`,
      'signing time more than 5 minutes in the future',
    )
  }
}

function signatureBytes(signature: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[0-9a-fA-F]{64}$/.test(signature)) return null
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) out[i] = parseInt(signature.slice(i * 2, i * 2 + 2), 16)
  return out
}

/**
 * The canonical request. Exported for tests and tools; `presigned` drops X-Amz-Signature from
 * the query.
 */
export function canonicalRequest(input: SignedRequestInput, signedHeaders: string[], payloadHash: string, presigned: boolean): string {
  return [
    input.method.toUpperCase(),
    canonicalUri(input.path),
    canonicalQuery(input.query, presigned ? 'X-Amz-Signature' : undefined),
    canonicalHeaders(input.headers, signedHeaders, input.host),
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n')
}

/**
 * The path with empty and dot segments removed (keeping a leading and trailing slash), then
 * URI-encoded on top of its wire encoding: `/a%20b` signs as `/a%2520b`.
 */
export function canonicalUri(path: string): string {
  const segments: string[] = []
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') segments.pop()
    else segments.push(segment)
  }
  const normalized = (path.startsWith('/') ? '/' : '') + segments.join('/') + (segments.length && path.endsWith('/') ? '/' : '')
  return uriEncode(utf8(normalized), true) || '/'
}

interface QueryPair {
  key: string
  value: string
  /** RFC 3986 forms, for the canonical string. */
  encodedKey: string
  encodedValue: string
}

function parseQuery(query: string): QueryPair[] {
  const out: QueryPair[] = []
  if (!query) return out
  for (const pair of query.split('&')) {
    if (!pair) continue
    const eq = pair.indexOf('=')
    const rawKey = eq === -1 ? pair : pair.slice(0, eq)
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1)
    // Clients that write a query with URLSearchParams (aws4fetch's presigned URLs) send a
    // space as "+"; they sign it as %20.
    const keyBytes = percentDecode(rawKey)
    const valueBytes = percentDecode(rawValue)
    out.push({
      key: decoder.decode(keyBytes),
      value: decoder.decode(valueBytes),
      encodedKey: uriEncode(keyBytes, false),
      encodedValue: uriEncode(valueBytes, false),
    })
  }
  return out
}

/** Pairs decoded and re-encoded (RFC 3986), sorted by key then value; empty keys dropped. */
export function canonicalQuery(query: string, exclude?: string): string {
  return parseQuery(query)
    .filter((p) => p.key !== '' && p.key !== exclude)
    .map((p) => [p.encodedKey, p.encodedValue] as const)
    .sort(([k1, v1], [k2, v2]) => (k1 < k2 ? -1 : k1 > k2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
}

/** `name:value\n` for each signed header, values trimmed and inner whitespace collapsed. */
export function canonicalHeaders(headers: [string, string][], signedHeaders: string[], host: string): string {
  let out = ''
  for (const name of signedHeaders) {
    let values = headerValues(headers, name)
    if (!values && name === 'host') values = [host]
    out += `${name}:${(values ?? []).map((v) => v.trim().replace(/\s+/g, ' ')).join(',')}\n`
  }
  return out
}

/** Every value of a header (case-insensitive), in order; undefined when absent. */
function headerValues(headers: [string, string][], lowerName: string): string[] | undefined {
  let out: string[] | undefined
  for (const [k, v] of headers) {
    if (k.length === lowerName.length && k.toLowerCase() === lowerName) (out ??= []).push(v)
  }
  return out
}

/** kSigning = HMAC chain over day, region, service and "aws4_request", as an HMAC key. */
async function deriveSigningKey(secret: string, day: string, region: string, service: string): Promise<CryptoKey> {
  let key: ArrayBuffer = await hmac(utf8(`AWS4${secret}`), day)
  for (const part of [region, service, 'aws4_request']) key = await hmac(new Uint8Array(key), part)
  return crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
}

async function hmac(key: Uint8Array<ArrayBuffer>, data: string): Promise<ArrayBuffer> {
  const k = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  return crypto.subtle.sign('HMAC', k, utf8(data))
}

/** SHA-256 of a string or bytes. */
export async function sha256(data: string | Uint8Array<ArrayBuffer>): Promise<ArrayBuffer> {
  return crypto.subtle.digest('SHA-256', typeof data === 'string' ? utf8(data) : data)
}

/** Lowercase hex. */
export function hex(buffer: ArrayBuffer): string {
  let out = ''
  for (const b of new Uint8Array(buffer)) out += HEX[b >> 4]! + HEX[b & 15]!
  return out
}
const HEX = '0123456789abcdef'

function base64(buffer: ArrayBuffer): string {
  let binary = ''
  for (const b of new Uint8Array(buffer)) binary += String.fromCharCode(b)
  return btoa(binary)
}

/** `YYYYMMDDTHHMMSSZ` of a time in ms. */
export function amzTime(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '')
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const utf8 = (s: string): Uint8Array<ArrayBuffer> => encoder.encode(s) as Uint8Array<ArrayBuffer>

/** Bytes of a URI component: `%XX` decoded, `+` as a space, malformed escapes kept literally. */
function percentDecode(text: string): Uint8Array {
  if (!/[%+]/.test(text)) return utf8(text)
  const out: number[] = []
  // Literal runs are encoded together so surrogate pairs stay whole.
  let literal = ''
  const flush = () => {
    if (literal) out.push(...utf8(literal))
    literal = ''
  }
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '%' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      flush()
      out.push(parseInt(text.slice(i + 1, i + 3), 16))
      i += 2
    } else if (c === '+') {
      flush()
      out.push(0x20)
    } else literal += c
  }
  flush()
  return new Uint8Array(out)
}

/** RFC 3986 encoding of bytes: unreserved characters (and `/` for paths) kept, the rest %XX. */
function uriEncode(bytes: Uint8Array, keepSlash: boolean): string {
  let out = ''
  for (const b of bytes) {
    const unreserved =
      (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e
    if (unreserved || (keepSlash && b === 0x2f)) out += String.fromCharCode(b)
    else out += '%' + HEX_UPPER[b >> 4]! + HEX_UPPER[b & 15]!
  }
  return out
}
const HEX_UPPER = '0123456789ABCDEF'

/** Echoed client values are kept short. */
function clip(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}...` : text
}
