/**
 * The Lambda proxy event in payload format 1.0: the REST API event (reference §1.2) and its
 * HTTP API variant (§1.3). Also the query, percent-decoding and header helpers the 2.0 event
 * shares.
 */
import type { GatewayRequest } from '../../core/request.ts'
import type { CompiledStage } from '../../model/load.ts'
import { domainPrefix, lastHeader, requestIdentity } from '../../core/request.ts'
import { clfTime, stableApiId } from '../../core/ids.ts'
import { integrationHeaders } from '../forwarded.ts'
import { bytesToBase64, isTextContentType, matchesBinaryMediaType, utf8Decode } from './body-encoding.ts'

/**
 * Request headers API Gateway does not pass to a Lambda proxy integration beyond the hop-by-hop
 * ones integrationHeaders already removes (LocalStack's list; reference §1.2). Lowercase.
 */
export const LAMBDA_DROPPED_HEADERS: ReadonlySet<string> = new Set([
  'content-md5',
  'expect',
  'max-forwards',
  'proxy-authenticate',
  'server',
  'www-authenticate',
])

const REST_DROPPED_HEADERS: ReadonlySet<string> = new Set([...LAMBDA_DROPPED_HEADERS, 'content-length'])

/**
 * Builds the payload 1.0 proxy event for a request: the REST shape (no `version`) or, for an
 * HTTP API, the same shape with `version: "1.0"` and the HTTP API differences of §1.3.
 * @param body the request body already read, or null when there is none
 */
export function buildEventV1(
  req: GatewayRequest,
  body: Uint8Array | null,
  ctx: { accountId: string },
): Record<string, unknown> {
  const rest = req.api.type === 'REST'
  // HTTP APIs keep a named stage in the paths they report; $default has no path segment.
  const httpPath = req.stage.name === '$default' ? req.path : req.stagePath

  const headers = headerMaps(integrationHeaders(req, rest ? REST_DROPPED_HEADERS : LAMBDA_DROPPED_HEADERS))

  let singleQuery: Record<string, string> | null = null
  let multiQuery: Record<string, string[]> | null = null
  const query = req.rawQueryString ? groupQuery(parseQueryString(req.rawQueryString)) : undefined
  if (query?.size) {
    singleQuery = {}
    multiQuery = {}
    for (const [k, values] of query) {
      setKey(singleQuery, k, values[values.length - 1]!)
      setKey(multiQuery, k, values)
    }
  }

  let pathParameters: Record<string, string> | null = null
  if (req.pathParameters && hasKeys(req.pathParameters)) {
    // REST hands the values over exactly as they were in the URL; HTTP APIs decode them.
    pathParameters = rest ? { ...req.pathParameters } : mapValues(req.pathParameters, decodePercent)
  }

  const contentType = lastHeader(req, 'content-type') ?? null
  // REST assumes application/json for a request without Content-Type (as it does when it
  // selects mapping templates), so only a matching pattern such as */* makes it binary.
  const binary = rest
    ? matchesBinaryMediaType(contentType ?? 'application/json', req.api.binaryMediaTypes)
    : !isTextContentType(contentType)
  const encoded = encodeBody(body, binary)

  const identity = requestIdentity(req)

  const requestContext: Record<string, unknown> = {
    accountId: ctx.accountId,
    apiId: req.api.id,
    deploymentId: deploymentId(req.api.id, req.stage),
    domainName: req.domainName,
    domainPrefix: domainPrefix(req.domainName),
    extendedRequestId: req.extendedRequestId,
    requestId: req.requestId,
    httpMethod: req.method,
    path: rest ? req.stagePath : decodePercent(httpPath),
    protocol: req.protocol,
    requestTime: clfTime(req.timeEpoch),
    requestTimeEpoch: req.timeEpoch,
    resourceId: rest ? req.route.resourceId : req.route.routeKey,
    resourcePath: req.route.resourcePath,
    stage: req.stage.name,
    identity,
  }
  if (req.authorizer) requestContext.authorizer = req.authorizer

  const event: Record<string, unknown> = rest ? {} : { version: '1.0' }
  event.resource = req.route.resourcePath
  event.path = rest ? req.path : httpPath
  event.httpMethod = req.method
  event.headers = headers?.single ?? null
  event.multiValueHeaders = headers?.multi ?? null
  event.queryStringParameters = singleQuery
  event.multiValueQueryStringParameters = multiQuery
  event.pathParameters = pathParameters
  event.stageVariables = nonEmpty(req.stage.variables)
  event.requestContext = requestContext
  event.body = encoded.body
  event.isBase64Encoded = encoded.isBase64Encoded
  return event
}

/**
 * The `headers` and `multiValueHeaders` maps of a 1.0 event: names grouped case-insensitively
 * under the casing of their first occurrence, in first-seen order; `headers` keeps the last
 * value. Undefined when there are no headers.
 */
export function headerMaps(pairs: [string, string][]): { single: Record<string, string>; multi: Record<string, string[]> } | undefined {
  if (pairs.length === 0) return undefined
  const single: Record<string, string> = {}
  const multi: Record<string, string[]> = {}
  const firstName = new FirstCasing(pairs.length)
  for (const [name, value] of pairs) {
    const first = firstName.claim(name)
    if (first === undefined) {
      setKey(single, name, value)
      setKey(multi, name, [value])
    } else {
      setKey(single, first, value)
      multi[first]!.push(value)
    }
  }
  return { single, multi }
}

/**
 * Which casing of a header name came first. A request has a handful of headers, which a
 * linear scan handles faster than a Map; many headers get the Map.
 */
