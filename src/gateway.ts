/**
 * Builds the Hono app from a compiled model: receive (ids, limits, client address) → API,
 * stage and route resolution → the route's feature chain → its integration → response
 * headers and access log. Everything per route is composed once, here, at build time.
 */
import { Hono, type ExecutionContext } from 'hono'
import type { CompiledApi, CompiledRoute, GatewayModel } from './model/load.ts'
import type { GatewayDeps, ResolvedDeps } from './core/deps.ts'
import { builtinFeatures } from './features/index.ts'
import { adminPathPrefix, createAdminApp } from './admin/index.ts'
import { memoryAuthorizerCache } from './storage/memory/authorizer-cache.ts'
import { memoryKeyStore } from './storage/memory/key-store.ts'
import { memoryRateLimiter } from './storage/memory/rate-limiter.ts'
import { memoryQuotaCounter } from './storage/memory/quota-counter.ts'
import { memoryConnectionHub } from './storage/memory/connection-hub.ts'
import { GatewayError, renderGatewayError } from './core/errors.ts'
import { matchHttpRoute, matchRestRoute, selectApi, selectStage, type StageMatch } from './core/router.ts'
import type { GatewayRequest } from './core/request.ts'
import { clfTime, newConnectionId, newShortId, newTraceId, newUuid } from './core/ids.ts'
import { formatAccessLog, type AccessLogEntry } from './core/access-log.ts'
import { tooLarge } from './core/body.ts'
import type { RouteHandler, Feature } from './core/feature.ts'
import { createIntegration } from './integrations/index.ts'
import { idHeaders, withGatewayHeaders } from './core/response-headers.ts'
import { httpApiCors, type HttpApiCors } from './features/cors/index.ts'
import { createWebSocketEngine, type ApiWebSocketEngine } from './websocket/engine.ts'
import { connectionMeta } from './integrations/lambda/event-websocket.ts'
import { connectionsClient, registerConnections, type ConnectionsClient } from './websocket/connections.ts'
import type { WebSocketEngine } from './websocket/types.ts'

export interface Gateway {
  /** The Hono app (gateway and admin API); `app.request()` in tests. */
  app: Hono
  /**
   * What runtimes serve: answers as `app.fetch` does, but gateway paths skip Hono's router
   * (middleware added to `app` applies to admin paths only; mount `app` to wrap everything).
   */
  fetch: (request: Request, env?: unknown, ctx?: ExecutionContext) => Response | Promise<Response>
  model: GatewayModel
  /** Resolves once every feature's set-up is done; rejects when one failed. */
  ready: Promise<void>
  /** The deps in use, stores included. */
  deps: ResolvedDeps
  /** The engine of a WebSocket API (by API id), which runtimes hand their sockets' traffic to. */
  websocket(apiId: string): WebSocketEngine | undefined
  /** The @connections API in process: post to, look up and close any connection of this gateway. */
  connections: ConnectionsClient
}

export interface CreateGatewayOptions {
  /** Pipeline features, in any order (sorted by priority). Default: the built-in ones. */
  features?: Feature[]
}

/**
 * Creates a gateway serving `model`. All one-time work (route pipelines) happens here.
 * @param model a model from loadModel()
 * @param deps clock, logger, invoker, HTTP client and connection info of the runtime
 */
