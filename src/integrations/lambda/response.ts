/**
 * Turns a Lambda proxy function's response payload into the client response, applying API
 * Gateway's validation and mapping rules: payload 1.0 (REST and HTTP APIs, reference §1.5) and
 * HTTP API payload 2.0 (§1.6).
 */
import { GatewayError } from '../../core/errors.ts'
import { addToHeaders, lowerName, type GatewayHeaders } from '../../core/response-headers.ts'
import { base64ByteLength, base64ToBytes, matchesBinaryMediaType, utf8Length } from './body-encoding.ts'

const V1_KEYS = new Set(['statusCode', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded'])

/** AWS's body for an invalid statusCode: note the space after the colon (36 bytes). */
const INVALID_STATUS_BODY = '{"message": "Internal server error"}'

/** Response headers that collide with the gateway's own and reach the client renamed (§1.5). */
const REMAPPED = new Set(['connection', 'content-length', 'date', 'server'])

/** Statuses whose responses never carry a body (the Response constructor rejects one). */
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304])

export interface ProxyResponseV1Options {
  /** REST and HTTP APIs differ in header merge order and base64 handling. */
  apiType: 'REST' | 'HTTP'
  /** The client's Accept header; REST decodes base64 only when its first type is binary. */
  accept: string | null
  /** The REST API's binaryMediaTypes. */
  binaryMediaTypes: string[]
  /** The gateway's headers, to build into the answer (see core/response-headers.ts). */
  gatewayHeaders?: GatewayHeaders
  /** The payload already parsed (an in-process function's plain-data result), when known. */
  value?: unknown
}

/**
 * Maps a payload 1.0 proxy response (§1.5) to the client response.
 * @throws GatewayError LAMBDA_ERROR for a malformed response, API_CONFIGURATION_ERROR when a
 * base64 body does not decode
 */
export function parseProxyResponseV1(payload: string | undefined, opts: ProxyResponseV1Options): Response {
  let parsed: unknown = opts.value
  if (parsed === undefined) {
    try {
      parsed = JSON.parse(payload!)
    } catch {
      throw malformed('the payload is not JSON')
    }
  }
  if (!isObject(parsed)) throw malformed('the payload is not a JSON object')
  checkKeysV1(parsed)

  const status = statusV1(parsed.statusCode)
  const body = bodyField(parsed.body)
  const isBase64 = base64Flag(parsed.isBase64Encoded)
  // REST has no way to tell the function's bytes are binary except the client's Accept; an
  // HTTP API always trusts the flag.
  const decode =
    isBase64 && (opts.apiType === 'HTTP' || matchesBinaryMediaType(opts.accept?.split(',')[0] ?? null, opts.binaryMediaTypes))

  const plain = parsed.multiValueHeaders == null ? plainHeaders(parsed.headers) : undefined
  if (plain) return makeResponse(status, plain, 'application/json', body, decode, opts.gatewayHeaders)
  const single = readHeaderMap(parsed.headers, 'headers')
  const multi = readMultiHeaderMap(parsed.multiValueHeaders)

  const out = new HeaderPairs()
  if (multi.length === 0) {
    // The usual answer has `headers` only: nothing to merge, but REST still sends a value
    // repeated under two casings of one name once.
    for (const [name, value] of single) out.add(name, value, opts.apiType === 'REST')
  } else {
    mergeHeadersV1(out, single, multi, opts.apiType)
  }
  return makeResponse(status, out, 'application/json', body, decode, opts.gatewayHeaders)
}

/** Only the five keys of a 1.0 response are allowed, and at least one of them. */
function checkKeysV1(parsed: Record<string, unknown>): void {
  let count = 0
  let unknown: string[] | undefined
  for (const key in parsed) {
    count++
    if (!V1_KEYS.has(key)) (unknown ??= []).push(key)
  }
  if (count === 0) throw malformed('the payload is an empty object')
  if (unknown) throw malformed(`unknown key(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}`)
}

/**
 * Merges `headers` and `multiValueHeaders`; a pair present in both maps is sent once. REST
 * sends the multi values first and takes the name's casing from multiValueHeaders; HTTP APIs
 * put the single value first.
 */
