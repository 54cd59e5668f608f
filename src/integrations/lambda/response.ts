/**
 * Turns a Lambda proxy function's response payload into the client response, applying API
 * Gateway's validation and mapping rules: payload 1.0 (REST and HTTP APIs, reference §1.5) and
 * HTTP API payload 2.0 (§1.6).
 */
import { GatewayError } from '../../core/errors.ts'
import { base64ToBytes, matchesBinaryMediaType, utf8Encode, utf8Length } from './body-encoding.ts'

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
}

/**
 * Maps a payload 1.0 proxy response (§1.5) to the client response.
 * @throws GatewayError LAMBDA_ERROR for a malformed response, API_CONFIGURATION_ERROR when a
 * base64 body does not decode
 */
export function parseProxyResponseV1(payload: string, opts: ProxyResponseV1Options): Response {
  let parsed: unknown
  try {
    parsed = JSON.parse(payload)
  } catch {
    throw malformed('the payload is not JSON')
  }
  if (!isObject(parsed)) throw malformed('the payload is not a JSON object')
  const keys = Object.keys(parsed)
  if (keys.length === 0) throw malformed('the payload is an empty object')
  const unknown = keys.filter((k) => !V1_KEYS.has(k))
  if (unknown.length) throw malformed(`unknown key(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}`)

  const status = statusV1(parsed.statusCode)
  const body = bodyField(parsed.body)
  const isBase64 = base64Flag(parsed.isBase64Encoded)
  const single = readHeaderMap(parsed.headers, 'headers')
  const multi = readMultiHeaderMap(parsed.multiValueHeaders)

  // A pair present in both maps is sent once. REST sends the multi values first and takes the
  // name's casing from multiValueHeaders; HTTP APIs put the single value first.
  const merged = new Map<string, { name: string; values: string[] }>()
  const add = (name: string, value: string, dedupe: boolean) => {
    const lower = name.toLowerCase()
    let entry = merged.get(lower)
    if (!entry) merged.set(lower, (entry = { name, values: [] }))
    if (!dedupe || !entry.values.includes(value)) entry.values.push(value)
  }
  if (opts.apiType === 'REST') {
    for (const [name, values] of multi) for (const v of values) add(name, v, false)
    for (const [name, value] of single) add(name, value, true)
  } else {
    for (const [name, value] of single) add(name, value, false)
    const singles = new Map(single.map(([n, v]) => [n.toLowerCase(), v]))
    for (const [name, values] of multi) {
      for (const v of values) {
        if (singles.get(name.toLowerCase()) === v) continue
        add(name, v, false)
      }
    }
  }

  const headers = new Headers()
  for (const { name, values } of merged.values()) for (const v of values) appendHeader(headers, name, v)
  if (!headers.has('content-type')) headers.set('content-type', 'application/json')

  let out: Uint8Array<ArrayBuffer> | string = body
  if (isBase64) {
    const first = opts.accept?.split(',')[0] ?? null
    // REST has no way to tell the function's bytes are binary except the client's Accept; an
    // HTTP API always trusts the flag.
    if (opts.apiType === 'HTTP' || matchesBinaryMediaType(first, opts.binaryMediaTypes)) {
      out = decodeBase64Body(body)
    }
  }
  return makeResponse(status, headers, out)
}

/**
 * Maps an HTTP API payload 2.0 function result (§1.6) to the client response. Anything that is
 * not an object with `statusCode` is sent back as a 200 JSON body.
 * @throws GatewayError LAMBDA_ERROR for an invalid structured response, API_CONFIGURATION_ERROR
 * when a base64 body does not decode
 */
export function parseProxyResponseV2(payload: string): Response {
  let parsed: unknown
  try {
    parsed = JSON.parse(payload)
  } catch {
    // Malformed JSON (and an empty payload) is echoed as it came.
    return jsonResponse(payload)
  }
  if (typeof parsed === 'string') return jsonResponse(parsed)
  if (isObject(parsed) && 'statusCode' in parsed) return structuredV2(parsed)
  // Objects without statusCode, arrays, numbers and booleans keep their exact text. JSON null
  // lands here too and answers `null`; that case is not recorded from AWS.
  return jsonResponse(payload)
}

function structuredV2(parsed: Record<string, unknown>): Response {
  const code = parsed.statusCode
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 100 || code > 599) {
    throw malformed(`invalid statusCode ${JSON.stringify(code)}`)
  }
  const body = bodyField(parsed.body)
  const isBase64 = base64Flag(parsed.isBase64Encoded)
  const headers = new Headers()
  for (const [name, value] of readHeaderMap(parsed.headers, 'headers')) appendHeader(headers, name, value)
  const cookies = parsed.cookies
  if (cookies != null) {
    if (!Array.isArray(cookies)) throw malformed('cookies is not an array')
    for (const cookie of cookies) {
      if (typeof cookie !== 'string') throw malformed('cookies must be strings')
      appendHeader(headers, 'Set-Cookie', cookie)
    }
  }
  if (!headers.has('content-type')) headers.set('content-type', 'text/plain; charset=utf-8')
  return makeResponse(code, headers, isBase64 ? decodeBase64Body(body) : body)
}

function jsonResponse(text: string): Response {
  const headers = { 'content-type': 'application/json', 'content-length': String(utf8Length(text)) }
  return new Response(text, { status: 200, headers })
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

/**
 * Adds one function-supplied header, renaming the ones the gateway sets itself and dropping
 * Transfer-Encoding (the runtime frames the body). Set-Cookie values stay separate lines.
 */
function appendHeader(headers: Headers, name: string, value: string): void {
  const lower = name.toLowerCase()
  if (lower === 'transfer-encoding') return
  const target = REMAPPED.has(lower) ? `x-amzn-Remapped-${name}` : name
  try {
    headers.append(target, value)
  } catch (e) {
    throw new GatewayError('LAMBDA_ERROR', {
      detail: `Malformed Lambda proxy response: header ${JSON.stringify(name)} cannot be sent`,
      cause: e,
    })
  }
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

function makeResponse(status: number, headers: Headers, body: Uint8Array<ArrayBuffer> | string): Response {
  // The Fetch Response cannot carry an informational status as a final answer.
  if (status < 200) throw malformed(`statusCode ${status} cannot be sent as a final response`)
  if (NULL_BODY_STATUS.has(status)) return new Response(null, { status, headers })
  // API Gateway always sends Content-Length on Lambda answers. Text stays a string: Node
  // then writes headers and body in one chunk.
  headers.set('content-length', String(typeof body === 'string' ? utf8Length(body) : body.byteLength))
  return new Response(body as string | Uint8Array<ArrayBuffer>, { status, headers })
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