export function createGateway(model: GatewayModel, given: GatewayDeps, opts: CreateGatewayOptions = {}): Gateway {
  const deps = resolveDeps(given)
  const features = [...(opts.features ?? builtinFeatures)].sort((a, b) => b.priority - a.priority)
  const pipelines = new Map<CompiledRoute, RouteHandler>()
  // HTTP API CORS runs before route selection (preflights need no route), so it is not a
  // per-route feature.
  const corsSteps = new Map<CompiledApi, HttpApiCors>()
  const websockets = new Map<string, ApiWebSocketEngine>()
  for (const api of model.apis) {
    if (api.websocket) {
      // A WebSocket API's requests are handshakes ($connect) and @connections calls; its other
      // routes are reached by messages, through the engine.
      const engine = createWebSocketEngine(api, model, deps)
      websockets.set(api.id, engine)
      pipelines.set(api.websocket.connect, buildPipeline(api.websocket.connect, api, model, deps, features, engine.connect))
      pipelines.set(api.websocket.connectionsRoute, buildPipeline(api.websocket.connectionsRoute, api, model, deps, features, engine.connections))
      continue
    }
    for (const route of api.routes) pipelines.set(route, buildPipeline(route, api, model, deps, features))
    if (api.type === 'HTTP' && api.cors) corsSteps.set(api, httpApiCors(api.cors))
  }
  const connections = connectionsClient(deps.stores.connectionHub, model.settings.websocket.maxMessageBytes)
  for (const api of model.apis) if (api.websocket) registerConnections(api.id, connections)
  let initialised = false
  // One after another, in priority order: a later feature's set-up may build on an earlier one's.
  const ready = features
    .reduce<Promise<void>>((prior, f) => prior.then(() => f.init?.({ model, deps })), Promise.resolve())
    .then(() => {
      initialised = true
    })
  // Surfaced through `ready` (runtimes await it before listening); no unhandled rejection here.
  ready.catch(() => {})
  const settings = model.settings

  const app = new Hono()
  // The admin API (keys, plans, usage, cache flush) answers only when an admin token is set.
  const admin = createAdminApp(model, deps, { ready })
  if (admin) app.route('/', admin)
  app.all('*', (c) => handle(c.req.raw, c.env))
  app.onError((err) => unhandled(err))

  /** Errors that escape the gateway's own handling: logged, and a bare 500 without detail. */
  function unhandled(err: unknown): Response {
    deps.logger.error('unhandled error', { error: String(err), stack: (err as Error)?.stack })
    return new Response('{"message":"Internal server error"}', { status: 500, headers: { 'content-type': 'application/json' } })
  }

  // Runtimes call this: gateway paths go straight to handle(), skipping Hono's router and
  // Context (a measurable share of a small request); admin paths go through the Hono app.
  const adminPrefix = admin ? adminPathPrefix(model) : undefined
  const fetchGateway = (request: Request, env?: unknown, ctx?: ExecutionContext): Response | Promise<Response> => {
    const url = splitUrl(request.url)
    if (adminPrefix !== undefined && underPrefix(url.pathname, adminPrefix)) return app.fetch(request, env, ctx)
    return handle(request, env, url).catch(unhandled)
  }

  async function handle(raw: Request, env: unknown, url = splitUrl(raw.url)): Promise<Response> {
    if (!initialised) await ready
    const started = deps.clock.now()
    const info = deps.clientInfo?.({ env, req: { raw } }) ?? {}
    const headers = headerPairs(raw, info.rawHeaders)
    // Header values are read from the list, not raw.headers: on Node that would build a
    // Headers object (and a whole Request) for nothing.
    const seen = scanHeaders(headers)
    const peerIp = normalizeIp(info.remoteAddress ?? seen.cfConnectingIp ?? '127.0.0.1')
    const xff = settings.trustForwardedFor ? seen.forwardedFor : undefined
    const sourceIp = xff ? normalizeIp(xff.split(',')[0]!.trim()) : peerIp
    const userAgent = seen.userAgent ?? null
    const host = seen.host ?? url.host

    const apiMatch = selectApi(model, host, url.pathname)
    const api = apiMatch?.api
    const isRest = api?.type === 'REST'
    const shortId = newShortId()
    const requestId = isRest ? newUuid() : shortId
    let req: GatewayRequest | undefined
    let stage: StageMatch | undefined
    let response: Response
    let error: GatewayError | undefined
    let upgraded = false

    const fail = (e: unknown): Response => {
      error = e instanceof GatewayError ? e : undefined
      // A WebSocket API answers every request it has no endpoint for with 403 Forbidden.
      if (api?.type === 'WEBSOCKET' && (error?.type === 'UNKNOWN_STAGE' || error?.type === 'MISSING_AUTHENTICATION_TOKEN')) {
        error = new GatewayError('ACCESS_DENIED', { detail: error.detail })
      }
      if (!error) {
        deps.logger.error('unexpected error', { requestId, error: String(e), stack: (e as Error)?.stack })
        error = new GatewayError(isRest ? 'DEFAULT_5XX' : 'API_CONFIGURATION_ERROR', { detail: String(e) })
      } else if (error.detail) {
        deps.logger.info('request rejected', { requestId, type: error.type, detail: error.detail })
      }
      return renderGatewayError({
        apiType: api?.type ?? 'HTTP',
        error,
        overrides: api?.gatewayResponses,
        context: errorContext(requestId, shortId, api, stage, req, raw.method, url.pathname, sourceIp, userAgent, started),
        stageVariables: stage?.stage.variables,
      })
    }

    // Route selection and the route's pipeline.
    // Not async: an async wrapper around the pipeline's promise costs every request a promise
    // and microtask turns. It throws synchronously when no route matches.
    const serve = (api: CompiledApi, stage: StageMatch): Promise<Response> => {
      const override = isRest ? seen.methodOverride : undefined
      const method = (override ?? raw.method).toUpperCase()
      const match = api.websocket
        ? matchWebSocketRequest(api, method, stage.path, headers)
        : isRest ? matchRestRoute(api, method, stage.path) : matchHttpRoute(api, method, stage.path)
      req = {
        requestId,
        extendedRequestId: shortId,
        traceId: newTraceId(started),
        timeEpoch: started,
        api,
        stage: stage.stage,
        route: match.route,
        method,
        stagePath: stage.stagePath,
        path: stage.path,
        rawQueryString: url.search.slice(1),
        pathParameters: match.params,
        headers,
        request: raw,
        sourceIp,
        peerIp,
        userAgent,
        scheme: info.encrypted || url.https ? 'https' : 'http',
        port: String(info.localPort ?? (url.port || (url.https ? 443 : 80))),
        domainName: stripPort(host),
        protocol: 'HTTP/1.1',
        maxPayloadBytes: settings.maxPayloadBytes,
        timings: {},
      }
      if (match.route !== api.websocket?.connect) return pipelines.get(match.route)!(req)
      return handshake(req)
    }

    // A WebSocket handshake: $connect's pipeline decides; a 2xx answer is handed to the runtime.
    const handshake = async (r: GatewayRequest): Promise<Response> => {
      r.connection = { id: newConnectionId(), connectedAt: started }
      const answer = await pipelines.get(r.route)!(r)
      if (answer.status < 200 || answer.status >= 300) return answer
      const accepted = await acceptWebSocket(raw, env, r, answer)
      upgraded = true
      return accepted
    }

    try {
      if (!api || !apiMatch) throw new GatewayError('RESOURCE_NOT_FOUND', { detail: `no API serves ${host}${url.pathname}` })
      checkLimits(seen, settings.maxHeaderBytes, settings.maxPayloadBytes)
      const selected = selectStage(api, apiMatch.path)
      stage = selected
      const cors = corsSteps.get(api)
      // With CORS, errors are rendered inside its step, so they carry its headers too.
      const served = () => {
        try {
          return serve(api, selected).catch(fail)
        } catch (e) {
          return Promise.resolve(fail(e))
        }
      }
      response = cors ? await cors.handle(raw, served) : await serve(api, selected)
    } catch (e) {
      response = fail(e)
    }

    if (error || !req) {
      const ids: [string, string][] = isRest ? [['x-amzn-RequestId', requestId], ['x-amz-apigw-id', shortId]] : [['apigw-requestid', shortId]]
      response = withGatewayHeaders(response, ids, undefined)
    } else if (upgraded) {
      // An accepted handshake's answer is the runtime's (a 101 on Workers, immutable).
    } else if (!req.gatewayHeadersAdded) {
      response = withGatewayHeaders(response, idHeaders(req), req.responseHeaders)
    }
    const log = stage?.stage.accessLog ?? settings.accessLog
    if (log.enabled) {
      const entry: AccessLogEntry = {
        req,
        stage: stage?.stage.name,
        method: req?.method ?? raw.method,
        path: url.pathname,
        requestId,
        timeEpoch: started,
        sourceIp,
        userAgent,
        status: upgraded ? 101 : response.status,
        responseLength: null,
        responseLatency: 0,
        errorType: error?.type,
        errorMessage: error ? (error.overrideMessage ?? error.type) : undefined,
        validationErrorString: error?.validationErrorString,
      }
      response = upgraded ? logNow(response, entry, log.format, deps, started) : logWhenDone(response, entry, log.format, deps, started)
    }
    return response
  }

  /** Hands an accepted handshake to the runtime, which completes the upgrade. */
  async function acceptWebSocket(raw: Request, env: unknown, req: GatewayRequest, answer: Response): Promise<Response> {
    if (!deps.websocket) {
      throw new GatewayError('API_CONFIGURATION_ERROR', { detail: 'this runtime was started without WebSocket support (deps.websocket)' })
    }
    const connection = req.connection!
    const headers: [string, string][] = []
    let protocol: string | undefined
    for (const [name, value] of answer.headers) {
      if (name === 'sec-websocket-protocol') protocol = value
      else if (name !== 'content-type' && name !== 'content-length') headers.push([name, value])
    }
    // Features and the integration are done: the meta carries what they established.
    const meta = connectionMeta(req, connection.id, connection.connectedAt)
    return deps.websocket.accept({ env, req: { raw } }, { meta, engine: websockets.get(req.api.id)!, protocol, headers })
  }

  return {
    app,
    fetch: fetchGateway,
    model,
    ready,
    deps,
    websocket: (apiId) => websockets.get(apiId),
    connections,
  }
}