function mergeHeadersV1(out: HeaderPairs, single: [string, string][], multi: [string, string[]][], apiType: 'REST' | 'HTTP'): void {
  if (apiType === 'REST') {
    for (const [name, values] of multi) for (const v of values) out.add(name, v, false)
    for (const [name, value] of single) out.add(name, value, true)
    return
  }
  for (const [name, value] of single) out.add(name, value, false)
  const singles = new Map(single.map(([n, v]) => [n.toLowerCase(), v]))
  for (const [name, values] of multi) {
    for (const v of values) {
      if (singles.get(name.toLowerCase()) === v) continue
      out.add(name, v, false)
    }
  }
}

/**
 * Response header pairs grouped by case-insensitive name (first casing kept), in first-seen
 * order of names; plain data until the Headers is built, so nothing is asked of it twice.
 */
class HeaderPairs {
  /** Lowercased name -> [name as first given, its values]. */
  readonly byName = new Map<string, [string, string[]]>()

  /** Adds a value; with `dedupe`, a value this name already has is not added again. */
  add(name: string, value: string, dedupe: boolean): void {
    const lower = name.toLowerCase()
    const entry = this.byName.get(lower)
    if (!entry) this.byName.set(lower, [name, [value]])
    else if (!dedupe || !entry[1].includes(value)) entry[1].push(value)
  }

  has(lower: string): boolean {
    return this.byName.has(lower)
  }
}

/**
 * Maps an HTTP API payload 2.0 function result (§1.6) to the client response. Anything that is
 * not an object with `statusCode` is sent back as a 200 JSON body.
 * @throws GatewayError LAMBDA_ERROR for an invalid structured response, API_CONFIGURATION_ERROR
 * when a base64 body does not decode
 */
export function parseProxyResponseV2(payload: string | (() => string), added?: GatewayHeaders, value?: unknown): Response {
  const text = () => (typeof payload === 'string' ? payload : payload())
  let parsed: unknown = value
  if (parsed === undefined) {
    try {
      parsed = JSON.parse(text())
    } catch {
      // Malformed JSON (and an empty payload) is echoed as it came.
      return jsonResponse(text(), added)
    }
  }
  if (typeof parsed === 'string') return jsonResponse(parsed, added)
  if (isObject(parsed) && 'statusCode' in parsed) return structuredV2(parsed, added)
  // Objects without statusCode, arrays, numbers and booleans keep their exact text. JSON null
  // lands here too and answers `null`; that case is not recorded from AWS.
  return jsonResponse(text(), added)
}

function structuredV2(parsed: Record<string, unknown>, added?: GatewayHeaders): Response {
  const code = parsed.statusCode
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 100 || code > 599) {
    throw malformed(`invalid statusCode ${JSON.stringify(code)}`)
  }
  const body = bodyField(parsed.body)
  const isBase64 = base64Flag(parsed.isBase64Encoded)
  const plain = parsed.cookies == null ? plainHeaders(parsed.headers) : undefined
  if (plain) return makeResponse(code, plain, 'text/plain; charset=utf-8', body, isBase64, added)
  const out = new HeaderPairs()
  for (const [name, value] of readHeaderMap(parsed.headers, 'headers')) out.add(name, value, false)
  // A cookie problem is reported after any header that cannot be sent, as the headers come
  // first: the cookies before it are still added (and checked) with them.
  let cookieProblem: GatewayError | undefined
  const cookies = parsed.cookies
  if (cookies != null) {
    if (!Array.isArray(cookies)) cookieProblem = malformed('cookies is not an array')
    else {
      for (const cookie of cookies) {
        if (typeof cookie !== 'string') {
          cookieProblem = malformed('cookies must be strings')
          break
        }
        out.add('Set-Cookie', cookie, false)
      }
    }
  }
  if (cookieProblem) {
    toHeaders(out, 'text/plain; charset=utf-8', undefined)
    throw cookieProblem
  }
  return makeResponse(code, out, 'text/plain; charset=utf-8', body, isBase64, added)
}

