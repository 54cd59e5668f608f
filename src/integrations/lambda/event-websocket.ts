/**
 * The Lambda proxy events of WebSocket APIs (reference §9.2): CONNECT (the handshake),
 * MESSAGE (one per client message) and DISCONNECT (after the close), and the REQUEST
 * authorizer event of $connect (§6.6). A connection's handshake details are kept in a
 * ConnectionMeta, plain JSON, so a Durable Object can keep it across hibernation.
 */
import type { GatewayRequest } from '../../core/request.ts'
import { clfTime } from '../../core/ids.ts'
import { integrationHeaders } from '../forwarded.ts'
import { groupQuery, headerMaps, LAMBDA_DROPPED_HEADERS, parseQueryString, setKey } from './event-v1.ts'

/** What a connection's events repeat from its handshake. JSON-safe. */
export interface ConnectionMeta {
  connectionId: string
  apiId: string
  stage: string
  /** ms since epoch: requestContext.connectedAt. */
  connectedAt: number
  domainName: string
  sourceIp: string
  userAgent?: string
  /** Handshake headers as integrations receive them (hop-by-hop gone, X-Forwarded-* added). */
  headers: [string, string][]
  /** The handshake's query string, without "?". */
  rawQueryString: string
  /** requestContext.authorizer, from the $connect authorizer; in every later event too. */
  authorizer?: Record<string, unknown>
  /** requestContext.identity fields set on $connect (IAM caller, API key). */
  identity?: Record<string, string | null>
}

const DROPPED = new Set([...LAMBDA_DROPPED_HEADERS, 'content-length'])

/** The connection's meta from its handshake request (after the $connect authorizer ran). */
export function connectionMeta(req: GatewayRequest, connectionId: string, connectedAt: number): ConnectionMeta {
  const meta: ConnectionMeta = {
    connectionId,
    apiId: req.api.id,
    stage: req.stage.name,
    connectedAt,
    domainName: req.domainName,
    sourceIp: req.sourceIp,
    headers: integrationHeaders(req, DROPPED),
    rawQueryString: req.rawQueryString,
  }
  if (req.userAgent !== null) meta.userAgent = req.userAgent
  if (req.authorizer) meta.authorizer = req.authorizer
  if (req.identity) meta.identity = req.identity
  return meta
}

interface ContextInput {
  routeKey: string
  eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT'
  /** The event's request id (also its extendedRequestId). */
  requestId: string
  timeEpoch: number
  messageId?: string
  disconnect?: { code: number; reason: string }
}

function requestContext(meta: ConnectionMeta, input: ContextInput): Record<string, unknown> {
  // Key order as AWS's events and logs show them.
  const ctx: Record<string, unknown> = { routeKey: input.routeKey }
  if (input.disconnect) ctx.disconnectStatusCode = input.disconnect.code
  if (input.messageId !== undefined) ctx.messageId = input.messageId
  if (meta.authorizer) ctx.authorizer = meta.authorizer
  ctx.eventType = input.eventType
  ctx.extendedRequestId = input.requestId
  ctx.requestTime = clfTime(input.timeEpoch)
  ctx.messageDirection = 'IN'
  if (input.disconnect) ctx.disconnectReason = input.disconnect.reason
  ctx.stage = meta.stage
  ctx.connectedAt = meta.connectedAt
  ctx.requestTimeEpoch = input.timeEpoch
  const identity: Record<string, unknown> = { sourceIp: meta.sourceIp }
  if (meta.userAgent !== undefined) identity.userAgent = meta.userAgent
  // Only what $connect established (an IAM caller, an API key); WebSocket events carry no nulls.
  for (const [k, v] of Object.entries(meta.identity ?? {})) if (v !== null) identity[k] = v
  ctx.identity = identity
  ctx.requestId = input.requestId
  ctx.domainName = meta.domainName
  ctx.connectionId = meta.connectionId
  ctx.apiId = meta.apiId
  return ctx
}

