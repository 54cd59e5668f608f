/**
 * The WebSocket engine of one API (reference §9): the $connect integration during the
 * handshake, route selection and the integration of every message with its route response or
 * error frame, $disconnect after the close, and the @connections management API. Runtime
 * neutral: sockets are reached through a WebSocketPeer (the socket at hand) or the
 * ConnectionHub port (any connection, wherever it lives).
 */
import type { CompiledApi, CompiledRoute, CompiledStage, GatewayModel } from '../model/load.ts'
import type { ResolvedDeps } from '../core/deps.ts'
import type { RouteHandler } from '../core/feature.ts'
import type { ConnectionInfo } from '../storage/ports.ts'
import type { WebSocketEngine, WebSocketPeer } from './types.ts'
import type { InvokeOutcome } from '../integrations/lambda/types.ts'
import { GatewayError } from '../core/errors.ts'
import { newShortId } from '../core/ids.ts'
import { readBody } from '../core/body.ts'
import { functionTargetFor, invokeWithTimeout } from '../integrations/lambda/index.ts'
import { parseProxyResponseV1 } from '../integrations/lambda/response.ts'
import { utf8Length } from '../integrations/lambda/body-encoding.ts'
import { connectEvent, connectionMeta, disconnectEvent, messageEvent } from '../integrations/lambda/event-websocket.ts'
import { decodePercent } from '../integrations/lambda/event-v1.ts'
import { formatAccessLog, type AccessLogEntry } from '../core/access-log.ts'
import type { ConnectionMeta } from '../integrations/lambda/event-websocket.ts'

/**
 * The error frame API Gateway sends on a WebSocket (reference §9.1), with its spacing: a space
 * after the first colon only.
 */
export function errorFrame(message: string, connectionId: string, requestId: string): string {
  return `{"message": ${JSON.stringify(message)}, "connectionId":${JSON.stringify(connectionId)}, "requestId":${JSON.stringify(requestId)}}`
}

/** Close codes (RFC 6455 §7.4.1) API Gateway uses. */
export const CLOSE_UNSUPPORTED_DATA = 1003
export const CLOSE_MESSAGE_TOO_BIG = 1009
export const CLOSE_GOING_AWAY = 1001

/** The engine plus the two pipeline terminals the gateway builds its WebSocket routes on. */
export interface ApiWebSocketEngine extends WebSocketEngine {
  /** Terminal of the $connect pipeline: runs the integration; a 2xx answer means "accept". */
  connect: RouteHandler
  /** Terminal of the @connections pipeline (after its IAM check). */
  connections: RouteHandler
}

