/**
 * Turns a config object (already parsed from YAML / JSON / TS) into the compiled gateway
 * model: zod validation, defaults, cross-field checks, route compilation. Runs once, at load.
 */
import { z } from 'zod'
import {
  configSchema,
  type ApiConfig,
  type FunctionConfig,
  type IntegrationConfig,
  type PorticoConfig,
  type SettingsConfig,
  type StageConfig,
} from './schema.ts'
import type { GatewayResponseOverride, GatewayResponseType } from '../core/errors.ts'
import type { RouteCachingConfig, StageCacheConfig } from './cache-schema.ts'
import type { QuotaConfig, ThrottleConfig } from './usage-schema.ts'
import type { ApiKeyConfig, AuthorizerConfig, IamCredentialConfig, PolicyDocument, RouteAuthorization } from './auth-schema.ts'
import { compileTemplate, type PathTemplate } from '../core/path-template.ts'
import { stableApiId } from '../core/ids.ts'
import { resourcePath as resourcePathSchema } from './typedefs.ts'
import type { HttpCorsConfig, RouteCorsConfig } from './cors-schema.ts'
import type { ModelConfig, RequestValidatorConfig } from './validation-schema.ts'
import { checkModels, compileRouteRequest, type CompiledRequestValidation } from './compile-request.ts'
import { preflightPlans } from './compile-cors.ts'
import { compileMapping, type CompiledMapping } from '../features/mapping/compile.ts'
import { compileWebSocketApi, compileWebSocketRoute, type CompiledWebSocket } from './load-websocket.ts'

/** One problem in a config, with the path of the field at fault. */
export interface ConfigIssue {
  path: (string | number)[]
  message: string
}

/** A config that cannot be served. `issues` lists every problem found. */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[]
  constructor(issues: ConfigIssue[], source?: string) {
    super(`${source ? source + ': ' : ''}invalid config\n${issues.map((i) => '  ' + formatIssue(i)).join('\n')}`)
    this.name = 'ConfigError'
    this.issues = issues
  }
}

