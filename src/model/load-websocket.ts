/**
 * Compiling WebSocket APIs (reference §9): route keys ($connect, $disconnect, $default, custom),
 * their Lambda proxy integrations, authorization on $connect only, route responses, the route
 * selection expression and the @connections API's authorization. Called by load.ts.
 */
import type { ApiConfig, PorticoConfig, RouteConfig } from './schema.ts'
import type { CompiledApi, CompiledAuthorizer, CompiledFunction, CompiledRoute, ConfigIssue } from './load.ts'
import type { RouteAuthorization } from './auth-schema.ts'
import { DEFAULT_ROUTE_SELECTION_EXPRESSION, type WebSocketSettings } from './websocket-schema.ts'
import { compileRouteSelection, SelectionExpressionError, type RouteSelector } from '../websocket/selection.ts'
import { stableApiId } from '../core/ids.ts'
import { compileRouteRequest } from './compile-request.ts'

/** A WebSocket API's own compiled parts. */
export interface CompiledWebSocket {
  /** The route selection expression, compiled. */
  selector: RouteSelector
  /** Routes by key. */
  routes: Map<string, CompiledRoute>
  /**
   * The route a handshake runs through: the configured $connect, or (without one) a route
   * that accepts every connection, as API Gateway does when an API has no $connect route.
   */
  connect: CompiledRoute
  /** Who may call /{stage}/@connections/{id}. */
  connectionsAuthorization: 'AWS_IAM' | 'NONE'
  /** The route the @connections API's IAM check runs on (execute-api:ManageConnections). */
  connectionsRoute: CompiledRoute
  settings: WebSocketSettings
}

const PREDEFINED = new Set(['$connect', '$disconnect', '$default'])
/** API Gateway's limit of routes per WebSocket API (reference §9.4). */
const MAX_ROUTES = 300
/** WebSocket integrations time out between 50 ms and 29 s (reference §9.4). */
const DEFAULT_TIMEOUT_MS = 29_000

interface RouteContext {
  api: ApiConfig
  functions: Record<string, CompiledFunction>
  authorizers: Record<string, CompiledAuthorizer>
  seen: Map<string, number>
  issues: ConfigIssue[]
  path: (...p: (string | number)[]) => (string | number)[]
  compileAuthorization: (
    auth: RouteAuthorization,
    authorizers: Record<string, CompiledAuthorizer>,
    issues: ConfigIssue[],
    path: (...p: (string | number)[]) => (string | number)[],
  ) => CompiledRoute['authorization']
}