/** Builds the engine of a WebSocket API. */
export function createWebSocketEngine(api: CompiledApi, model: GatewayModel, deps: ResolvedDeps): ApiWebSocketEngine {
  const ws = api.websocket!
  const settings = ws.settings
  const maxMessageBytes = settings.maxMessageBytes
  const hub = deps.stores.connectionHub
  const stages = new Map(api.stages.map((s) => [s.name, s]))
  const stageOf = (name: string): CompiledStage => stages.get(name) ?? { name, variables: {}, accessLog: model.settings.accessLog }

  /** Invokes a route's function; resolves with its outcome or rejects with a GatewayError. */
  const invoke = (route: CompiledRoute, event: unknown, stage: CompiledStage): Promise<InvokeOutcome> => {
    const target = functionTargetFor(route, stage.variables)
    const timeoutMs = route.integration.timeoutMs
    // A local function whose own timeout comes first needs no second timer (as the REST integration).
    const localTimeoutMs = target.config?.handler ? target.config.timeout * 1000 : Infinity
    return invokeWithTimeout(deps, target, event, localTimeoutMs < timeoutMs ? undefined : timeoutMs)
  }

  /** One access-log line per message and disconnect, as API Gateway logs WebSocket events. */
  const log = (stage: CompiledStage, meta: ConnectionMeta, line: { requestId: string; started: number; status: number; length: number; eventType: 'MESSAGE' | 'DISCONNECT'; routeKey: string; messageId?: string; latency?: number; errorType?: string }) => {
    if (!stage.accessLog.enabled) return
    const entry: AccessLogEntry = {
      stage: stage.name,
      method: '-',
      path: `/${stage.name}`,
      requestId: line.requestId,
      timeEpoch: line.started,
      sourceIp: meta.sourceIp,
      userAgent: meta.userAgent ?? null,
      status: line.status,
      responseLength: line.length,
      responseLatency: deps.clock.now() - line.started,
      errorType: line.errorType,
      websocket: { apiId: api.id, connectionId: meta.connectionId, eventType: line.eventType, routeKey: line.routeKey, messageId: line.messageId, integrationLatency: line.latency },
    }
    try {
      deps.logger.access(formatAccessLog(stage.accessLog.format, entry))
    } catch (e) {
      deps.logger.error('access log format failed', { error: String(e) })
    }
  }

  return {
    apiId: api.id,
    maxMessageBytes,
    idleTimeoutMs: settings.idleTimeoutSeconds * 1000,
    maxConnectionMs: settings.maxConnectionSeconds * 1000,

    async connect(req) {
      const route = ws.connect
      // No $connect route: the handshake is accepted as it is.
      if (route.integration.type !== 'lambda') return new Response(null, { status: 200 })
      const connection = req.connection!
      const meta = connectionMeta(req, connection.id, connection.connectedAt)
      const event = connectEvent(meta, { requestId: req.requestId, timeEpoch: req.timeEpoch, stageVariables: req.stage.variables })
      const started = deps.clock.now()
      let outcome: InvokeOutcome
      try {
        outcome = await invoke(route, event, req.stage)
      } catch (e) {
        if (!(e instanceof GatewayError)) throw e
        deps.logger.info('$connect integration failed', { requestId: req.requestId, connectionId: connection.id, type: e.type, detail: e.detail })
        return handshakeError(e.type === 'INTEGRATION_TIMEOUT' ? 504 : e.type === 'API_CONFIGURATION_ERROR' ? 500 : 502, e.type === 'INTEGRATION_TIMEOUT' ? 'Endpoint request timed out' : 'Internal server error')
      } finally {
        req.timings.integrationLatency = deps.clock.now() - started
      }
      req.timings.integrationStatus = 200
      if (outcome.kind === 'function-error') {
        req.timings.integrationError = outcome.errorMessage
        deps.logger.info('$connect function failed', { requestId: req.requestId, connectionId: connection.id, error: `${outcome.errorType ?? 'Error'}: ${outcome.errorMessage ?? ''}` })
        return handshakeError(502, 'Internal server error')
      }
      try {
        // The handshake's answer is a proxy response; a 2xx status accepts the connection.
        return parseProxyResponseV1(outcome.payload, { apiType: 'REST', accept: null, binaryMediaTypes: [] })
      } catch (e) {
        if (!(e instanceof GatewayError)) throw e
        deps.logger.info('$connect answer unusable', { requestId: req.requestId, connectionId: connection.id, detail: e.detail })
        return handshakeError(502, 'Internal server error')
      }
    },

    async message(meta, data, peer) {
      try {
        if (typeof data !== 'string') {
          // API Gateway refuses binary frames by closing with 1003 (reference §9, binary media types).
          peer.close(CLOSE_UNSUPPORTED_DATA, 'Binary frames are not supported')
          return
        }
        if (data.length * 3 > maxMessageBytes && utf8Length(data) > maxMessageBytes) {
          peer.close(CLOSE_MESSAGE_TOO_BIG, 'Message too big')
          return
        }
        const now = deps.clock.now()
        const requestId = newShortId()
        const messageId = newShortId()
        const stage = stageOf(meta.stage)
        const key = ws.selector.select(data)
        // $connect and $disconnect are never a message's route, whatever the message says.
        let route = key !== null && key !== '$connect' && key !== '$disconnect' ? ws.routes.get(key) : undefined
        route ??= ws.routes.get('$default')
        const reply = (frame: string, status: number, errorType?: string) => {
          peer.send(frame)
          log(stage, meta, { requestId, started: now, status, length: utf8Length(frame), eventType: 'MESSAGE', routeKey: route?.routeKey ?? key ?? '$default', messageId, errorType })
        }
        if (!route) return reply(errorFrame('Forbidden', meta.connectionId, requestId), 403, 'ACCESS_DENIED')
        const event = messageEvent(meta, { routeKey: route.routeKey, body: data, requestId, messageId, timeEpoch: now, stageVariables: stage.variables })
        let outcome: InvokeOutcome
        try {
          outcome = await invoke(route, event, stage)
        } catch (e) {
          if (!(e instanceof GatewayError)) throw e
          deps.logger.info('WebSocket integration failed', { requestId, connectionId: meta.connectionId, route: route.routeKey, type: e.type, detail: e.detail })
          const timeout = e.type === 'INTEGRATION_TIMEOUT'
          return reply(errorFrame(timeout ? 'Endpoint request timed out' : 'Internal server error', meta.connectionId, requestId), timeout ? 504 : 500, e.type)
        }
        const latency = deps.clock.now() - now
        if (outcome.kind === 'function-error') {
          deps.logger.info('WebSocket function failed', { requestId, connectionId: meta.connectionId, route: route.routeKey, error: `${outcome.errorType ?? 'Error'}: ${outcome.errorMessage ?? ''}` })
          return reply(errorFrame('Internal server error', meta.connectionId, requestId), 500, 'LAMBDA_ERROR')
        }
        const body = route.routeResponse ? routeResponseBody(outcome.payload) : undefined
        if (body !== undefined) peer.send(body)
        log(stage, meta, { requestId, started: now, status: 200, length: body === undefined ? 0 : utf8Length(body), eventType: 'MESSAGE', routeKey: route.routeKey, messageId, latency })
      } catch (e) {
        // A runtime's socket may be gone mid-send; the connection's own close handles the rest.
        deps.logger.error('WebSocket message handling failed', { connectionId: meta.connectionId, error: String(e), stack: (e as Error)?.stack })
      }
    },

    async disconnect(meta, code, reason) {
      const route = ws.routes.get('$disconnect')
      if (!route) return
      const requestId = newShortId()
      const stage = stageOf(meta.stage)
      const started = deps.clock.now()
      let status = 200
      try {
        const event = disconnectEvent(meta, { code, reason, requestId, timeEpoch: started, stageVariables: stage.variables })
        const outcome = await invoke(route, event, stage)
        if (outcome.kind === 'function-error') {
          status = 500
          deps.logger.info('$disconnect function failed', { requestId, connectionId: meta.connectionId, error: `${outcome.errorType ?? 'Error'}: ${outcome.errorMessage ?? ''}` })
        }
      } catch (e) {
        status = 500
        // Best effort, as on AWS: nobody is left to tell.
        deps.logger.info('$disconnect integration failed', { requestId, connectionId: meta.connectionId, error: e instanceof GatewayError ? e.detail : String(e) })
      }
      log(stage, meta, { requestId, started, status, length: 0, eventType: 'DISCONNECT', routeKey: '$disconnect', latency: deps.clock.now() - started })
    },

    async connections(req) {
      const encodedId = req.pathParameters?.connectionId ?? ''
      const id = decodePercent(encodedId)
      const info = await hub.info(id)
      const ours = info !== undefined && info.apiId === api.id && info.stage === req.stage.name
      switch (req.method) {
        case 'POST': {
          let body: Uint8Array | null
          try {
            body = await readBody({ ...req, maxPayloadBytes: maxMessageBytes })
          } catch (e) {
            if (e instanceof GatewayError && e.type === 'REQUEST_TOO_LARGE') {
              return managementError(413, 'PayloadTooLargeException', `Request payload exceeds the maximum of ${maxMessageBytes} bytes`)
            }
            throw e
          }
          if (!ours) return gone(id)
          const bytes = body ?? new Uint8Array(0)
          // Text when the bytes are UTF-8 (what clients almost always post), else a binary frame.
          const text = decodeUtf8Strict(bytes)
          if (!(await hub.post(id, text ?? bytes))) return gone(id)
          return new Response(null, { status: 200, headers: { 'content-length': '0' } })
        }
        case 'GET':
          if (!ours) return gone(id)
          return jsonResponse(200, connectionJson(info))
        case 'DELETE':
          if (!ours || !(await hub.disconnect(id))) return gone(id)
          return new Response(null, { status: 204 })
        default:
          return managementError(403, 'ForbiddenException', 'Forbidden')
      }
    },
  }
}