/**
 * A WebSocket API answers a handshake on the stage's root (`wss://host/{stage}`) and the
 * management API on `/{stage}/@connections/{id}`. Anything else, a plain GET on the root
 * included, is 403 Forbidden (Portico's choice; AWS's exact answer is not recorded).
 */
function matchWebSocketRequest(api: CompiledApi, method: string, path: string, headers: [string, string][]): { route: CompiledRoute; params: Record<string, string> | null } {
  const ws = api.websocket!
  if (path === '/') {
    let upgrade = false
    for (const [k, v] of headers) if (k.toLowerCase() === 'upgrade' && v.toLowerCase() === 'websocket') upgrade = true
    if (upgrade && method === 'GET') return { route: ws.connect, params: null }
    throw new GatewayError('ACCESS_DENIED', { detail: `${method} on a WebSocket API's stage root without a WebSocket upgrade` })
  }
  const m = /^\/@connections\/([^/]+)$/.exec(path)
  if (m) return { route: ws.connectionsRoute, params: { connectionId: m[1]! } }
  throw new GatewayError('ACCESS_DENIED', { detail: `no WebSocket endpoint at ${path}` })
}

/** Fills the optional ports: memory stores, the global fetch, an empty environment. */
function resolveDeps(deps: GatewayDeps): ResolvedDeps {
  return {
    ...deps,
    env: deps.env ?? {},
    fetch: deps.fetch ?? ((input, init) => fetch(input, init)),
    stores: {
      authorizerCache: deps.stores?.authorizerCache ?? memoryAuthorizerCache(deps.clock),
      keyStore: deps.stores?.keyStore ?? memoryKeyStore(),
      responseCache: deps.stores?.responseCache,
      rateLimiter: deps.stores?.rateLimiter ?? memoryRateLimiter(),
      quotaCounter: deps.stores?.quotaCounter ?? memoryQuotaCounter(),
      connectionHub: deps.stores?.connectionHub ?? memoryConnectionHub(),
    },
  }
}