function jsonResponse(text: string, added?: GatewayHeaders): Response {
  const length = utf8Length(text)
  if (added) added.bodyLength = length
  return new Response(text, { status: 200, headers: finishRecord({ record: {}, names: {} }, 'application/json', length, added) })
}

/** statusCode of a 1.0 response: absent means 200; numbers and numeric strings in 100-599. */
function statusV1(value: unknown): number {
  if (value === undefined || value === null) return 200
  let n = NaN
  if (typeof value === 'number') n = value
  else if (typeof value === 'string' && /^\d{1,3}$/.test(value)) n = Number(value)
  if (!Number.isInteger(n) || n < 100 || n > 599) {
    throw new GatewayError('LAMBDA_ERROR', {
      body: INVALID_STATUS_BODY,
      detail: `Malformed Lambda proxy response: invalid statusCode ${JSON.stringify(value)}`,
    })
  }
  return n
}

function bodyField(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (typeof value !== 'string') throw malformed(`body must be a string, got ${describe(value)}`)
  return value
}

function base64Flag(value: unknown): boolean {
  if (value === undefined || value === null) return false
  if (typeof value !== 'boolean') throw malformed(`isBase64Encoded must be a boolean, got ${describe(value)}`)
  return value
}

/** `headers`: null or absent is fine; scalar values are stringified; null values are skipped. */
function readHeaderMap(value: unknown, field: string): [string, string][] {
  if (value === undefined || value === null) return []
  if (!isObject(value)) throw malformed(`${field} must be an object`)
  const out: [string, string][] = []
  for (const [name, v] of Object.entries(value)) {
    if (v === null) continue
    out.push([name, scalarString(v, `${field}.${name}`)])
  }
  return out
}

/** `multiValueHeaders`: every value must be a list (a bare string is an error on AWS). */
function readMultiHeaderMap(value: unknown): [string, string[]][] {
  if (value === undefined || value === null) return []
  if (!isObject(value)) throw malformed('multiValueHeaders must be an object')
  const out: [string, string[]][] = []
  for (const [name, list] of Object.entries(value)) {
    if (list === null) continue
    if (!Array.isArray(list)) throw malformed(`multiValueHeaders.${name} is not a list`)
    const values: string[] = []
    for (const v of list) if (v !== null) values.push(scalarString(v, `multiValueHeaders.${name}`))
    out.push([name, values])
  }
  return out
}

function scalarString(value: unknown, field: string): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  throw malformed(`${field} must be a string, got ${describe(value)}`)
}

/** RFC 9110 token: what a header name may be. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** What Node (and the wire) accept in a header value: tab, visible ASCII, obs-text. */
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/
/** Leading or trailing whitespace, which Fetch strips from header values. */
const EDGE_SPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g

/**
 * The client's headers from the function's: the ones the gateway sets itself are renamed and
 * Transfer-Encoding dropped (the runtime frames the body); Set-Cookie values stay separate
 * lines. Content-Type defaults to `defaultType`, and `length` becomes Content-Length; then the
 * gateway's own headers (`added`) go in.
 *
 * The usual answer, already a plainHeaders() record, stays a plain record, which
 * @hono/node-server writes without building a Headers object; the rest becomes a Headers.
 * @throws GatewayError LAMBDA_ERROR naming a header the platform cannot send
 */
function toHeaders(pairs: HeaderPairs | PlainHeaders, defaultType: string, length: number | undefined, added?: GatewayHeaders): Record<string, string> | Headers {
  if (!(pairs instanceof HeaderPairs)) return finishRecord(pairs, defaultType, length, added)
  const headers = new Headers()
  for (const [lower, [name, values]] of pairs.byName) {
    if (lower === 'transfer-encoding') continue
    const target = REMAPPED.has(lower) ? `x-amzn-Remapped-${name}` : name
    for (const value of values) headers.append(checkedName(target), checkedValue(name, value))
  }
  if (!pairs.has('content-type')) headers.append('content-type', defaultType)
  if (length !== undefined) headers.append('content-length', String(length))
  if (added) addToHeaders(headers, added)
  return headers
}

/** A header record as the function named its headers, and its names by lowercase name. */
interface PlainHeaders {
  record: Record<string, string>
  names: Record<string, string>
}