/** GetConnection's answer: ISO-8601 times, the handshake's source address and user agent. */
function connectionJson(info: ConnectionInfo): Record<string, unknown> {
  const identity: Record<string, string> = { sourceIp: info.sourceIp }
  if (info.userAgent !== undefined) identity.userAgent = info.userAgent
  return { connectedAt: new Date(info.connectedAt).toISOString(), identity, lastActiveAt: new Date(info.lastActiveAt).toISOString() }
}

/**
 * What a route response sends back. A proxy answer sends its `body` (none: nothing); a
 * function that returns a bare value (a string, a plain object) sends that value's text;
 * `null` (nothing returned) sends nothing.
 */
export function routeResponseBody(payload: string): string | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(payload)
  } catch {
    return payload
  }
  if (parsed === null) return undefined
  if (typeof parsed === 'string') return parsed
  if (typeof parsed === 'object' && !Array.isArray(parsed)) {
    const p = parsed as Record<string, unknown>
    const proxy = 'statusCode' in p || 'body' in p || 'headers' in p || 'isBase64Encoded' in p
    if (proxy) {
      if (p.body === undefined || p.body === null) return undefined
      return typeof p.body === 'string' ? p.body : JSON.stringify(p.body)
    }
  }
  return payload
}

function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    return undefined
  }
}

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const text = JSON.stringify(body)
  return new Response(text, {
    status,
    headers: { 'content-type': 'application/json', 'content-length': String(new TextEncoder().encode(text).byteLength), ...headers },
  })
}

/** A management API error: the exception name in x-amzn-ErrorType, as AWS SDKs read it. */
function managementError(status: number, type: string, message: string): Response {
  return jsonResponse(status, { message }, { 'x-amzn-ErrorType': type })
}

function gone(id: string): Response {
  return managementError(410, 'GoneException', `Connection ${id} is gone`)
}

/** A refused handshake's answer (the client sees the status; browsers see nothing more). */
function handshakeError(status: number, message: string): Response {
  return jsonResponse(status, { message })
}