function buildPipeline(
  route: CompiledRoute,
  api: CompiledApi,
  model: GatewayModel,
  deps: ResolvedDeps,
  features: Feature[],
  terminal?: RouteHandler,
): RouteHandler {
  let handler: RouteHandler = terminal ?? createIntegration(route, api, model, deps)
  // Wrap from the lowest priority outwards so the highest priority runs first.
  for (const feature of [...features].reverse()) {
    const step = feature.create({ route, api, model, deps })
    if (!step) continue
    const next = handler
    handler = (req) => step(req, () => next(req))
  }
  return handler
}

/** Header list with the client's casing when the runtime kept it (Node's rawHeaders). */
function headerPairs(raw: Request, rawHeaders?: string[]): [string, string][] {
  if (rawHeaders) {
    const out: [string, string][] = []
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) out.push([rawHeaders[i]!, rawHeaders[i + 1]!])
    return out
  }
  return [...raw.headers]
}

/** The request headers the gateway itself reads, found in one pass. */
interface SeenHeaders {
  host?: string
  userAgent?: string
  cfConnectingIp?: string
  forwardedFor?: string
  contentLength?: string
  methodOverride?: string
  /** Total length of the header values. */
  valueBytes: number
}

/** Finds the headers the gateway reads (several values of one joined with ", "), case-insensitively. */
function scanHeaders(headers: [string, string][]): SeenHeaders {
  const seen: SeenHeaders = { valueBytes: 0 }
  const join = (prior: string | undefined, v: string) => (prior === undefined ? v : `${prior}, ${v}`)
  for (const [k, v] of headers) {
    seen.valueBytes += v.length
    // The length first: most headers are none of these, and lowercasing allocates.
    switch (k.length) {
      case 4:
        if (k.toLowerCase() === 'host') seen.host = join(seen.host, v)
        break
      case 10:
        if (k.toLowerCase() === 'user-agent') seen.userAgent = join(seen.userAgent, v)
        break
      case 14:
        if (k.toLowerCase() === 'content-length') seen.contentLength = join(seen.contentLength, v)
        break
      case 15:
        if (k.toLowerCase() === 'x-forwarded-for') seen.forwardedFor = join(seen.forwardedFor, v)
        break
      case 16:
        if (k.toLowerCase() === 'cf-connecting-ip') seen.cfConnectingIp = join(seen.cfConnectingIp, v)
        break
      case 22:
        if (k.toLowerCase() === 'x-http-method-override') seen.methodOverride = join(seen.methodOverride, v)
        break
    }
  }
  return seen
}