/** headers / multiValueHeaders / query string maps, each only when there is something in it. */
function requestFields(headers: [string, string][], rawQueryString: string): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const maps = headerMaps(headers)
  if (maps) {
    out.headers = maps.single
    out.multiValueHeaders = maps.multi
  }
  const query = rawQueryString ? groupQuery(parseQueryString(rawQueryString)) : undefined
  if (query?.size) {
    const single: Record<string, string> = {}
    const multi: Record<string, string[]> = {}
    for (const [k, values] of query) {
      setKey(single, k, values[values.length - 1]!)
      setKey(multi, k, values)
    }
    out.queryStringParameters = single
    out.multiValueQueryStringParameters = multi
  }
  return out
}

function withStageVariables(event: Record<string, unknown>, variables: Record<string, string>): void {
  if (Object.keys(variables).length) event.stageVariables = { ...variables }
}

/** The $connect event: the handshake's headers and query string. */
export function connectEvent(meta: ConnectionMeta, ctx: { requestId: string; timeEpoch: number; stageVariables: Record<string, string> }): Record<string, unknown> {
  const event = requestFields(meta.headers, meta.rawQueryString)
  withStageVariables(event, ctx.stageVariables)
  event.requestContext = requestContext(meta, { routeKey: '$connect', eventType: 'CONNECT', requestId: ctx.requestId, timeEpoch: ctx.timeEpoch })
  event.isBase64Encoded = false
  return event
}

/** A message event: the frame's text as `body`, no headers. */
export function messageEvent(
  meta: ConnectionMeta,
  ctx: { routeKey: string; body: string; requestId: string; messageId: string; timeEpoch: number; stageVariables: Record<string, string> },
): Record<string, unknown> {
  const event: Record<string, unknown> = {
    requestContext: requestContext(meta, { routeKey: ctx.routeKey, eventType: 'MESSAGE', requestId: ctx.requestId, messageId: ctx.messageId, timeEpoch: ctx.timeEpoch }),
    body: ctx.body,
    isBase64Encoded: false,
  }
  withStageVariables(event, ctx.stageVariables)
  return event
}

/** The $disconnect event: the handshake's headers, the close code and reason. */
export function disconnectEvent(
  meta: ConnectionMeta,
  ctx: { code: number; reason: string; requestId: string; timeEpoch: number; stageVariables: Record<string, string> },
): Record<string, unknown> {
  const event = requestFields(meta.headers, meta.rawQueryString)
  withStageVariables(event, ctx.stageVariables)
  event.requestContext = requestContext(meta, {
    routeKey: '$disconnect',
    eventType: 'DISCONNECT',
    requestId: ctx.requestId,
    timeEpoch: ctx.timeEpoch,
    disconnect: { code: ctx.code, reason: ctx.reason },
  })
  event.isBase64Encoded = false
  return event
}

const FORWARDING = new Set(['x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto', 'x-amzn-trace-id'])

/**
 * The REQUEST authorizer event of $connect (AWS's documented example): `type`, `methodArn`
 * ending in `/$connect`, every handshake header (Connection and Upgrade included, with
 * `content-length: 0`), the query string, `stageVariables` and the CONNECT requestContext.
 */
export function connectAuthorizerEvent(req: GatewayRequest, methodArn: string, connectionId: string, connectedAt: number): Record<string, unknown> {
  const forwarded = integrationHeaders(req)
  const headers: [string, string][] = req.headers.filter(([k]) => !FORWARDING.has(k.toLowerCase()))
  if (!headers.some(([k]) => k.toLowerCase() === 'content-length')) headers.push(['content-length', '0'])
  headers.push(...forwarded.slice(-4))
  const meta = connectionMeta(req, connectionId, connectedAt)
  const fields = requestFields(headers, req.rawQueryString)
  return {
    type: 'REQUEST',
    methodArn,
    ...fields,
    stageVariables: { ...req.stage.variables },
    requestContext: requestContext(meta, { routeKey: '$connect', eventType: 'CONNECT', requestId: req.requestId, timeEpoch: req.timeEpoch }),
  }
}
