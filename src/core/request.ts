/**
 * The request as the gateway has resolved it: API, stage, route, ids, client identity. Built
 * once per request by the gateway and read by every feature and integration.
 */
import type { CompiledApi, CompiledRoute, CompiledStage } from '../model/load.ts'
import { clfTime } from './ids.ts'

export interface GatewayRequest {
  /** REST: a UUID (x-amzn-RequestId). HTTP API: the short id (apigw-requestid). */
  requestId: string
  /** The 16-character id (x-amz-apigw-id); equals requestId on HTTP APIs. */
  extendedRequestId: string
  /** X-Amzn-Trace-Id value (Root=1-...). */
  traceId: string
  /** Time the gateway received the request, ms since epoch (from the injected clock). */
  timeEpoch: number
  api: CompiledApi
  stage: CompiledStage
  route: CompiledRoute
  /** Method used for routing (REST honours X-HTTP-Method-Override). */
  method: string
  /** Request path after the API's base path, stage included, still percent-encoded: `/prod/users/42`. */
  stagePath: string
  /** Request path without the stage, still percent-encoded: `/users/42`. */
  path: string
  /** Query string as sent, without `?`; '' when there is none. */
  rawQueryString: string
  /** Path parameters, percent-encoded as received (REST keeps them so); null when the route has none. */
  pathParameters: Record<string, string> | null
  /** Client headers in arrival order; names keep the client's casing where the runtime reports it. */
  headers: [string, string][]
  /** The original request (its body is read or streamed by the integration). */
  request: Request
  /** Client address (socket peer, or trusted X-Forwarded-For). */
  sourceIp: string
  /** Address of the socket peer (the last hop), appended to X-Forwarded-For. */
  peerIp: string
  userAgent: string | null
  /** Scheme the client used: http or https. */
  scheme: 'http' | 'https'
  /** Port the client connected to. */
  port: string
  /** Host the client used (requestContext.domainName). */
  domainName: string
  protocol: string
  /** Largest body the integration may read. */
  maxPayloadBytes: number
  /**
   * requestContext.authorizer as the integration receives it, already in the event format's
   * shape (1.0: flat principalId/context/claims; 2.0: {jwt}, {lambda} or {iam}).
   */
  authorizer?: Record<string, unknown>
  /** requestContext.identity fields set by features (IAM caller, API key); merged over the nulls. */
  identity?: Record<string, string | null>
  /** Lambda authorizer's usageIdentifierKey (API key source AUTHORIZER). */
  usageIdentifierKey?: string
  /**
   * Set by authorizers: the caller's policy allows execute-api:InvalidateCache on this method
   * (Cache-Control: max-age=0 may refresh a cached entry). Undefined means not allowed.
   */
  invalidateCacheAllowed?: boolean
  /**
   * Headers features add to a successful answer (the usage plan's rate-limit headers); a
   * header of the same name from the integration wins. Set before calling next().
   */
  responseHeaders?: Record<string, string>
  /**
   * Set by a feature that keeps the integration's answer (the cache): the integration must
   * not build the gateway's headers into it; the gateway adds them to each answer instead.
   */
  deferGatewayHeaders?: boolean
  /** Set by an integration that built the gateway's headers into its answer (see gatewayHeaders()). */
  gatewayHeadersAdded?: boolean
  /** WebSocket handshakes: the connection being opened ($connect events, authorizer, ARNs). */
  connection?: { id: string; connectedAt: number }
  /** Timings for the access log. */
  timings: { integrationLatency?: number; integrationStatus?: number; integrationError?: string; responseLength?: number }
}

/** Header lookup (case-insensitive): the last value, as API Gateway's single-value maps keep. */
export function lastHeader(req: GatewayRequest, name: string): string | undefined {
  const lower = name.toLowerCase()
  let value: string | undefined
  for (const [k, v] of req.headers) if (k.toLowerCase() === lower) value = v
  return value
}

/** `abc123` for `abc123.execute-api.us-east-1.amazonaws.com`. */
export function domainPrefix(domainName: string): string {
  const dot = domainName.indexOf('.')
  return dot < 0 ? domainName : domainName.slice(0, dot)
}

/**
 * The `$context` values every request context shares (VTL's `$context`, a Lambda authorizer's
 * `context.*` identity sources); path, resourceId and the rest differ by where they are read.
 */
export function requestContextBase(req: GatewayRequest, accountId: string) {
  return {
    accountId,
    apiId: req.api.id,
    domainName: req.domainName,
    domainPrefix: domainPrefix(req.domainName),
    extendedRequestId: req.extendedRequestId,
    httpMethod: req.method,
    protocol: req.protocol,
    requestId: req.requestId,
    requestTime: clfTime(req.timeEpoch),
    requestTimeEpoch: req.timeEpoch,
    resourcePath: req.route.resourcePath,
    stage: req.stage.name,
  }
}

/**
 * requestContext.identity (and VTL's $context.identity) in AWS's key order: nulls, the client
 * address and user agent, then what features established (the IAM caller, the API key).
 * One literal: a fixed shape is cheaper to build than a keyed loop.
 */
export function requestIdentity(req: GatewayRequest): Record<string, string | null> {
  const identity: Record<string, string | null> = {
    accessKey: null,
    accountId: null,
    apiKey: null,
    apiKeyId: null,
    caller: null,
    cognitoAuthenticationProvider: null,
    cognitoAuthenticationType: null,
    cognitoIdentityId: null,
    cognitoIdentityPoolId: null,
    principalOrgId: null,
    sourceIp: req.sourceIp,
    user: null,
    userAgent: req.userAgent,
    userArn: null,
  }
  if (req.identity) Object.assign(identity, req.identity)
  return identity
}
