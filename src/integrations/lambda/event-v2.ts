/**
 * The HTTP API Lambda proxy event in payload format 2.0 (reference §1.4).
 */
import type { GatewayRequest } from '../../core/request.ts'
import { domainPrefix, lastHeader } from '../../core/request.ts'
import { clfTime } from '../../core/ids.ts'
import { integrationHeaders } from '../forwarded.ts'
import { isTextContentType } from './body-encoding.ts'
import {
  LAMBDA_DROPPED_HEADERS,
  decodePercent,
  encodeBody,
  groupHeaders,
  groupQuery,
  parseQueryString,
  setKey,
} from './event-v1.ts'

// Cookies travel in their own `cookies` array, never as a header.
const V2_DROPPED_HEADERS: ReadonlySet<string> = new Set([...LAMBDA_DROPPED_HEADERS, 'cookie'])

/**
 * Builds the payload 2.0 proxy event of an HTTP API. Empty collections are left out rather
 * than set to null (§1.4, community-sourced).
 * @param body the request body already read, or null when there is none
 */
export function buildEventV2(
  req: GatewayRequest,
  body: Uint8Array | null,
  ctx: { accountId: string },
): Record<string, unknown> {
  // AWS delivers the path decoded, with a named stage's segment and without $default.
  const rawPath = decodePercent(req.stage.name === '$default' ? req.path : req.stagePath)

  const cookies: string[] = []
  for (const [name, value] of req.headers) {
    if (name.toLowerCase() !== 'cookie') continue
    for (const part of value.split(';')) {
      const cookie = part.trim()
      if (cookie) cookies.push(cookie)
    }
  }

  const headers: Record<string, string> = {}
  for (const [lower, { values }] of groupHeaders(integrationHeaders(req, V2_DROPPED_HEADERS))) {
    setKey(headers, lower, values.join(','))
  }

  const query = groupQuery(parseQueryString(req.rawQueryString))
  const pathParameters = req.pathParameters ?? {}
  const contentType = lastHeader(req, 'content-type') ?? null
  const encoded = encodeBody(body, !isTextContentType(contentType))

  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: req.route.routeKey,
    rawPath,
    rawQueryString: req.rawQueryString,
  }
  if (cookies.length) event.cookies = cookies
  event.headers = headers
  if (query.size) {
    const params: Record<string, string> = {}
    for (const [k, values] of query) setKey(params, k, values.join(','))
    event.queryStringParameters = params
  }
  if (Object.keys(pathParameters).length) {
    const params: Record<string, string> = {}
    for (const [k, v] of Object.entries(pathParameters)) setKey(params, k, decodePercent(v))
    event.pathParameters = params
  }
  if (Object.keys(req.stage.variables).length) event.stageVariables = { ...req.stage.variables }
  if (encoded.body !== null) event.body = encoded.body
  event.isBase64Encoded = encoded.isBase64Encoded

  const requestContext: Record<string, unknown> = {
    accountId: ctx.accountId,
    apiId: req.api.id,
    domainName: req.domainName,
    domainPrefix: domainPrefix(req.domainName),
    http: {
      method: req.method,
      path: rawPath,
      protocol: req.protocol,
      sourceIp: req.sourceIp,
      // The 2.0 shape types userAgent as a string; a client that sent none gets "".
      userAgent: req.userAgent ?? '',
    },
    requestId: req.requestId,
    routeKey: req.route.routeKey,
    stage: req.stage.name,
    time: clfTime(req.timeEpoch),
    timeEpoch: req.timeEpoch,
  }
  if (req.authorizer) requestContext.authorizer = req.authorizer
  event.requestContext = requestContext
  return event
}