/** `apis[0].routes[2].integration.type: message` */
export function formatIssue(issue: ConfigIssue): string {
  const path = issue.path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${key}` : key),
    '',
  )
  return `${path || '(root)'}: ${issue.message}`
}

export interface CompiledFunction {
  name: string
  config: FunctionConfig
}

export type CompiledIntegration = IntegrationConfig & { timeoutMs: number }

/** An authorizer of an API, with its Lambda function resolved. */
export interface CompiledAuthorizer {
  name: string
  config: AuthorizerConfig
  /** Lambda authorizers: the named function, or undefined for a bare ARN. */
  function?: CompiledFunction
}

export interface CompiledRoute {
  /** Route key as API Gateway writes it: "GET /users/{id}", "ANY /{proxy+}" or "$default". */
  routeKey: string
  method: string
  /** Resource path template; "$default" for the HTTP API default route. */
  resourcePath: string
  template: PathTemplate | null
  integration: CompiledIntegration
  /** For lambda and lambda_custom integrations: the named function, or undefined for a bare ARN. */
  function?: CompiledFunction
  /** Non-proxy integrations (lambda_custom, http, templated mock): templates and responses, compiled. */
  mapping?: CompiledMapping
  /** Event format for lambda integrations. */
  payloadFormatVersion: '1.0' | '2.0'
  /** Stable id (resourceId in events). */
  resourceId: string
  index: number
  /** NONE, AWS_IAM, or an authorizer (resolved) with scopes. */
  authorization: 'NONE' | 'AWS_IAM' | { authorizer: CompiledAuthorizer; scopes: string[] }
  apiKeyRequired: boolean
  caching: CompiledRouteCaching
  /** Method-level throttle; undefined when none. */
  throttle?: ThrottleConfig
  /** REST request validation as declared: validator, parameters, body models. */
  request: CompiledRequestValidation
  /** OPTIONS routes made from REST `cors` with several origins: the ones the answer may echo. */
  corsOrigins?: string[]
  /** WebSocket routes with routeResponseSelectionExpression $default: the answer goes back to the client. */
  routeResponse?: boolean
  /** The IAM action AWS_IAM callers need; default execute-api:Invoke (@connections: execute-api:ManageConnections). */
  iamAction?: string
}

/** A usage plan with its API stages resolved to API ids. */
export interface CompiledUsagePlan {
  id: string
  name: string
  description?: string
  throttle?: ThrottleConfig
  quota?: QuotaConfig
  apiStages: {
    apiId: string
    apiName: string
    stage: string
    /** Per-method overrides keyed by route key ("GET /pets/{id}"). */
    methodThrottle: Record<string, ThrottleConfig>
  }[]
  /** Ids of the config API keys linked to the plan. */
  apiKeyIds: string[]
}

export interface CompiledStage {
  name: string
  variables: Record<string, string>
  accessLog: { enabled: boolean; format: string }
  /** Response cache settings; undefined when the stage has none. */
  cache?: StageCacheConfig
  /** Stage-wide route throttle (defaultRouteSettings); undefined when none. */
  throttle?: ThrottleConfig
}

/** A cache key parameter, parsed: `method.request.querystring.filter` → {in: 'querystring', name: 'filter'}. */
export interface CacheKeyParameter {
  in: 'path' | 'querystring' | 'header'
  name: string
}

/** A route's caching as written (overrides); the stage's settings complete it per stage. */
export interface CompiledRouteCaching {
  enabled?: boolean
  ttlInSeconds?: number
  keyParameters: CacheKeyParameter[]
  /** Whether the caller's identity is part of the key. */
  perCaller: boolean
  requireAuthorizationForCacheControl?: boolean
  unauthorizedCacheControlHeaderStrategy?: StageCacheConfig['unauthorizedCacheControlHeaderStrategy']
}

export interface CompiledApi {
  id: string
  name: string
  type: 'REST' | 'HTTP' | 'WEBSOCKET'
  basePath: string
  hosts: string[]
  stages: CompiledStage[]
  routes: CompiledRoute[]
  binaryMediaTypes: string[]
  gatewayResponses: Partial<Record<GatewayResponseType, GatewayResponseOverride>>
  authorizers: Record<string, CompiledAuthorizer>
  apiKeySource: 'HEADER' | 'AUTHORIZER'
  resourcePolicy?: PolicyDocument
  /** HTTP APIs: CORS configuration; undefined when none. */
  cors?: HttpCorsConfig
  /** REST: models declared in config (the built-in Empty and Error are implied). */
  models: Record<string, ModelConfig>
  /** REST: request validators by name. */
  requestValidators: Record<string, RequestValidatorConfig>
  index: number
  /** WebSocket APIs: route selection, routes by key, the @connections API's authorization. */
  websocket?: CompiledWebSocket
}

/** The validated, compiled model a gateway is built from. */
export interface GatewayModel {
  settings: SettingsConfig
  functions: Record<string, CompiledFunction>
  apis: CompiledApi[]
  /** IAM identities that may sign requests to AWS_IAM routes. */
  iamCredentials: IamCredentialConfig[]
  /** API keys declared in config (values may still be env references). */
  apiKeys: ApiKeyConfig[]
  /** Usage plans declared in config. */
  usagePlans: CompiledUsagePlan[]
  /** Directory local handler paths are resolved against (the config file's). */
  baseDir?: string
  /** Reload generation (--watch): local modules are imported afresh for each. */
  moduleVersion?: number
}

export interface LoadResult {
  model: GatewayModel
  warnings: string[]
}

const DEFAULT_TIMEOUT = { REST: 29_000, HTTP: 30_000, WEBSOCKET: 29_000 } as const
const MAX_TIMEOUT = { REST: 300_000, HTTP: 30_000, WEBSOCKET: 29_000 } as const

/**
 * Validates and compiles a config object. Throws ConfigError listing every problem.
 * @param input the parsed config document
 * @param opts.baseDir directory local handlers are resolved against
 * @param opts.source file name used in error messages
 */
export function loadModel(input: unknown, opts: { baseDir?: string; source?: string } = {}): LoadResult {
  const parsed = configSchema.safeParse(input)
  if (!parsed.success) throw new ConfigError(zodIssues(parsed.error), opts.source)
  const config: PorticoConfig = parsed.data
  const issues: ConfigIssue[] = []
  const warnings: string[] = []

  const functions: Record<string, CompiledFunction> = {}
  for (const [name, fn] of Object.entries(config.functions)) functions[name] = { name, config: fn }

  const apis = config.apis.map((api, apiIndex) => compileApi(api, apiIndex, config, functions, issues, warnings))
  apis.forEach((api, i) => {
    if (api.type === 'WEBSOCKET' || config.apis[i]!.routeSelectionExpression !== undefined || config.apis[i]!.connectionsApi !== undefined) {
      compileWebSocketApi(api, config.apis[i]!, input, config, issues, warnings)
    }
  })

  // Two APIs may not answer on the same host + base path.
  for (let i = 0; i < apis.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = apis[i]!
      const b = apis[j]!
      // A host-specific API beats a catch-all one, so only equal host sets collide.
      const sharedHost = (a.hosts.length === 0 && b.hosts.length === 0) || a.hosts.some((h) => b.hosts.includes(h))
      if (sharedHost && a.basePath === b.basePath) {
        issues.push({
          path: ['apis', i, 'basePath'],
          message: `"${a.basePath}" is already used by API "${b.name}" on the same hosts: give one of them another basePath or hosts`,
        })
      }
    }
    const dupName = apis.findIndex((x) => x.name === apis[i]!.name)
    if (dupName !== i) issues.push({ path: ['apis', i, 'name'], message: `API name "${apis[i]!.name}" is used twice` })
  }

  checkApiKeys(config, issues)
  const usagePlans = compileUsagePlans(config, apis, issues)
  const iamRoutes = apis.some((a) => a.routes.some((r) => r.authorization === 'AWS_IAM'))
  if (iamRoutes && config.iam.credentials.length === 0) {
    warnings.push('AWS_IAM routes exist but iam.credentials is empty: every signed request will be refused')
  }
  if (issues.length) throw new ConfigError(issues, opts.source)
  return {
    model: {
      settings: config.settings,
      functions,
      apis,
      iamCredentials: config.iam.credentials,
      apiKeys: config.apiKeys,
      usagePlans,
      baseDir: opts.baseDir,
    },
    warnings,
  }
}

function compileApi(
  api: ApiConfig,
  apiIndex: number,
  config: PorticoConfig,
  functions: Record<string, CompiledFunction>,
  issues: ConfigIssue[],
  warnings: string[],
): CompiledApi {
  const at = (...path: (string | number)[]) => ['apis', apiIndex, ...path]
  if (api.type !== 'REST' && Object.keys(api.gatewayResponses).length) {
    issues.push({ path: at('gatewayResponses'), message: 'gateway responses can only be customised on REST APIs (as on AWS)' })
  }
  if (api.type !== 'REST' && api.binaryMediaTypes.length) {
    issues.push({ path: at('binaryMediaTypes'), message: 'binaryMediaTypes applies to REST APIs only; HTTP APIs detect binary bodies themselves' })
  }

  const stagesIn: StageConfig[] =
    api.stages ?? [{ name: api.type === 'HTTP' ? '$default' : 'prod', variables: {} }]
  const stages: CompiledStage[] = stagesIn.map((s, i) => {
    if (s.name === '$default' && api.type !== 'HTTP') {
      issues.push({ path: at('stages', i, 'name'), message: '$default stages exist on HTTP APIs only' })
    }
    if (stagesIn.findIndex((x) => x.name === s.name) !== i) {
      issues.push({ path: at('stages', i, 'name'), message: `stage "${s.name}" is declared twice` })
    }
    if (s.cache && api.type !== 'REST') issues.push({ path: at('stages', i, 'cache'), message: 'response caching exists on REST APIs only (as on AWS)' })
    return { name: s.name, variables: s.variables, accessLog: s.accessLog ?? config.settings.accessLog, cache: s.cache, throttle: s.throttle }
  })

  const authorizers = compileAuthorizers(api, functions, issues, at)
  const id = api.id ?? stableApiId(api.name, 10)
  if (api.type !== 'HTTP' && api.cors) {
    issues.push({
      path: at('cors'),
      message:
        api.type === 'REST'
          ? 'REST APIs answer preflights with OPTIONS routes: set cors on the routes (as serverless.yml does on http events)'
          : 'CORS configuration exists on HTTP APIs only (as on AWS)',
    })
  }
  for (const key of ['models', 'requestValidators'] as const) {
    if (api.type !== 'REST' && Object.keys(api[key]).length) issues.push({ path: at(key), message: 'request validation exists on REST APIs only (as on AWS)' })
  }
  if (api.type === 'REST') checkModels(id, api.models, issues, at)
  if (api.cors?.allowCredentials && api.cors.allowOrigins.includes('*')) {
    warnings.push(`API "${api.name}": cors.allowCredentials with allowOrigins "*" answers Access-Control-Allow-Origin: *, which browsers refuse for requests with credentials`)
  }
  const seen = new Map<string, number>()
  const routes: CompiledRoute[] = []
  const corsOf = new Map<CompiledRoute, RouteCorsConfig>()
  api.routes.forEach((r, i) => {
    const path = (...p: (string | number)[]) => at('routes', i, ...p)
    if (api.type === 'WEBSOCKET') {
      const compiled = compileWebSocketRoute(r, i, { api, functions, authorizers, seen, issues, path, compileAuthorization: compileRouteAuthorization })
      if (compiled) routes.push(compiled)
      return
    }
    if (r.routeResponseSelectionExpression !== undefined) {
      issues.push({ path: path('routeResponseSelectionExpression'), message: 'route responses exist on WebSocket APIs only' })
    }
    let method: string
    let resourcePath: string
    if (r.route !== undefined) {
      if (r.method !== undefined || r.path !== undefined) {
        issues.push({ path: path('route'), message: 'give either "route" or "method" + "path", not both' })
        return
      }
      if (r.route === '$default') {
        if (api.type !== 'HTTP') {
          issues.push({ path: path('route'), message: 'the $default route exists on HTTP APIs only' })
          return
        }
        method = 'ANY'
        resourcePath = '$default'
      } else {
        const m = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) (\/\S*)$/.exec(r.route)
        if (!m) {
          issues.push({ path: path('route'), message: 'a route key is "METHOD /path" (e.g. "GET /users/{id}") or "$default"' })
          return
        }
        method = m[1]!
        resourcePath = m[2]!
        const check = resourcePathSchema.safeParse(resourcePath)
        if (!check.success) {
          for (const issue of check.error.issues) issues.push({ path: path('route'), message: issue.message })
          return
        }
      }
    } else {
      if (r.path === undefined) {
        issues.push({ path: path('path'), message: 'a route needs "path" (or "route")' })
        return
      }
      method = r.method ?? 'ANY'
      resourcePath = r.path
    }
    const normalized = resourcePath === '$default' || resourcePath === '/' ? resourcePath : resourcePath.replace(/\/$/, '')
    let template: PathTemplate | null = null
    if (normalized !== '$default') {
      try {
        template = compileTemplate(normalized)
      } catch (e) {
        issues.push({ path: path(r.route !== undefined ? 'route' : 'path'), message: (e as Error).message })
        return
      }
    }
    const routeKey = normalized === '$default' ? '$default' : `${method} ${normalized}`
    const dup = seen.get(routeKey)
    if (dup !== undefined) {
      issues.push({ path: path(), message: `route "${routeKey}" is already defined at routes[${dup}]` })
      return
    }
    seen.set(routeKey, i)

    const integration = r.integration
    const maxTimeout = MAX_TIMEOUT[api.type]
    if ('timeoutMs' in integration && integration.timeoutMs !== undefined && integration.timeoutMs > maxTimeout) {
      issues.push({
        path: path('integration', 'timeoutMs'),
        message: `must be at most ${maxTimeout} ms on ${api.type} APIs`,
      })
    }
    const compiled: CompiledRoute = {
      routeKey,
      method,
      resourcePath: normalized,
      template,
      integration: { ...integration, timeoutMs: ('timeoutMs' in integration && integration.timeoutMs) || DEFAULT_TIMEOUT[api.type] },
      payloadFormatVersion: '1.0',
      resourceId: stableApiId(`${api.name}:${normalized}`, 6),
      index: i,
      authorization: 'NONE',
      apiKeyRequired: r.apiKeyRequired,
      caching: { keyParameters: [], perCaller: false },
      throttle: r.throttle,
      request: compileRouteRequest(r, api, template?.paramNames ?? [], issues, path),
    }
    if (r.cors !== undefined) {
      if (api.type !== 'REST') issues.push({ path: path('cors'), message: 'HTTP APIs configure CORS once per API (cors on the API), as on AWS' })
      else corsOf.set(compiled, r.cors)
    }
    compiled.authorization = compileRouteAuthorization(r.authorization, authorizers, issues, path)
    compiled.caching = compileRouteCaching(r.caching, compiled, api, issues, warnings, path)
    if (r.apiKeyRequired && api.type !== 'REST') {
      issues.push({ path: path('apiKeyRequired'), message: 'API keys exist on REST APIs only (as on AWS)' })
    }
    if (integration.type === 'lambda' || integration.type === 'lambda_custom') {
      if (integration.type === 'lambda' && api.type === 'REST' && integration.payloadFormatVersion === '2.0') {
        issues.push({ path: path('integration', 'payloadFormatVersion'), message: 'REST APIs always send payload 1.0' })
      }
      if (integration.type === 'lambda') compiled.payloadFormatVersion = api.type === 'HTTP' ? (integration.payloadFormatVersion ?? '2.0') : '1.0'
      const fn = functions[integration.function]
      if (fn) compiled.function = fn
      else if (!/^arn:aws[a-z-]*:lambda:/.test(integration.function)) {
        const known = Object.keys(functions)
        issues.push({
          path: path('integration', 'function'),
          message: `no function "${integration.function}" in functions${known.length ? ` (known: ${known.join(', ')})` : ''}, and it is not a Lambda ARN`,
        })
      }
    }
    if (integration.type === 'http_proxy' && template) {
      for (const m of integration.uri.matchAll(/\{([A-Za-z0-9_]+)\+?\}/g)) {
        if (!template.paramNames.includes(m[1]!)) {
          issues.push({
            path: path('integration', 'uri'),
            message: `{${m[1]}} is not a path parameter of ${normalized}`,
          })
        }
      }
    }
    if (integration.type === 'mock' && api.type === 'HTTP') {
      issues.push({ path: path('integration', 'type'), message: 'mock integrations exist on REST APIs only (as on AWS)' })
    }
    if (integration.type === 'lambda_custom' || integration.type === 'http' || (integration.type === 'mock' && integration.responses)) {
      if (api.type !== 'REST' && integration.type !== 'mock') {
        issues.push({ path: path('integration', 'type'), message: `${integration.type} (non-proxy) integrations exist on REST APIs only (as on AWS); HTTP APIs use lambda or http_proxy` })
      }
      compiled.mapping = compileMapping(integration, (p, message) => issues.push({ path: path('integration', ...p), message }))
      if (integration.type === 'http') checkHttpUri(integration.uri, compiled, template, issues, path)
    }
    routes.push(compiled)
  })
  if (api.type === 'REST') {
    checkSiblingVariables(routes, issues, at)
    addPreflightRoutes(api, routes, corsOf, issues, at)
  }
  for (const stage of stages) {
    for (const route of routes) {
      const i = route.integration
      const text = i.type === 'http_proxy' || i.type === 'http' ? i.uri : i.type === 'lambda' || i.type === 'lambda_custom' ? (route.function?.config.arn ?? i.function) : ''
      for (const m of text.matchAll(/\$\{stageVariables\.([A-Za-z0-9_]+)\}/g)) {
        if (stage.variables[m[1]!] === undefined) {
          warnings.push(`API "${api.name}" stage "${stage.name}" has no variable "${m[1]}", used by route "${route.routeKey}": its requests will fail with 500`)
        }
      }
    }
  }
  if (routes.length === 0 && api.routes.length === 0) {
    warnings.push(api.type === 'WEBSOCKET'
      ? `API "${api.name}" has no routes: connections are accepted, and every message is answered Forbidden`
      : `API "${api.name}" has no routes: every request will be rejected`)
  }

  return {
    id,
    name: api.name,
    type: api.type,
    basePath: api.basePath,
    hosts: api.hosts.map((h) => h.toLowerCase()),
    stages,
    routes,
    binaryMediaTypes: api.binaryMediaTypes,
    gatewayResponses: api.gatewayResponses as CompiledApi['gatewayResponses'],
    authorizers,
    apiKeySource: api.apiKeySource,
    resourcePolicy: api.resourcePolicy,
    cors: api.type === 'HTTP' ? api.cors : undefined,
    models: api.models,
    requestValidators: api.requestValidators,
    index: apiIndex,
  }
}

/**
 * REST `cors`: an OPTIONS mock route per path (see compile-cors.ts), placed after the last
 * route of its path so the route table reads in order.
 */
function addPreflightRoutes(
  api: ApiConfig,
  routes: CompiledRoute[],
  corsOf: Map<CompiledRoute, RouteCorsConfig>,
  issues: ConfigIssue[],
  at: (...p: (string | number)[]) => (string | number)[],
) {
  const plans = preflightPlans(
    routes.map((r) => ({ method: r.method, resourcePath: r.resourcePath, index: r.index, cors: corsOf.get(r) })),
    issues,
    at,
  )
  for (const plan of plans) {
    const route: CompiledRoute = {
      routeKey: `OPTIONS ${plan.path}`,
      method: 'OPTIONS',
      resourcePath: plan.path,
      template: compileTemplate(plan.path),
      integration: { type: 'mock', statusCode: 200, headers: plan.headers, body: '', timeoutMs: DEFAULT_TIMEOUT.REST },
      payloadFormatVersion: '1.0',
      resourceId: stableApiId(`${api.name}:${plan.path}`, 6),
      index: plan.index,
      authorization: 'NONE',
      apiKeyRequired: false,
      caching: { keyParameters: [], perCaller: false },
      request: { parameters: [], models: {} },
    }
    if (plan.origins.length) route.corsOrigins = plan.origins
    const last = routes.findLastIndex((r) => r.resourcePath === plan.path)
    routes.splice(last + 1, 0, route)
  }
}

/**
 * An http integration's {x} come from integration.request.path.x, else from the route's own
 * {x} (Portico fills those in, as the importers map them); any other {x} could never be filled.
 */
function checkHttpUri(
  uri: string,
  route: CompiledRoute,
  template: PathTemplate | null,
  issues: ConfigIssue[],
  path: (...p: (string | number)[]) => (string | number)[],
) {
  const mapped = new Set((route.mapping?.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name))
  for (const m of uri.matchAll(/\{([A-Za-z0-9_]+)\+?\}/g)) {
    if (!mapped.has(m[1]!) && !template?.paramNames.includes(m[1]!)) {
      issues.push({ path: path('integration', 'uri'), message: `{${m[1]}} is neither mapped (integration.request.path.${m[1]}) nor a path parameter of ${route.resourcePath}` })
    }
  }
}

const REST_IDENTITY = /^(method\.request\.(header|querystring)\.[\w-]+|stageVariables\.\w+|context\.[\w.]+)$/
const HTTP_IDENTITY = /^\$(request\.(header|querystring)\.[\w-]+|context\.[\w.]+|stageVariables\.\w+)$/
const WEBSOCKET_IDENTITY = /^(route\.request\.(header|querystring)\.[\w-]+|stageVariables\.\w+|context\.[\w.]+)$/
const IDENTITY_HELP = {
  REST: 'method.request.header.X, method.request.querystring.X, stageVariables.X, context.X',
  HTTP: '$request.header.X, $request.querystring.X, $context.X, $stageVariables.X',
  WEBSOCKET: 'route.request.header.X, route.request.querystring.X, stageVariables.X, context.X',
}

function compileAuthorizers(
  api: ApiConfig,
  functions: Record<string, CompiledFunction>,
  issues: ConfigIssue[],
  at: (...p: (string | number)[]) => (string | number)[],
): Record<string, CompiledAuthorizer> {
  const out: Record<string, CompiledAuthorizer> = {}
  for (const [name, config] of Object.entries(api.authorizers)) {
    const path = (...p: (string | number)[]) => at('authorizers', name, ...p)
    const compiled: CompiledAuthorizer = { name, config }
    if (config.type === 'jwt' && api.type !== 'HTTP') issues.push({ path: path('type'), message: 'JWT authorizers exist on HTTP APIs only; REST APIs use cognito_user_pools' })
    if (config.type === 'cognito_user_pools' && api.type !== 'REST') issues.push({ path: path('type'), message: 'Cognito user pool authorizers exist on REST APIs only; HTTP APIs use jwt' })
    if (config.type === 'token' && api.type !== 'REST') issues.push({ path: path('type'), message: 'TOKEN authorizers exist on REST APIs only; HTTP and WebSocket APIs use request' })
    if (config.type === 'token' || config.type === 'request') {
      const fn = functions[config.function]
      if (fn) compiled.function = fn
      else if (!/^arn:aws[a-z-]*:lambda:/.test(config.function)) {
        issues.push({ path: path('function'), message: `no function "${config.function}" in functions, and it is not a Lambda ARN` })
      }
      const sources = config.identitySource === undefined ? [] : Array.isArray(config.identitySource) ? config.identitySource : config.identitySource.split(',').map((x) => x.trim())
      const pattern = api.type === 'REST' ? REST_IDENTITY : api.type === 'HTTP' ? HTTP_IDENTITY : WEBSOCKET_IDENTITY
      for (const source of sources) {
        if (!pattern.test(source)) {
          issues.push({
            path: path('identitySource'),
            message: `"${source}" is not an identity source of ${api.type} APIs (${IDENTITY_HELP[api.type]})`,
          })
        }
      }
      if (config.type === 'token' && sources.length > 1) issues.push({ path: path('identitySource'), message: 'a TOKEN authorizer reads one header' })
      if (config.type === 'token' && sources.some((x) => !x.startsWith('method.request.header.'))) {
        issues.push({ path: path('identitySource'), message: 'a TOKEN authorizer reads a header: method.request.header.X' })
      }
      // WebSocket authorizers never cache (load-websocket.ts says so), so need no cache key.
      if (config.type === 'request' && api.type !== 'WEBSOCKET' && config.resultTtlInSeconds > 0 && sources.length === 0) {
        issues.push({ path: path('identitySource'), message: 'a REQUEST authorizer with caching (resultTtlInSeconds > 0) needs identity sources, the cache key' })
      }
      if (config.identityValidationExpression !== undefined && config.type !== 'token') {
        issues.push({ path: path('identityValidationExpression'), message: 'identityValidationExpression applies to TOKEN authorizers' })
      }
      if (api.type !== 'HTTP' && config.payloadFormatVersion !== undefined) {
        issues.push({ path: path('payloadFormatVersion'), message: `${api.type} Lambda authorizers have one event format; payloadFormatVersion is for HTTP APIs` })
      }
      if (config.enableSimpleResponses && (api.type !== 'HTTP' || (config.payloadFormatVersion ?? '2.0') !== '2.0')) {
        issues.push({ path: path('enableSimpleResponses'), message: 'simple responses exist for HTTP API authorizers with payload 2.0 only' })
      }
    }
    for (const key of ['identityValidationExpression'] as const) {
      const expr = (config as { [k in typeof key]?: string })[key]
      if (expr !== undefined) {
        try {
          new RegExp(expr)
        } catch (e) {
          issues.push({ path: path(key), message: `not a valid regular expression: ${(e as Error).message}` })
        }
      }
    }
    out[name] = compiled
  }
  return out
}

function compileRouteAuthorization(
  auth: RouteAuthorization,
  authorizers: Record<string, CompiledAuthorizer>,
  issues: ConfigIssue[],
  path: (...p: (string | number)[]) => (string | number)[],
): CompiledRoute['authorization'] {
  if (auth === 'NONE' || auth === 'AWS_IAM') return auth
  const authorizer = authorizers[auth.authorizer]
  if (!authorizer) {
    const known = Object.keys(authorizers)
    issues.push({
      path: path('authorization', 'authorizer'),
      message: `no authorizer "${auth.authorizer}" in this API's authorizers${known.length ? ` (known: ${known.join(', ')})` : ''}`,
    })
    return 'NONE'
  }
  const t = authorizer.config.type
  if (auth.scopes.length && t !== 'jwt' && t !== 'cognito_user_pools') {
    issues.push({ path: path('authorization', 'scopes'), message: 'scopes apply to JWT and Cognito authorizers only' })
  }
  return { authorizer, scopes: auth.scopes }
}