/** Compiles one route of a WebSocket API; undefined (with issues) when it cannot be served. */
export function compileWebSocketRoute(r: RouteConfig, index: number, ctx: RouteContext): CompiledRoute | undefined {
  const { issues, path } = ctx
  if (r.method !== undefined || r.path !== undefined) {
    issues.push({ path: path(r.method !== undefined ? 'method' : 'path'), message: 'WebSocket routes have a route key ("route": $connect, $disconnect, $default or e.g. sendMessage), not method and path' })
    return undefined
  }
  const key = r.route
  if (key === undefined) {
    issues.push({ path: path('route'), message: 'a WebSocket route needs "route": $connect, $disconnect, $default or a custom key such as sendMessage' })
    return undefined
  }
  if (key.length === 0 || key.length > 128) {
    issues.push({ path: path('route'), message: 'a route key is 1 to 128 characters' })
    return undefined
  }
  if (key.startsWith('$') && !PREDEFINED.has(key)) {
    issues.push({ path: path('route'), message: `"${key}": the only route keys starting with $ are $connect, $disconnect and $default` })
    return undefined
  }
  const dup = ctx.seen.get(key)
  if (dup !== undefined) {
    issues.push({ path: path(), message: `route "${key}" is already defined at routes[${dup}]` })
    return undefined
  }
  ctx.seen.set(key, index)

  const integration = r.integration
  if (integration.type !== 'lambda') {
    issues.push({ path: path('integration', 'type'), message: `${integration.type} integrations are not supported on WebSocket APIs yet: use a lambda (proxy) integration` })
    return undefined
  }
  if (integration.payloadFormatVersion !== undefined) {
    issues.push({ path: path('integration', 'payloadFormatVersion'), message: 'WebSocket APIs have one event format; payloadFormatVersion is for HTTP APIs' })
  }
  if (integration.timeoutMs !== undefined && (integration.timeoutMs < 50 || integration.timeoutMs > DEFAULT_TIMEOUT_MS)) {
    issues.push({ path: path('integration', 'timeoutMs'), message: `WebSocket integrations time out between 50 and ${DEFAULT_TIMEOUT_MS} ms` })
  }

  const isConnect = key === '$connect'
  if (r.authorization !== 'NONE' && !isConnect) {
    issues.push({ path: path('authorization'), message: 'WebSocket APIs authorize on the $connect route only (as on AWS)' })
  }
  if (r.apiKeyRequired && !isConnect) {
    issues.push({ path: path('apiKeyRequired'), message: 'WebSocket APIs check API keys on the $connect route only (as on AWS)' })
  }
  if (r.routeResponseSelectionExpression !== undefined && (isConnect || key === '$disconnect')) {
    issues.push({ path: path('routeResponseSelectionExpression'), message: `${key} cannot answer with a frame: route responses apply to $default and custom routes` })
  }
  if (r.caching !== undefined) issues.push({ path: path('caching'), message: 'response caching exists on REST APIs only (as on AWS)' })
  if (r.throttle !== undefined) issues.push({ path: path('throttle'), message: 'route throttling is not supported on WebSocket APIs yet' })
  if (r.cors !== undefined) issues.push({ path: path('cors'), message: 'CORS does not apply to WebSocket APIs (browsers do not send preflights for WebSocket handshakes)' })

  const compiled: CompiledRoute = {
    routeKey: key,
    method: 'GET',
    resourcePath: key,
    template: null,
    integration: { ...integration, timeoutMs: integration.timeoutMs ?? DEFAULT_TIMEOUT_MS },
    payloadFormatVersion: '1.0',
    resourceId: stableApiId(`${ctx.api.name}:${key}`, 6),
    index,
    authorization: 'NONE',
    apiKeyRequired: isConnect && r.apiKeyRequired,
    caching: { keyParameters: [], perCaller: false },
    routeResponse: r.routeResponseSelectionExpression === '$default',
    // Refuses REST request validation on a WebSocket route, with its path.
    request: compileRouteRequest(r, ctx.api, [], issues, path),
  }
  if (isConnect) {
    compiled.authorization = ctx.compileAuthorization(r.authorization, ctx.authorizers, issues, path)
    const auth = compiled.authorization
    if (typeof auth === 'object' && auth.authorizer.config.type !== 'request') {
      issues.push({ path: path('authorization', 'authorizer'), message: `authorizer "${auth.authorizer.name}" is a ${auth.authorizer.config.type} authorizer; WebSocket APIs take Lambda REQUEST authorizers only (type: request)` })
    }
  }
  const fn = ctx.functions[integration.function]
  if (fn) compiled.function = fn
  else if (!/^arn:aws[a-z-]*:lambda:/.test(integration.function)) {
    const known = Object.keys(ctx.functions)
    issues.push({
      path: path('integration', 'function'),
      message: `no function "${integration.function}" in functions${known.length ? ` (known: ${known.join(', ')})` : ''}, and it is not a Lambda ARN`,
    })
  }
  return compiled
}

/**
 * The API-level parts of a WebSocket API (and the refusal of WebSocket-only keys elsewhere):
 * the route selection expression, the @connections API, the limits, what AWS does not offer.
 * @param input the config as written (defaults not applied), to tell a written value from a default
 */