class FirstCasing {
  private readonly lowers: string[] = []
  private readonly names: string[] = []
  private readonly map: Map<string, string> | undefined

  constructor(expected: number) {
    if (expected > 16) this.map = new Map()
  }

  /** The casing `name` first had, or undefined when it is new (it is then recorded). */
  claim(name: string): string | undefined {
    const lower = name.toLowerCase()
    if (this.map) {
      const first = this.map.get(lower)
      if (first === undefined) this.map.set(lower, name)
      return first
    }
    const at = this.lowers.indexOf(lower)
    if (at >= 0) return this.names[at]
    this.lowers.push(lower)
    this.names.push(name)
    return undefined
  }
}

// The deployment id is a pure function of API and stage; hashing it per request is waste.
const deploymentIds = new WeakMap<CompiledStage, { apiId: string; id: string }>()

/** The stable 6-character deploymentId of an API's stage. */
function deploymentId(apiId: string, stage: CompiledStage): string {
  let known = deploymentIds.get(stage)
  if (known?.apiId !== apiId) {
    known = { apiId, id: stableApiId(apiId + stage.name, 6) }
    deploymentIds.set(stage, known)
  }
  return known.id
}

/**
 * Header pairs grouped by case-insensitive name, in first-seen order, keeping the casing of
 * the first occurrence. Keys of the map are the lowercased names.
 */
export function groupHeaders(
  pairs: Iterable<[string, string]>,
): Map<string, { name: string; values: string[] }> {
  const out = new Map<string, { name: string; values: string[] }>()
  for (const [name, value] of pairs) {
    const lower = name.toLowerCase()
    const entry = out.get(lower)
    if (entry) entry.values.push(value)
    else out.set(lower, { name, values: [value] })
  }
  return out
}

/**
 * Splits a raw query string into decoded [key, value] pairs, in order. `&` and `;` both
 * separate pairs (API Gateway splits on `;`, reference §1.2); a key without `=` gets "";
 * `+` means a space and `%2B` a plus.
 */
export function parseQueryString(raw: string): [string, string][] {
  const out: [string, string][] = []
  if (!raw) return out
  for (const part of raw.split(/[&;]/)) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const key = eq < 0 ? part : part.slice(0, eq)
    const value = eq < 0 ? '' : part.slice(eq + 1)
    out.push([decodeQueryComponent(key), decodeQueryComponent(value)])
  }
  return out
}

/** Form-style decoding of one query component: `+` first, then percent-escapes. */
export function decodeQueryComponent(text: string): string {
  return decodePercent(text.replace(/\+/g, ' '))
}

/**
 * Percent-decodes text as UTF-8 without ever throwing: an escape that is malformed (`%ZZ`) or
 * does not form valid UTF-8 stays as it was, so one bad byte cannot fail the whole request.
 */
export function decodePercent(text: string): string {
  if (!text.includes('%')) return text
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, decodeEscapeRun)
}

function decodeEscapeRun(run: string): string {
  try {
    return decodeURIComponent(run)
  } catch {
    // Decode the run one UTF-8 sequence at a time, keeping the bytes that do not decode.
  }
  const count = run.length / 3
  let out = ''
  for (let i = 0; i < count; ) {
    const lead = parseInt(run.slice(i * 3 + 1, i * 3 + 3), 16)
    const len = utf8SequenceLength(lead)
    if (len > 0 && i + len <= count) {
      try {
        out += decodeURIComponent(run.slice(i * 3, (i + len) * 3))
        i += len
        continue
      } catch {
        // Not a valid sequence: fall through and keep the lead escape raw.
      }
    }
    out += run.slice(i * 3, i * 3 + 3)
    i++
  }
  return out
}

/** Bytes in a UTF-8 sequence starting with `lead`; 0 for a byte that cannot start one. */
function utf8SequenceLength(lead: number): number {
  if (lead < 0x80) return 1
  if (lead >= 0xc2 && lead < 0xe0) return 2
  if (lead >= 0xe0 && lead < 0xf0) return 3
  if (lead >= 0xf0 && lead < 0xf5) return 4
  return 0
}

/**
 * The body as a proxy event carries it: null when there is none, base64 when `binary`, else
 * UTF-8 text.
 */
export function encodeBody(
  body: Uint8Array | null,
  binary: boolean,
): { body: string | null; isBase64Encoded: boolean } {
  if (!body || body.length === 0) return { body: null, isBase64Encoded: false }
  if (binary) return { body: bytesToBase64(body), isBase64Encoded: true }
  return { body: utf8Decode(body), isBase64Encoded: false }
}

/** Query pairs grouped by exact key (query keys are case-sensitive), in first-seen order. */
export function groupQuery(pairs: Iterable<[string, string]>): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const [k, v] of pairs) {
    const values = out.get(k)
    if (values) values.push(v)
    else out.set(k, [v])
  }
  return out
}

/**
 * Sets an own, enumerable key on a plain object. Client-chosen names such as `__proto__` would
 * otherwise change the object's prototype instead of adding a key.
 */
export function setKey<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true })
  } else {
    target[key] = value
  }
}

function mapValues(input: Record<string, string>, fn: (v: string) => string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(input)) setKey(out, k, fn(v))
  return out
}

function nonEmpty(input: Record<string, string>): Record<string, string> | null {
  return hasKeys(input) ? { ...input } : null
}

/** Whether an object has an own enumerable key, without listing them all. */
function hasKeys(input: object): boolean {
  for (const key in input) if (Object.hasOwn(input, key)) return true
  return false
}