function compileRouteCaching(
  caching: RouteCachingConfig | undefined,
  route: CompiledRoute,
  api: ApiConfig,
  issues: ConfigIssue[],
  warnings: string[],
  path: (...p: (string | number)[]) => (string | number)[],
): CompiledRouteCaching {
  const guarded = route.authorization !== 'NONE' || route.apiKeyRequired
  if (!caching) return { keyParameters: [], perCaller: guarded }
  if (api.type !== 'REST') issues.push({ path: path('caching'), message: 'response caching exists on REST APIs only (as on AWS)' })
  const keyParameters: CacheKeyParameter[] = []
  caching.cacheKeyParameters.forEach((text, i) => {
    const m = /^(?:method\.)?request\.(path|querystring|header)\.(.+)$/.exec(text)!
    const param = { in: m[1] as CacheKeyParameter['in'], name: m[2]! }
    if (param.in === 'path' && !route.template?.paramNames.includes(param.name)) {
      issues.push({ path: path('caching', 'cacheKeyParameters', i), message: `{${param.name}} is not a path parameter of ${route.resourcePath}` })
    }
    keyParameters.push(param)
  })
  if (guarded && caching.perCaller === false) {
    warnings.push(`route "${route.routeKey}" of API "${api.name}" caches without the caller in the key: one caller's cached answer is served to every other authorized caller`)
  }
  return {
    enabled: caching.enabled,
    ttlInSeconds: caching.ttlInSeconds,
    keyParameters,
    perCaller: caching.perCaller ?? guarded,
    requireAuthorizationForCacheControl: caching.requireAuthorizationForCacheControl,
    unauthorizedCacheControlHeaderStrategy: caching.unauthorizedCacheControlHeaderStrategy,
  }
}