export function compileWebSocketApi(
  api: CompiledApi,
  config: ApiConfig,
  input: unknown,
  root: PorticoConfig,
  issues: ConfigIssue[],
  warnings: string[],
): void {
  const at = (...p: (string | number)[]) => ['apis', api.index, ...p]
  if (api.type !== 'WEBSOCKET') {
    if (config.routeSelectionExpression !== undefined) issues.push({ path: at('routeSelectionExpression'), message: 'routeSelectionExpression applies to WebSocket APIs only' })
    if (config.connectionsApi !== undefined) issues.push({ path: at('connectionsApi'), message: 'the @connections API exists on WebSocket APIs only' })
    return
  }
  if (config.resourcePolicy !== undefined) issues.push({ path: at('resourcePolicy'), message: 'resource policies exist on REST APIs only (as on AWS)' })
  api.stages.forEach((s, i) => {
    if (s.throttle !== undefined) issues.push({ path: at('stages', i, 'throttle'), message: 'stage throttling is not supported on WebSocket APIs yet' })
  })
  if (api.routes.length > MAX_ROUTES) issues.push({ path: at('routes'), message: `a WebSocket API has at most ${MAX_ROUTES} routes (as on AWS)` })

  let selector: RouteSelector
  const expression = config.routeSelectionExpression ?? DEFAULT_ROUTE_SELECTION_EXPRESSION
  try {
    selector = compileRouteSelection(expression)
  } catch (e) {
    if (!(e instanceof SelectionExpressionError)) throw e
    issues.push({ path: at('routeSelectionExpression'), message: e.message })
    selector = compileRouteSelection(DEFAULT_ROUTE_SELECTION_EXPRESSION)
  }

  // API Gateway caches Lambda authorizer results for HTTP APIs only.
  const rawAuthorizers = rawField(input, ['apis', api.index, 'authorizers'])
  for (const [name, authorizer] of Object.entries(api.authorizers)) {
    const written = rawField(rawAuthorizers, [name, 'resultTtlInSeconds'])
    if (authorizer.config.type === 'request' && typeof written === 'number' && written > 0) {
      warnings.push(`apis[${api.index}].authorizers.${name}.resultTtlInSeconds: WebSocket API authorizers are invoked on every connection; results are not cached (as on AWS), so this is ignored`)
    }
  }

  const routes = new Map(api.routes.map((r) => [r.routeKey, r]))
  const authorization = config.connectionsApi?.authorization ?? (root.iam.credentials.length > 0 ? 'AWS_IAM' : 'NONE')
  if (authorization === 'AWS_IAM' && root.iam.credentials.length === 0) {
    warnings.push(`API "${api.name}": the @connections API requires SigV4 (connectionsApi.authorization AWS_IAM) but iam.credentials is empty: every HTTP call to it will be refused (handlers in this process can still use the in-process API)`)
  }
  const base = {
    payloadFormatVersion: '1.0' as const,
    template: null,
    index: -1,
    apiKeyRequired: false,
    caching: { keyParameters: [], perCaller: false },
    request: { parameters: [], models: {} },
  }
  api.websocket = {
    selector,
    routes,
    connect: routes.get('$connect') ?? {
      ...base,
      routeKey: '$connect',
      method: 'GET',
      resourcePath: '$connect',
      // No $connect route: every handshake is accepted (a 200 without a backend).
      integration: { type: 'mock', statusCode: 200, headers: {}, body: '', timeoutMs: DEFAULT_TIMEOUT_MS },
      resourceId: stableApiId(`${api.name}:$connect`, 6),
      authorization: 'NONE',
    },
    connectionsAuthorization: authorization,
    connectionsRoute: {
      ...base,
      routeKey: '@connections',
      method: 'ANY',
      resourcePath: '/@connections/{connectionId}',
      integration: { type: 'mock', statusCode: 200, headers: {}, body: '', timeoutMs: DEFAULT_TIMEOUT_MS },
      resourceId: stableApiId(`${api.name}:@connections`, 6),
      authorization: authorization,
      iamAction: 'execute-api:ManageConnections',
    },
    settings: root.settings.websocket,
  }
}

function rawField(value: unknown, path: (string | number)[]): unknown {
  let current = value
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string | number, unknown>)[key]
  }
  return current
}