/**
 * Scheme, host and path + query of a request URL. Runtimes hand over URLs already
 * normalised (@hono/node-server parses the odd ones with URL), so slicing is enough.
 */
function splitUrl(href: string): { https: boolean; host: string; pathname: string; search: string; port: string } {
  const hostStart = href.indexOf('://') + 3
  let pathStart = href.indexOf('/', hostStart)
  let end = href.indexOf('#', hostStart)
  if (end < 0) end = href.length
  if (pathStart < 0 || pathStart > end) pathStart = end
  let q = href.indexOf('?', pathStart)
  if (q < 0 || q > end) q = end
  const host = href.slice(hostStart, pathStart)
  const colon = host.lastIndexOf(':')
  return {
    https: href.startsWith('https:'),
    host,
    pathname: pathStart === q ? '/' : href.slice(pathStart, q),
    search: q < end ? href.slice(q, end) : '',
    port: colon > host.lastIndexOf(']') ? host.slice(colon + 1) : '',
  }
}

function checkLimits(seen: SeenHeaders, maxHeaderBytes: number, maxPayload: number) {
  if (seen.valueBytes > maxHeaderBytes) {
    throw new GatewayError('REQUEST_HEADER_FIELDS_TOO_LARGE', { detail: `header values total ${seen.valueBytes} bytes > ${maxHeaderBytes}` })
  }
  const length = Number(seen.contentLength ?? 0)
  if (length > maxPayload) throw tooLarge(maxPayload)
}

/** Whether `path` is `prefix` or below it. */
function underPrefix(path: string, prefix: string): boolean {
  if (!path.startsWith(prefix)) return false
  return path.length === prefix.length || prefix.endsWith('/') || path.charCodeAt(prefix.length) === 47
}

/** `host` without a trailing :port. */
function stripPort(host: string): string {
  const colon = host.lastIndexOf(':')
  if (colon < 0 || colon < host.lastIndexOf(']')) return host
  for (let i = colon + 1; i < host.length; i++) {
    const c = host.charCodeAt(i)
    if (c < 48 || c > 57) return host
  }
  return host.slice(0, colon)
}

function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip
}

function errorContext(
  requestId: string,
  shortId: string,
  api: CompiledApi | undefined,
  stage: StageMatch | undefined,
  req: GatewayRequest | undefined,
  method: string,
  path: string,
  sourceIp: string,
  userAgent: string | null,
  now: number,
): Record<string, unknown> {
  return {
    requestId,
    extendedRequestId: shortId,
    apiId: api?.id,
    stage: stage?.stage.name,
    httpMethod: req?.method ?? method,
    path: stage?.stagePath ?? path,
    resourcePath: req?.route.resourcePath,
    domainName: req?.domainName,
    requestTime: clfTime(now),
    requestTimeEpoch: now,
    identity: { sourceIp, userAgent },
  }
}

/** Writes the access-log line now (an upgraded connection's answer has no body to wait for). */
function logNow(response: Response, entry: AccessLogEntry, format: string, deps: GatewayDeps, started: number): Response {
  entry.responseLength = 0
  entry.responseLatency = deps.clock.now() - started
  try {
    deps.logger.access(formatAccessLog(format, entry))
  } catch (e) {
    deps.logger.error('access log format failed', { error: String(e) })
  }
  return response
}

/** Writes the access-log line once the body has been sent (its length is known then). */
function logWhenDone(response: Response, entry: AccessLogEntry, format: string, deps: GatewayDeps, started: number): Response {
  const write = (length: number) => {
    entry.responseLength = length
    entry.responseLatency = deps.clock.now() - started
    try {
      deps.logger.access(formatAccessLog(format, entry))
    } catch (e) {
      deps.logger.error('access log format failed', { error: String(e) })
    }
  }
  // Reading .body would turn @hono/node-server's light Response into a full one (slow
  // path); the length is known for everything but streamed proxy answers.
  const known = entry.errorType === undefined ? entry.req?.timings.responseLength : undefined
  if (known !== undefined) {
    write(known)
    return response
  }
  const declared = response.headers.get('content-length')
  if (declared !== null || response.status === 204 || response.status === 304) {
    write(declared !== null ? Number(declared) : 0)
    return response
  }
  if (!response.body) {
    write(0)
    return response
  }
  let length = 0
  const counted = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        length += chunk.byteLength
        controller.enqueue(chunk)
      },
      flush() {
        write(length)
      },
    }),
  )
  return new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers })
}