/** The id a config API key gets: its own, or one derived from its name. */
export function configApiKeyId(key: Pick<ApiKeyConfig, 'id' | 'name'>): string {
  return key.id ?? stableApiId('apiKey:' + key.name, 10)
}

function compileUsagePlans(config: PorticoConfig, apis: CompiledApi[], issues: ConfigIssue[]): CompiledUsagePlan[] {
  const keyIds = new Map(config.apiKeys.map((k) => [k.name, configApiKeyId(k)]))
  const planOfKeyStage = new Map<string, number>()
  const ids = new Map<string, number>()
  return config.usagePlans.map((plan, i) => {
    const at = (...p: (string | number)[]) => ['usagePlans', i, ...p]
    const id = plan.id ?? stableApiId('usagePlan:' + plan.name, 10)
    const prior = ids.get(id) ?? ids.get('name:' + plan.name)
    if (prior !== undefined) issues.push({ path: at(plan.id ? 'id' : 'name'), message: `the same ${plan.id ? 'id' : 'name'} as usagePlans[${prior}]` })
    ids.set(id, i)
    ids.set('name:' + plan.name, i)
    const apiStages = plan.apiStages.map((ps, j) => {
      const api = apis.find((a) => a.name === ps.api)
      if (!api) {
        issues.push({ path: at('apiStages', j, 'api'), message: `no API named "${ps.api}"` })
        return { apiId: '', apiName: ps.api, stage: ps.stage, methodThrottle: {} }
      }
      if (api.type !== 'REST') issues.push({ path: at('apiStages', j, 'api'), message: 'usage plans apply to REST APIs only (as on AWS)' })
      if (!api.stages.some((s) => s.name === ps.stage)) issues.push({ path: at('apiStages', j, 'stage'), message: `API "${api.name}" has no stage "${ps.stage}"` })
      const methodThrottle: Record<string, ThrottleConfig> = {}
      for (const [key, throttle] of Object.entries(ps.throttle)) {
        // AWS writes "/pets/GET" (root "//GET"); Portico also takes "GET /pets".
        const aws = /^(\/.*)\/([A-Z*]+)$/.exec(key)
        const [method, path] = aws ? [aws[2]!, aws[1] === '/' ? '/' : aws[1]!] : (key.split(' ') as [string, string])
        const route = api.routes.find((r) => r.resourcePath === path && (r.method === method || method === '*'))
        if (!route) {
          issues.push({ path: at('apiStages', j, 'throttle', key), message: `API "${api.name}" has no route ${method} ${path}` })
          continue
        }
        for (const r of api.routes) if (r.resourcePath === path && (r.method === method || method === '*')) methodThrottle[r.routeKey] = throttle
      }
      return { apiId: api.id, apiName: api.name, stage: ps.stage, methodThrottle }
    })
    const apiKeyIds = plan.apiKeys.flatMap((name, k) => {
      const keyId = keyIds.get(name)
      if (!keyId) {
        issues.push({ path: at('apiKeys', k), message: `no API key named "${name}" in apiKeys` })
        return []
      }
      // A key may belong to one plan per API stage, as on AWS.
      for (const st of apiStages) {
        const slot = `${keyId}:${st.apiId}/${st.stage}`
        const other = planOfKeyStage.get(slot)
        if (other !== undefined && other !== i) {
          issues.push({ path: at('apiKeys', k), message: `API key "${name}" is already in usagePlans[${other}] for ${st.apiName}/${st.stage}: a key may belong to one plan per stage` })
        }
        planOfKeyStage.set(slot, i)
      }
      return [keyId]
    })
    return { id, name: plan.name, description: plan.description, throttle: plan.throttle, quota: plan.quota, apiStages, apiKeyIds }
  })
}

