/**
 * Access log lines in API Gateway's style: a format with $context variables, "json" for
 * AWS's suggested JSON fields, or "clf" for its Common Log Format example.
 */
import { clfTime } from './ids.ts'
import type { GatewayRequest } from './request.ts'

/** AWS console's JSON access-log example, plus latencies. */
const JSON_FIELDS: Record<string, string> = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  apiKeyId: '$context.identity.apiKeyId',
  errorType: '$context.error.responseType',
}

const CLF =
  '$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId'

/** What the log knows once the response is ready. */
export interface AccessLogEntry {
  req?: GatewayRequest
  /** Stage name, known even when no route matched. */
  stage?: string
  /** Used when the request failed before a route was resolved. */
  method: string
  path: string
  requestId: string
  timeEpoch: number
  sourceIp: string
  userAgent: string | null
  status: number
  responseLength: number | null
  responseLatency: number
  errorType?: string
  errorMessage?: string
  /** Request validation's findings ($context.error.validationErrorString). */
  validationErrorString?: string
  /** WebSocket messages and disconnects, which have no HTTP request of their own. */
  websocket?: { apiId: string; connectionId: string; eventType: 'MESSAGE' | 'DISCONNECT'; routeKey: string; messageId?: string; integrationLatency?: number }
}

/** The `$context` values of an access-log entry. */
export function accessLogContext(e: AccessLogEntry): Record<string, unknown> {
  const r = e.req
  const ws = e.websocket
  return {
    requestId: e.requestId,
    extendedRequestId: r?.extendedRequestId ?? (ws ? e.requestId : undefined),
    apiId: r?.api.id ?? ws?.apiId,
    connectionId: r?.connection?.id ?? ws?.connectionId,
    eventType: ws?.eventType ?? (r?.connection ? 'CONNECT' : undefined),
    messageId: ws?.messageId,
    stage: r?.stage.name ?? e.stage,
    httpMethod: e.method,
    path: r?.stagePath ?? e.path,
    resourcePath: r?.route.resourcePath,
    resourceId: r?.route.resourceId,
    routeKey: r?.route.routeKey ?? ws?.routeKey,
    domainName: r?.domainName,
    protocol: r?.protocol ?? 'HTTP/1.1',
    requestTime: clfTime(e.timeEpoch),
    requestTimeEpoch: e.timeEpoch,
    status: e.status,
    responseLength: e.responseLength,
    responseLatency: e.responseLatency,
    integrationLatency: r?.timings.integrationLatency ?? ws?.integrationLatency,
    integrationStatus: r?.timings.integrationStatus,
    integrationErrorMessage: r?.timings.integrationError,
    identity: {
      sourceIp: e.sourceIp,
      userAgent: e.userAgent,
      apiKeyId: r?.identity?.apiKeyId,
    },
    authorizer: r?.authorizer,
    error: { responseType: e.errorType, message: e.errorMessage, validationErrorString: e.validationErrorString },
  }
}

function lookup(ctx: Record<string, unknown>, path: string): unknown {
  let v: unknown = ctx
  for (const key of path.split('.')) {
    if (v == null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[key]
  }
  return v
}

/** Formats one line. Values that are absent print as "-", as in API Gateway's logs. */
export function formatAccessLog(format: string, entry: AccessLogEntry): string {
  const ctx = accessLogContext(entry)
  if (format === 'json') {
    const out: Record<string, unknown> = {}
    for (const [key, ref] of Object.entries(JSON_FIELDS)) {
      const v = lookup(ctx, ref.slice('$context.'.length))
      out[key] = v === undefined || v === null ? '-' : typeof v === 'number' ? String(v) : v
    }
    return JSON.stringify(out)
  }
  const template = format === 'clf' ? CLF : format
  return template.replace(/\$context\.([A-Za-z0-9_.]+[A-Za-z0-9_])/g, (_m, path: string) => {
    const v = lookup(ctx, path)
    if (v === undefined || v === null || v === '') return '-'
    return typeof v === 'object' ? JSON.stringify(v) : String(v)
  })
}