/**
 * The usual answer's `headers` (a flat object, one value per name, nothing AWS renames or
 * drops, every name and value sendable) as a record keeping the function's casing; undefined
 * for anything else, which the general path handles and reports.
 */
function plainHeaders(value: unknown): PlainHeaders | undefined {
  const out: PlainHeaders = { record: {}, names: {} }
  if (value === undefined || value === null) return out
  if (!isObject(value)) return undefined
  for (const name in value) {
    const v = value[name]
    if (v === null) continue
    const text = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined
    const lower = name.toLowerCase()
    if (text === undefined || lower in out.names || REMAPPED.has(lower) || lower === 'transfer-encoding' || !TOKEN.test(name)) return undefined
    let clean = text
    if (clean.length && (clean.charCodeAt(0) <= 32 || clean.charCodeAt(clean.length - 1) <= 32)) clean = clean.replace(EDGE_SPACE, '')
    if (BAD_VALUE.test(clean)) return undefined
    out.record[name] = clean
    out.names[lower] = name
  }
  return out
}

/** A plainHeaders() record completed: default Content-Type, Content-Length, the gateway's headers. */
function finishRecord(plain: PlainHeaders, defaultType: string, length: number | undefined, added: GatewayHeaders | undefined): Record<string, string> {
  const { record, names } = plain
  if (!('content-type' in names)) record['content-type'] = defaultType
  if (length !== undefined) record['content-length'] = String(length)
  if (added) {
    for (const [name, value] of added.replace) {
      const theirs = names[lowerName(name)]
      if (theirs !== undefined) delete record[theirs]
      record[name] = value
    }
    const extra = added.ifAbsent
    if (extra) for (const name in extra) if (!(lowerName(name) in names)) record[name] = extra[name]!
  }
  return record
}

function checkedName(name: string): string {
  if (!TOKEN.test(name)) throw unsendable(name)
  return name
}

/** The value as Fetch would keep it (edges trimmed); one Node cannot write is an error. */
function checkedValue(name: string, value: string): string {
  let v = value
  if (v.length && (v.charCodeAt(0) <= 32 || v.charCodeAt(v.length - 1) <= 32)) v = v.replace(EDGE_SPACE, '')
  if (BAD_VALUE.test(v)) throw unsendable(name)
  return v
}

function unsendable(name: string): GatewayError {
  return new GatewayError('LAMBDA_ERROR', { detail: `Malformed Lambda proxy response: header ${JSON.stringify(name)} cannot be sent` })
}

function decodeBase64Body(body: string): Uint8Array<ArrayBuffer> {
  try {
    return base64ToBytes(body)
  } catch (e) {
    throw new GatewayError('API_CONFIGURATION_ERROR', {
      detail: 'Unable to base64-decode the Lambda proxy response body',
      cause: e,
    })
  }
}

/**
 * The client response. Checks run in AWS's order: headers, then the base64 body (`decode`),
 * then the status; so the Content-Length of a base64 body is computed before decoding it.
 */
function makeResponse(status: number, pairs: HeaderPairs | PlainHeaders, defaultType: string, body: string, decode: boolean, added?: GatewayHeaders): Response {
  const nullBody = NULL_BODY_STATUS.has(status)
  // API Gateway always sends Content-Length on Lambda answers.
  const length = nullBody ? undefined : decode ? base64ByteLength(body) : utf8Length(body)
  const headers = toHeaders(pairs, defaultType, length, added)
  if (added) added.bodyLength = length ?? 0
  const bytes = decode ? decodeBase64Body(body) : body
  // The Fetch Response cannot carry an informational status as a final answer.
  if (status < 200) throw malformed(`statusCode ${status} cannot be sent as a final response`)
  if (nullBody) return new Response(null, { status, headers })
  // Text stays a string: Node then writes headers and body in one chunk.
  return new Response(bytes, { status, headers })
}

function malformed(reason: string): GatewayError {
  return new GatewayError('LAMBDA_ERROR', { detail: `Malformed Lambda proxy response: ${reason}` })
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function describe(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value
}