function checkApiKeys(config: PorticoConfig, issues: ConfigIssue[]) {
  const seen = { name: new Map<string, number>(), id: new Map<string, number>(), value: new Map<string, number>() }
  config.apiKeys.forEach((key, i) => {
    for (const field of ['name', 'id', 'value'] as const) {
      const v = key[field]
      if (v === undefined) continue
      const prior = seen[field].get(v)
      if (prior !== undefined) issues.push({ path: ['apiKeys', i, field], message: `the same ${field} as apiKeys[${prior}]` })
      else seen[field].set(v, i)
    }
  })
}

/**
 * REST resources form a tree in which a resource has at most one variable child: AWS refuses
 * `/p/{id}` next to `/p/{name}` ("A sibling of this resource already has a variable path part").
 */
function checkSiblingVariables(routes: CompiledRoute[], issues: ConfigIssue[], at: (...p: (string | number)[]) => (string | number)[]) {
  const variableChild = new Map<string, { part: string; index: number }>()
  for (const route of routes) {
    const parts = route.template?.source === '/' ? [] : (route.template?.source.split('/').slice(1) ?? [])
    parts.forEach((part, depth) => {
      if (!part.startsWith('{')) return
      const parent = '/' + parts.slice(0, depth).join('/')
      const seen = variableChild.get(parent)
      if (!seen) variableChild.set(parent, { part, index: route.index })
      else if (seen.part !== part) {
        issues.push({
          path: at('routes', route.index, 'path'),
          message: `${part} under ${parent} conflicts with ${seen.part} of routes[${seen.index}]: a resource can have only one variable child (as on AWS)`,
        })
      }
    })
  }
}

function zodIssues(error: z.ZodError): ConfigIssue[] {
  const out: ConfigIssue[] = []
  const walk = (issue: z.core.$ZodIssue, prefix: PropertyKey[]) => {
    const path = [...prefix, ...issue.path]
    if (issue.code === 'invalid_union' && issue.errors.length) {
      // A discriminated union with a bad discriminator has no branch errors; others list each branch.
      for (const branch of issue.errors) for (const inner of branch) walk(inner, path)
      return
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...path, key].map(toKey), message: 'unknown key (check its spelling; unknown keys are not ignored)' })
      return
    }
    if (issue.code === 'invalid_key' && issue.issues.length) {
      // A record key that fails its own schema: report the key's message, not "Invalid key".
      for (const inner of issue.issues) out.push({ path: path.map(toKey), message: inner.message })
      return
    }
    out.push({ path: path.map(toKey), message: issue.message })
  }
  for (const issue of error.issues) walk(issue, [])
  return out
}

function toKey(k: PropertyKey): string | number {
  return typeof k === 'number' ? k : String(k)
}
