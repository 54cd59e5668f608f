/**
 * The headers the gateway adds to a successful answer: its request ids (REST x-amzn-RequestId
 * and x-amz-apigw-id, plus X-Amzn-Trace-Id on Lambda and HTTP custom answers; HTTP APIs apigw-requestid),
 * which replace any the integration sent, and the headers features ask for
 * (`req.responseHeaders`, e.g. rate limits), which do not.
 *
 * An integration that builds its answer from plain data takes them with gatewayHeaders() and
 * writes them while building it: on Node a Response built from a plain header record is
 * written without ever creating a Headers object, which is a large share of a small request's
 * cost. Every other answer gets them from the gateway afterwards (withGatewayHeaders()).
 */
import type { GatewayRequest } from './request.ts'

export interface GatewayHeaders {
  /** Set, replacing a header of the same name (any casing). */
  replace: [string, string][]
  /** Added unless the answer has a header of that name. */
  ifAbsent: Record<string, string> | undefined
  /** Set by the builder: the answer's body length (the access log reads it from here). */
  bodyLength?: number
}

// The gateway's header names are a handful of constants: lowercasing each per request would
// allocate a new string every time.
const lowered = new Map<string, string>()

/** `name` in lowercase, remembered for the gateway's own (few, constant) header names. */
export function lowerName(name: string): string {
  let lower = lowered.get(name)
  if (lower === undefined) {
    lower = name.toLowerCase()
    if (lowered.size < 256) lowered.set(name, lower)
  }
  return lower
}

/** The request-id headers of `req`'s answer. */
export function idHeaders(req: GatewayRequest): [string, string][] {
  if (req.api.type !== 'REST') return [['apigw-requestid', req.extendedRequestId]]
  const out: [string, string][] = [
    ['x-amzn-RequestId', req.requestId],
    ['x-amz-apigw-id', req.extendedRequestId],
  ]
  // AWS adds it to Lambda (proxy or custom) and HTTP custom answers, not to mocks or HTTP proxies.
  const type = req.route.integration.type
  if (type === 'lambda' || type === 'lambda_custom' || type === 'http') out.push(['X-Amzn-Trace-Id', req.traceId])
  return out
}

/**
 * The gateway's headers for an integration to build into its answer, or undefined when a
 * feature keeps the answer for later requests (their ids differ): the gateway adds them then.
 */
export function gatewayHeaders(req: GatewayRequest): GatewayHeaders | undefined {
  if (req.deferGatewayHeaders) return undefined
  req.gatewayHeadersAdded = true
  return { replace: idHeaders(req), ifAbsent: req.responseHeaders }
}

/**
 * Adds the gateway's headers to an answer built elsewhere (streamed proxy answers, cache hits,
 * gateway responses). A response with immutable headers (fetch() on Workers) is re-wrapped
 * around the same body.
 * @param ids the request-id headers (for rejections, built before a request exists)
 * @param extra headers added unless present (undefined on rejections)
 */
export function withGatewayHeaders(response: Response, ids: [string, string][], extra: Record<string, string> | undefined): Response {
  let res = response
  try {
    res.headers.set(ids[0]![0], ids[0]![1])
  } catch {
    res = new Response(res.body, res)
  }
  addToHeaders(res.headers, { replace: ids, ifAbsent: extra })
  return res
}

/** Writes `added` into a header record keyed by lowercase name (stored or backend answers). */
export function addToLowercaseRecord(record: Record<string, string>, added: GatewayHeaders): void {
  for (const [name, value] of added.replace) record[lowerName(name)] = value
  const extra = added.ifAbsent
  if (extra) for (const name in extra) if (!(lowerName(name) in record)) record[lowerName(name)] = extra[name]!
}

/** Writes `added` into a Headers (answers with a repeated header). */
export function addToHeaders(headers: Headers, added: GatewayHeaders): void {
  for (const [name, value] of added.replace) headers.set(name, value)
  const extra = added.ifAbsent
  if (extra) for (const name in extra) if (!headers.has(name)) headers.set(name, extra[name]!)
}
