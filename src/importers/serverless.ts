/**
 * Imports a Serverless Framework service (serverless.yml, already parsed) as a Portico config:
 * `http` events become one REST API named after the service (its stage: --stage, then
 * provider.stage, then dev), `httpApi` events one HTTP API on the $default stage, as the
 * framework deploys them. The result is a plain config object for loadModel.
 *
 * Rules:
 * - Every key Portico does not act on is a warning with its path; deployment-only keys (IAM
 *   roles, tags, VPC, packaging) say so.
 * - Non-proxy integrations (`integration: lambda` / `aws`, `http`, `mock`) keep their request
 *   templates, passThrough, response headers, template and statusCodes, with the framework's
 *   defaults (its request templates and status codes for lambda, passThrough NEVER for lambda).
 * - Where serving would differ from AWS (an unknown authorizer, a cache key Portico cannot
 *   build, a template that does not parse, a variable it cannot resolve) the import fails with a
 *   ConfigError whose issue paths are paths in the serverless.yml document, so the file loader
 *   can add line numbers.
 *
 * Choices where the framework or the guide leave room (README, serverless.yml):
 * - `provider.apiGateway.throttle` (the guide's "account-level settings") becomes the REST
 *   API stage's throttle (defaultRouteSettings): the only throttle a service can set on AWS is
 *   its stage's (the serverless-api-gateway-throttling plugin does the same), while Portico's
 *   `settings.throttle` is the whole gateway's, shared with whatever else it serves.
 * - A function-level `throttle` (the guide) becomes the route throttle of each of its http
 *   and httpApi events.
 * - An API key given by name only gets its value from the environment variable
 *   API_KEY_<NAME> (AWS would generate one; Portico never invents secrets it would then have
 *   to print).
 * - When the service has both http and httpApi events (two hosts on AWS), the HTTP API is
 *   mounted at /http (custom.portico.httpApiBasePath changes it), with a warning.
 * - `provider.apiGateway.caching` (the guide's form) enables the stage cache as AWS's stage
 *   setting does: GET methods are cached, events' `caching` override. The
 *   serverless-api-gateway-caching plugin's `custom.apiGatewayCaching` keeps the plugin's
 *   meaning: only events with `caching.enabled: true` are cached.
 * - Portico-only settings live in `custom.portico`: `settings` (merged into the gateway
 *   settings), `iam` (credentials for aws_iam routes), `authorizers.<name>` (issuer / jwksUri /
 *   jwks overrides, e.g. for a local identity provider) and `httpApiBasePath`.
 */
import { ConfigError, formatIssue, type ConfigIssue } from '../model/load.ts'
import type { PorticoConfigInput } from '../model/schema.ts'
import { HTTP_METHODS, resourcePath as resourcePathSchema } from '../model/typedefs.ts'
import { DEFAULT_CORS_HEADERS } from '../model/cors-schema.ts'
import { modelNameFrom } from '../model/models.ts'
import { VariableResolver } from './serverless-variables.ts'
import { SERVERLESS_STATUS_CODES, serverlessLambdaTemplates } from './serverless-templates.ts'
import { compileTemplate } from '../features/mapping/vtl.ts'
import { parseSource } from '../features/mapping/parameters.ts'
import { javaRegex } from '../features/mapping/java.ts'
import { ServerlessWebSocketApi } from './serverless-websocket.ts'

/** Options of an import: the CLI's --stage / --region, the environment, the file (messages). */
export interface ServerlessImportOptions {
  stage?: string
  region?: string
  env: Record<string, string | undefined>
  file?: string
}

/** A Portico config and what the import could not carry over. */
export interface ServerlessImport {
  config: PorticoConfigInput
  warnings: string[]
}

type Path = (string | number)[]
type Obj = Record<string, unknown>

/**
 * Whether a parsed document is a Serverless Framework service, by content: `service` with an
 * AWS `provider`, or `functions` with `events` (a Portico config has `apis` instead).
 */
export function isServerlessDocument(doc: unknown): boolean {
  if (!isObject(doc) || 'apis' in doc) return false
  const provider = doc.provider
  if (doc.service !== undefined && isObject(provider) && provider.name === 'aws') return true
  return functionEntries(doc.functions).some(([, fn]) => isObject(fn) && Array.isArray(fn.events))
}

/**
 * Converts a serverless.yml document into a Portico config.
 * @param doc the parsed YAML document
 * @param opts stage and region options (as `--stage` / `--region`), environment (env:NAME), file name
 * @throws ConfigError listing every problem, with paths into the document
 */
export function importServerless(doc: unknown, opts: ServerlessImportOptions): ServerlessImport {
  if (!isObject(doc)) throw new ConfigError([{ path: [], message: 'a serverless.yml document is a mapping (service, provider, functions)' }], opts.file)
  return new Importer(doc, opts).run()
}

/** Keys that only matter to a deployment (CloudFormation, IAM, packaging); ignored with a note. */
const DEPLOYMENT_TOP = new Set(['package', 'resources', 'layers', 'outputs', 'params', 'stages'])
/** Keys about the framework itself, with no effect on what is served. */
const FRAMEWORK_TOP = new Set([
  'frameworkVersion', 'configValidationMode', 'variablesResolutionMode', 'deprecationNotificationMode',
  'disabledDeprecations', 'org', 'app', 'console', 'dashboard', 'licenseKey',
])
const DEPLOYMENT_PROVIDER = new Set([
  'iam', 'iamRoleStatements', 'iamManagedPolicies', 'role', 'rolePermissionsBoundary', 'cfnRole', 'deploymentBucket',
  'deploymentPrefix', 'deploymentMethod', 'profile', 'stackName', 'stackTags', 'stackPolicy', 'stackParameters', 'tags',
  'versionFunctions', 'architecture', 'logRetentionInDays', 'logDataProtectionPolicy', 'kmsKeyArn', 'vpc', 'layers', 'ecr',
  'notificationArns', 'rollbackConfiguration', 'lambdaHashingVersion', 'disableRollback', 'runtimeManagement',
  'ephemeralStorage', 'tracing', 's3', 'eventBridge', 'alb', 'cloudFront', 'vpcEndpointIds',
])
const DEPLOYMENT_FUNCTION = new Set([
  'name', 'role', 'layers', 'vpc', 'tags', 'reservedConcurrency', 'provisionedConcurrency', 'package', 'iamRoleStatements',
  'iamRoleStatementsName', 'destinations', 'onError', 'tracing', 'architecture', 'ephemeralStorage', 'snapStart',
  'logRetentionInDays', 'kmsKeyArn', 'maximumRetryAttempts', 'maximumEventAge', 'disableLogs', 'logs', 'condition',
  'dependsOn', 'fileSystemConfig', 'runtimeManagement', 'versionFunction', 'skipSetup',
])

const STRICT_COGNITO_ARN = /^arn:aws:cognito-idp:[a-z0-9-]+:\d{12}:userpool\/[\w-]+$/
const LOOSE_COGNITO_ARN = /^arn:aws:cognito-idp:([^:]*):([^:]*):userpool\/(.+)$/
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:([^:]+)/
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/
const DEFAULT_ACCOUNT = '123456789012'

interface RestRoute {
  route: Obj
  at: Path
  pathParams: string[]
  method: string
  /** The event's own caching.enabled, when given. */
  cachingEnabled?: boolean
}

interface HttpRoute {
  route: Obj
  at: Path
  /** The route's method (ANY for the catch-all), for the CORS methods the framework fills in. */
  method: string
}

/** Methods an ANY route adds to a filled-in HTTP API CORS configuration, in the framework's order. */
const HTTP_API_CORS_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'OPTIONS', 'HEAD', 'DELETE']

interface AuthorizerEntry {
  config: Obj
  at: Path
}

class Importer {
  private readonly doc: Obj
  private readonly opts: ServerlessImportOptions
  private readonly vars: VariableResolver
  private readonly issues: ConfigIssue[] = []
  private readonly warnings: string[] = []
  private service = 'service'
  private stage = 'dev'
  private region = 'us-east-1'
  private accountId = DEFAULT_ACCOUNT
  private provider: Obj = {}
  private portico: Obj = {}
  private functionNames = new Set<string>()
  private readonly restRoutes: RestRoute[] = []
  private readonly httpRoutes: HttpRoute[] = []
  private readonly restAuthorizers = new Map<string, AuthorizerEntry>()
  private readonly httpAuthorizers = new Map<string, AuthorizerEntry>()
  private readonly routeKeys = new Map<string, Path>()
  /** Whether the http event being read is a lambda integration (its template carries the authorizer's claims). */
  private claimsUsed = false
  /** 'stage' (provider.apiGateway.caching), 'plugin' (custom.apiGatewayCaching) or none. */
  private cacheMode: 'stage' | 'plugin' | undefined
  private stageCache: Obj | undefined
  private globalCacheKeys: { name: string; at: Path }[] = []
  private httpPayload: string | undefined
  /** REST models (request.schemas, provider.apiGateway.request.schemas) by model name. */
  private readonly models = new Map<string, { schema: Obj; at: Path }>()
  /** Provider schemas by their key in provider.apiGateway.request.schemas, once read. */
  private providerSchemas: Map<string, string> | undefined
  /** Whether an event needs the framework's request validator. */
  private validated = false
  private readonly websocket: ServerlessWebSocketApi

  constructor(doc: Obj, opts: ServerlessImportOptions) {
    this.doc = doc
    this.opts = opts
    this.vars = new VariableResolver(doc, { stage: opts.stage, region: opts.region, env: opts.env })
    this.websocket = new ServerlessWebSocketApi({
      warn: (path, message) => this.warn(path, message),
      error: (path, message) => this.error(path, message),
      rest: (obj, at, handled) => this.rest(obj, at, handled),
      functionNames: this.functionNames,
    })
  }

  run(): ServerlessImport {
    for (const [name] of functionEntries(this.doc.functions)) this.functionNames.add(name)
    this.topLevel()
    const functions = this.functions()
    // Variable problems first: everything else may be a consequence of them.
    const issues = [...this.vars.issues, ...this.issues]
    if (issues.length) throw new ConfigError(issues, this.opts.file)

    const apis: Obj[] = []
    const restName = this.restName()
    const httpName = this.httpName(restName)
    const hasRest = this.restRoutes.length > 0
    const hasHttp = this.httpRoutes.length > 0
    const hasWebSocket = this.websocket.present
    const apiGateway = this.apiGatewayConfig()
    if (hasRest || (!hasHttp && !hasWebSocket)) apis.push(this.restApi(restName, apiGateway))
    else {
      for (const key of ['throttle', 'caching', 'binaryMediaTypes', 'resourcePolicy', 'apiKeySourceType']) {
        if (apiGateway[key] !== undefined) this.warn(['provider', 'apiGateway', key], 'applies to the REST API (http events); this service has none (ignored)')
      }
    }
    if (hasHttp) apis.push(this.httpApi(httpName, hasRest))
    else if (isObject(this.provider.httpApi) && Object.keys(this.provider.httpApi).length) {
      this.warn(['provider', 'httpApi'], 'applies to the HTTP API (httpApi events); this service has none (ignored)')
    }
    this.websocketApi(apis, hasRest || hasHttp)
    const { apiKeys, usagePlans } = this.keysAndPlans(apiGateway, hasRest ? restName : undefined)
    this.applyPorticoAuthorizers()

    const settings: Obj = { region: this.region }
    if (isObject(this.portico.settings)) Object.assign(settings, this.portico.settings)
    const config: Obj = { settings, functions, apis }
    if (apiKeys.length) config.apiKeys = apiKeys
    if (usagePlans.length) config.usagePlans = usagePlans
    if (this.portico.iam !== undefined) config.iam = this.portico.iam

    if (this.issues.length) throw new ConfigError([...this.vars.issues, ...this.issues], this.opts.file)
    return { config: config as PorticoConfigInput, warnings: this.warnings }
  }

  // ---- reporting ----

  private warn(path: Path, message: string) {
    this.warnings.push(formatIssue({ path, message }))
  }

  private error(path: Path, message: string) {
    this.issues.push({ path, message })
  }

  /** Warns about every key of `obj` not in `handled`. */
  private rest(obj: Obj, at: Path, handled: string[], deployment: Set<string> = new Set()) {
    for (const key of Object.keys(obj)) {
      if (handled.includes(key)) continue
      if (deployment.has(key)) this.warn([...at, key], 'deployment setting, not used by Portico (ignored)')
      else this.warn([...at, key], 'not supported by Portico yet (ignored)')
    }
  }

  // ---- top level ----

  private topLevel() {
    for (const key of Object.keys(this.doc)) {
      if (['service', 'provider', 'functions', 'custom'].includes(key) || FRAMEWORK_TOP.has(key)) continue
      if (key === 'plugins') {
        const list = Array.isArray(this.doc.plugins) ? this.doc.plugins : isObject(this.doc.plugins) && Array.isArray(this.doc.plugins.modules) ? this.doc.plugins.modules : []
        this.warn(['plugins'], `plugins are not run by Portico (ignored)${list.length ? ': ' + list.join(', ') : ''}`)
      } else if (key === 'useDotenv') {
        this.warn(['useDotenv'], 'Portico does not load .env files: set the variables in the environment')
      } else if (DEPLOYMENT_TOP.has(key)) {
        this.warn([key], 'deployment setting, not used by Portico (ignored)')
      } else this.warn([key], 'not supported by Portico yet (ignored)')
    }

    const service = this.vars.resolve(['service'])
    if (typeof service === 'string' && service) this.service = service
    else if (isObject(service) && typeof service.name === 'string') this.service = service.name
    else {
      const base = (this.opts.file ?? '').split(/[\\/]/).slice(-2, -1)[0]
      this.service = base && /^[A-Za-z0-9][\w.-]*$/.test(base) ? base : 'service'
      if (service === undefined) this.warn(['service'], `missing: the API is named "${this.service}"`)
      else this.error(['service'], 'the service name is a string')
    }

    const provider = this.vars.resolve(['provider'])
    if (provider !== undefined && !isObject(provider)) this.error(['provider'], 'provider is a mapping (name: aws, stage, region, ...)')
    this.provider = isObject(provider) ? provider : {}
    const p = this.provider
    if (p.name !== undefined && p.name !== 'aws') this.error(['provider', 'name'], `Portico serves AWS services only (provider.name is ${JSON.stringify(p.name)})`)

    const stage = this.opts.stage ?? (p.stage === undefined ? undefined : String(p.stage))
    this.stage = stage ?? 'dev'
    const region = this.opts.region ?? (p.region === undefined ? undefined : String(p.region))
    if (region !== undefined) {
      if (REGION.test(region)) this.region = region
      else if (this.opts.region !== undefined) this.error([], `--region "${region}" is not a region such as us-east-1`)
      else this.error(['provider', 'region'], `"${region}" is not a region such as us-east-1`)
    }

    const portico = this.vars.resolve(['custom', 'portico'])
    if (portico !== undefined) {
      if (!isObject(portico)) this.error(['custom', 'portico'], 'custom.portico is a mapping (settings, iam, authorizers, httpApiBasePath, websocketBasePath)')
      else {
        this.portico = portico
        for (const key of Object.keys(portico)) {
          if (!['settings', 'iam', 'authorizers', 'httpApiBasePath', 'websocketBasePath'].includes(key)) this.warn(['custom', 'portico', key], 'unknown key (custom.portico takes settings, iam, authorizers, httpApiBasePath, websocketBasePath)')
        }
        if (isObject(portico.settings) && typeof portico.settings.accountId === 'string') this.accountId = portico.settings.accountId
      }
    }

    this.rest(p, ['provider'], [
      'name', 'stage', 'region', 'runtime', 'environment', 'timeout', 'memorySize', 'apiGateway', 'httpApi', 'apiName',
      'endpointType', 'logs', 'websocketsApiName', 'websocketsApiRouteSelectionExpression', 'websocketsDescription',
    ], DEPLOYMENT_PROVIDER)
    if (p.endpointType !== undefined && String(p.endpointType).toUpperCase() !== 'REGIONAL') {
      this.warn(['provider', 'endpointType'], `Portico serves regional endpoints: ${String(p.endpointType).toUpperCase()} behaviour (CloudFront headers, VPC endpoints) is not reproduced`)
    }
    this.httpApiProvider()
    // Models before the events that use them, so they come first in the API's models.
    this.providerSchemaModels()
  }

  private restName(): string {
    return typeof this.provider.apiName === 'string' && this.provider.apiName ? this.provider.apiName : this.service
  }

  private httpName(restName: string): string {
    const h = this.provider.httpApi
    if (isObject(h) && typeof h.name === 'string' && h.name) return h.name
    return this.restRoutes.length ? `${restName}-http` : this.service
  }

  // ---- functions ----

  private functions(): Obj {
    const out: Obj = {}
    const entries = functionEntries(this.doc.functions)
    if (this.doc.functions !== undefined && !isObject(this.doc.functions) && !Array.isArray(this.doc.functions)) {
      this.error(['functions'], 'functions is a mapping of function names to functions')
    }
    const providerEnv = this.environment(this.provider.environment, ['provider', 'environment'])
    for (const [name, , path] of entries) {
      const fn = this.vars.resolve(path)
      if (!isObject(fn)) {
        this.error(path, 'a function is a mapping with a handler')
        continue
      }
      if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name)) {
        this.error(path, `function name "${name}" is not supported by Portico (letters, digits, _ and -, starting with a letter)`)
        continue
      }
      const f: Obj = {}
      if (fn.image !== undefined) this.error([...path, 'image'], 'container image functions are not supported by Portico: give a handler')
      else if (typeof fn.handler !== 'string' || !fn.handler) this.error([...path, 'handler'], 'a function needs a handler ("file.export", relative to serverless.yml)')
      else f.handler = fn.handler
      const runtime = fn.runtime ?? this.provider.runtime
      if (runtime !== undefined) {
        if (typeof runtime === 'string' && /^(nodejs[\w.]*|python3[\w.]*)$/.test(runtime)) f.runtime = runtime
        else this.error(fn.runtime !== undefined ? [...path, 'runtime'] : ['provider', 'runtime'], `Portico runs nodejs* and python3* handlers (got ${JSON.stringify(runtime)})`)
      }
      const timeout = fn.timeout ?? this.provider.timeout
      if (timeout !== undefined) f.timeout = timeout
      const memorySize = fn.memorySize ?? this.provider.memorySize
      if (memorySize !== undefined) f.memorySize = memorySize
      const env = { ...providerEnv, ...this.environment(fn.environment, [...path, 'environment']) }
      if (Object.keys(env).length) f.environment = env
      if (typeof fn.description === 'string') f.description = fn.description
      if (fn.url !== undefined) this.warn([...path, 'url'], 'Lambda function URLs are not supported yet by Portico (ignored)')
      this.rest(fn, path, ['handler', 'image', 'runtime', 'timeout', 'memorySize', 'environment', 'description', 'events', 'throttle', 'url'], DEPLOYMENT_FUNCTION)
      const throttle = fn.throttle === undefined ? undefined : this.throttle(fn.throttle, [...path, 'throttle'])
      if (fn.events !== undefined && !Array.isArray(fn.events)) this.error([...path, 'events'], 'events is a list')
      const events = Array.isArray(fn.events) ? fn.events : []
      events.forEach((event, i) => this.event(name, event, [...path, 'events', i], throttle))
      out[name] = f
    }
    return out
  }

  /** Environment variables as strings; CloudFormation references cannot be resolved here. */
  private environment(env: unknown, at: Path): Record<string, string> {
    const out: Record<string, string> = {}
    if (env === undefined || env === null) return out
    if (!isObject(env)) {
      this.error(at, 'environment is a mapping of variable names to values')
      return out
    }
    for (const [k, v] of Object.entries(env)) {
      if (typeof v === 'string') out[k] = v
      else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v)
      else if (v === null) continue
      else this.warn([...at, k], `${describeRef(v)} cannot be resolved by Portico: the variable is not set (set it in custom or through \${env:...})`)
    }
    return out
  }

  private throttle(t: unknown, at: Path): Obj | undefined {
    if (!isObject(t)) {
      this.error(at, 'throttle is { burstLimit, rateLimit }')
      return undefined
    }
    this.rest(t, at, ['burstLimit', 'rateLimit'])
    if (t.burstLimit === undefined || t.rateLimit === undefined) {
      this.error(at, 'throttle needs both burstLimit and rateLimit')
      return undefined
    }
    return { burstLimit: t.burstLimit, rateLimit: t.rateLimit }
  }

  private event(fn: string, event: unknown, at: Path, throttle: Obj | undefined) {
    if (!isObject(event) || Object.keys(event).length !== 1) {
      this.error(at, 'an event is a mapping with one key, its type (http, httpApi, ...)')
      return
    }
    const [type, body] = Object.entries(event)[0]!
    const path = [...at, type]
    if (type === 'http') this.httpEvent(fn, body, path, throttle)
    else if (type === 'httpApi') this.httpApiEvent(fn, body, path, throttle)
    else if (type === 'websocket') this.websocket.event(fn, body, path, throttle !== undefined)
    else this.warn(path, `${type} events are not served by Portico (only http, httpApi and websocket events are)`)
  }

  // ---- http (REST) events ----

  private httpEvent(fn: string, raw: unknown, at: Path, throttle: Obj | undefined) {
    let e: Obj
    if (typeof raw === 'string') {
      const m = /^(\S+)\s+(\S+)$/.exec(raw.trim())
      if (!m) return this.error(at, 'the short form is "METHOD path", e.g. "GET users/{id}"')
      e = { method: m[1], path: m[2] }
    } else if (isObject(raw)) e = raw
    else return this.error(at, 'an http event is a mapping (path, method, ...) or "METHOD path"')

    const method = this.method(e.method, [...at, 'method'], false)
    const path = this.path(e.path, [...at, 'path'])
    if (method === undefined || path === undefined) return
    const pathParams = [...path.matchAll(/\{([A-Za-z0-9_]+)\+?\}/g)].map((m) => m[1]!)
    const key = `${method} ${path}`
    const prior = this.routeKeys.get('REST ' + key)
    if (prior) return this.error(at, `route ${key} is already defined at ${pathText(prior)}`)
    this.routeKeys.set('REST ' + key, at)

    this.rest(e, at, [
      'path', 'method', 'cors', 'private', 'authorizer', 'request', 'response', 'integration', 'caching', 'description',
      'operationId', 'async', 'connectionType', 'connectionId',
    ])
    if (e.async !== undefined) this.warn([...at, 'async'], 'Portico invokes synchronously (RequestResponse); asynchronous invocation is not supported (ignored)')
    if (e.connectionType !== undefined || e.connectionId !== undefined) this.warn([...at, e.connectionType !== undefined ? 'connectionType' : 'connectionId'], 'VPC links are not supported by Portico (ignored)')

    const route: Obj = { method, path }
    const integration = this.restIntegration(fn, e, at, method)
    if (!integration) return
    route.integration = integration
    if (e.private === true) route.apiKeyRequired = true
    else if (e.private !== undefined && e.private !== false) this.error([...at, 'private'], 'private is true or false')
    if (e.authorizer !== undefined) {
      // The lambda integration's request template carries the claims the authorizer lists.
      this.claimsUsed = integration.type === 'lambda_custom'
      const auth = this.restAuthorization(e.authorizer, [...at, 'authorizer'])
      this.claimsUsed = false
      if (auth === undefined) return
      if (auth !== 'NONE') route.authorization = auth
    }
    if (e.cors !== undefined && e.cors !== false) {
      const cors = this.restCors(e.cors, [...at, 'cors'])
      if (cors !== undefined) route.cors = cors
    }
    this.request(e.request, [...at, 'request'], pathParams, integration.type as string, route)
    if (e.response !== undefined && (integration.type === 'lambda' || integration.type === 'http_proxy')) {
      this.warn([...at, 'response'], 'response templates and status codes apply to non-proxy integrations only; a proxy passes its answer through (ignored, as the framework does)')
    }
    const description = e.description ?? e.operationId
    if (typeof description === 'string') route.description = description
    if (throttle) route.throttle = throttle
    const entry: RestRoute = { route, at, pathParams, method }
    if (e.caching !== undefined) {
      const caching = this.routeCaching(e.caching, [...at, 'caching'], pathParams, method)
      if (caching) {
        route.caching = caching.config
        entry.cachingEnabled = caching.enabled
      }
    }
    this.restRoutes.push(entry)
  }

  private method(raw: unknown, at: Path, star: boolean): string | undefined {
    if (typeof raw !== 'string' || !raw) {
      this.error(at, 'a method is needed (get, post, ..., any)')
      return undefined
    }
    const m = raw.toUpperCase()
    if (m === 'ANY' || (star && m === '*')) return 'ANY'
    if ((HTTP_METHODS as readonly string[]).includes(m)) return m
    this.error(at, `"${raw}" is not an HTTP method (get, post, put, patch, delete, head, options, any)`)
    return undefined
  }

  /** A resource path with one leading slash and no trailing one ("users/{id}" → "/users/{id}"). */
  private path(raw: unknown, at: Path): string | undefined {
    if (typeof raw !== 'string') {
      this.error(at, 'a path is needed, e.g. users/{id}')
      return undefined
    }
    const trimmed = raw.trim().replace(/^\/+/, '').replace(/\/+$/, '')
    const path = '/' + trimmed
    const check = resourcePathSchema.safeParse(path)
    if (!check.success) {
      for (const issue of check.error.issues) this.error(at, issue.message)
      return undefined
    }
    return path
  }

  private restIntegration(fn: string, e: Obj, at: Path, method: string): Obj | undefined {
    const type = e.integration === undefined ? 'lambda-proxy' : String(e.integration).toLowerCase().replace('_', '-')
    const where = [...at, 'integration']
    switch (type) {
      case 'lambda-proxy':
      case 'aws-proxy':
        return { type: 'lambda', function: fn }
      case 'lambda':
      case 'aws':
        return this.nonProxy({ type: 'lambda_custom', function: fn }, e, at, 'lambda')
      case 'http': {
        const request = isObject(e.request) ? e.request : {}
        if (typeof request.uri !== 'string') {
          this.error([...at, 'request', 'uri'], 'an http integration needs request.uri (the backend URL)')
          return undefined
        }
        const integrationMethod = typeof request.method === 'string' ? this.method(request.method, [...at, 'request', 'method'], false) : method
        if (integrationMethod === undefined) return undefined
        return this.nonProxy({ type: 'http', uri: request.uri, method: integrationMethod }, e, at, 'http')
      }
      case 'http-proxy': {
        const uri = isObject(e.request) ? e.request.uri : undefined
        if (typeof uri !== 'string') {
          this.error([...at, 'request', 'uri'], 'an http-proxy integration needs request.uri (the backend URL)')
          return undefined
        }
        return { type: 'http_proxy', uri, method }
      }
      case 'mock':
        return this.mockIntegration(e, at)
      default:
        this.error(where, `"${String(e.integration)}" is not an integration type (lambda-proxy, lambda, http-proxy, http, mock)`)
        return undefined
    }
  }

  private mockIntegration(e: Obj, at: Path): Obj | undefined {
    return this.nonProxy({ type: 'mock' }, e, at, 'mock')
  }

  /**
   * The mapping of a non-proxy integration, as the framework compiles it: request.template
   * (per content type; a string is application/json; null removes a default) and passThrough;
   * response.headers and response.template for every status code, statusCodes with their
   * pattern, template and headers ('' is the default, and a 200 default is added when none
   * is). Lambda integrations start from the framework's request templates and status codes
   * and default to passThrough NEVER.
   */
  private nonProxy(integration: Obj, e: Obj, at: Path, kind: 'lambda' | 'http' | 'mock'): Obj | undefined {
    const before = this.issues.length
    const request = isObject(e.request) ? e.request : {}
    const claims = kind === 'lambda' && isObject(e.authorizer) && Array.isArray(e.authorizer.claims) ? e.authorizer.claims.filter((c): c is string => typeof c === 'string') : []
    const templates: Record<string, string> = kind === 'lambda' ? serverlessLambdaTemplates(claims) : {}
    if (request.template !== undefined) {
      const t = request.template
      if (typeof t === 'string') templates['application/json'] = t
      else if (isObject(t)) {
        for (const [type, template] of Object.entries(t)) {
          if (template === null) delete templates[type]
          else if (typeof template === 'string') templates[type] = template
          else this.error([...at, 'request', 'template', type], 'a template is a string (or null to remove a default one)')
        }
      } else this.error([...at, 'request', 'template'], 'request.template is a mapping of content type to template')
      for (const [type, template] of Object.entries(isObject(t) ? t : typeof t === 'string' ? { 'application/json': t } : {})) {
        if (typeof template === 'string') this.checkTemplate(template, isObject(t) ? [...at, 'request', 'template', type] : [...at, 'request', 'template'])
      }
    }
    if (Object.keys(templates).length) integration.requestTemplates = templates
    const pass = request.passThrough ?? (kind === 'lambda' ? 'NEVER' : undefined)
    if (pass !== undefined) {
      const v = String(pass).toUpperCase()
      if (v === 'NEVER' || v === 'WHEN_NO_MATCH' || v === 'WHEN_NO_TEMPLATES') integration.passthroughBehavior = v
      else this.error([...at, 'request', 'passThrough'], 'passThrough is NEVER, WHEN_NO_MATCH or WHEN_NO_TEMPLATES')
    }
    if (kind === 'http' && isObject(request.parameters)) integration.requestParameters = this.httpRequestParameters(request.parameters, [...at, 'request', 'parameters'])

    const response = e.response === undefined ? undefined : isObject(e.response) ? e.response : undefined
    if (e.response !== undefined && !response) this.error([...at, 'response'], 'response is a mapping (headers, template, statusCodes)')
    if (response) this.rest(response, [...at, 'response'], ['headers', 'template', 'statusCodes'])
    const common: Record<string, string> = {}
    if (response && response.headers !== undefined) Object.assign(common, this.responseHeaders(response.headers, [...at, 'response', 'headers']))
    const commonTemplate = response?.template
    if (commonTemplate !== undefined) {
      if (typeof commonTemplate === 'string') this.checkTemplate(commonTemplate, [...at, 'response', 'template'])
      else this.error([...at, 'response', 'template'], 'response.template is a template (a string)')
    }
    let codes: [string, unknown][]
    if (response?.statusCodes !== undefined) {
      if (!isObject(response.statusCodes)) {
        this.error([...at, 'response', 'statusCodes'], 'statusCodes is a mapping of status code to {pattern, template, headers}')
        return undefined
      }
      codes = Object.entries(response.statusCodes)
      if (!codes.some(([, v]) => isObject(v) && (v.pattern === '' || v.pattern === undefined))) codes.push(['200', { pattern: '' }])
    } else if (kind === 'lambda' || (kind === 'http' && response)) {
      codes = Object.entries(SERVERLESS_STATUS_CODES).map(([code, pattern]) => [code, { pattern }])
    } else {
      codes = [['200', { pattern: '' }]]
    }
    const responses: Obj[] = []
    for (const [code, raw] of codes) {
      const cAt = [...at, 'response', 'statusCodes', code]
      const status = Number(code)
      if (!/^\d{3}$/.test(code) || status < 100 || status > 599) {
        this.error(cAt, 'a status code is a number from 100 to 599')
        continue
      }
      if (!isObject(raw)) {
        this.error(cAt, 'a status code maps to {pattern, template, headers}')
        continue
      }
      if (response?.statusCodes !== undefined) this.rest(raw, cAt, ['pattern', 'template', 'headers'])
      const out: Obj = { statusCode: status }
      if (raw.pattern !== undefined && raw.pattern !== '') {
        if (typeof raw.pattern !== 'string') this.error([...cAt, 'pattern'], 'a pattern is a regular expression (a string)')
        else {
          try {
            javaRegex(raw.pattern, '')
            out.selectionPattern = raw.pattern
          } catch (err) {
            this.error([...cAt, 'pattern'], (err as Error).message)
          }
        }
      }
      const responseTemplates: Record<string, string> = {}
      if (typeof commonTemplate === 'string') responseTemplates['application/json'] = commonTemplate
      if (raw.template !== undefined) {
        if (typeof raw.template === 'string') {
          responseTemplates['application/json'] = raw.template
          this.checkTemplate(raw.template, [...cAt, 'template'])
        } else if (isObject(raw.template)) {
          for (const [type, template] of Object.entries(raw.template)) {
            if (typeof template !== 'string') this.error([...cAt, 'template', type], 'a template is a string')
            else {
              responseTemplates[type] = template
              this.checkTemplate(template, [...cAt, 'template', type])
            }
          }
        } else this.error([...cAt, 'template'], 'a template is a string or a mapping of content type to template')
      }
      if (Object.keys(responseTemplates).length) out.responseTemplates = responseTemplates
      const headers = { ...common, ...(raw.headers !== undefined ? this.responseHeaders(raw.headers, [...cAt, 'headers']) : {}) }
      if (Object.keys(headers).length) out.responseParameters = Object.fromEntries(Object.entries(headers).map(([h, v]) => [`method.response.header.${h}`, v]))
      responses.push(out)
    }
    integration.responses = responses
    return this.issues.length > before ? undefined : integration
  }

  /** response headers: name → 'static' or integration.response.* (as the framework passes them to AWS). */
  private responseHeaders(raw: unknown, at: Path): Record<string, string> {
    if (!isObject(raw)) {
      this.error(at, 'headers is a mapping of header name to value (\'static\' in single quotes, or integration.response.header.X)')
      return {}
    }
    const out: Record<string, string> = {}
    for (const [name, value] of Object.entries(raw)) {
      if (typeof value !== 'string') {
        this.error([...at, name], 'a header value is a string: \'static\' in single quotes, or integration.response.header.X / integration.response.body.x')
        continue
      }
      try {
        parseSource(value, 'response')
        out[name] = value
      } catch (err) {
        this.error([...at, name], `${(err as Error).message} (static values are written in single quotes, e.g. "'text/html'")`)
      }
    }
    return out
  }

  /**
   * `cors` of an http event: true or the framework's object (origin, origins, headers, methods,
   * allowCredentials, maxAge, cacheControl); the loader builds the path's OPTIONS route.
   */
  private restCors(raw: unknown, at: Path): Obj | true | undefined {
    if (raw === true) return true
    if (!isObject(raw)) {
      this.error(at, 'cors is true, or a mapping (origin, origins, headers, methods, allowCredentials, maxAge, cacheControl)')
      return undefined
    }
    this.rest(raw, at, ['origin', 'origins', 'headers', 'methods', 'allowCredentials', 'maxAge', 'cacheControl'])
    const out: Obj = {}
    if (raw.origin !== undefined) out.origin = raw.origin
    // The framework takes one value where a list is expected.
    for (const key of ['origins', 'headers'] as const) {
      if (raw[key] !== undefined) out[key] = typeof raw[key] === 'string' ? [raw[key]] : raw[key]
    }
    if (raw.methods !== undefined) {
      const list = typeof raw.methods === 'string' ? [raw.methods] : raw.methods
      out.methods = Array.isArray(list) ? list.map((m) => (typeof m === 'string' ? m.toUpperCase() : m)) : list
    }
    if (raw.allowCredentials !== undefined) out.allowCredentials = Boolean(raw.allowCredentials)
    if (raw.maxAge !== undefined) out.maxAge = raw.maxAge
    if (raw.cacheControl !== undefined) out.cacheControl = raw.cacheControl
    return out
  }

  /** request.parameters of an http integration: each declared parameter is sent under its own name. */
  private httpRequestParameters(params: Obj, at: Path): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [kind, place] of [['querystrings', 'querystring'], ['headers', 'header'], ['paths', 'path']] as const) {
      const list = params[kind]
      if (!isObject(list)) continue
      for (const [name, v] of Object.entries(list)) {
        // The framework maps method.request.X.name to integration.request.X.name, or to `mappedValue`.
        const mapped = isObject(v) && typeof v.mappedValue === 'string' ? v.mappedValue : `method.request.${place}.${name}`
        try {
          parseSource(mapped, 'request')
          out[`integration.request.${place}.${name}`] = mapped
        } catch (err) {
          this.error([...at, kind, name, 'mappedValue'], (err as Error).message)
        }
      }
    }
    return out
  }

  /** A template that does not parse fails the import, naming its place in the file. */
  private checkTemplate(template: string, at: Path) {
    try {
      compileTemplate(template)
    } catch (err) {
      this.error(at, (err as Error).message)
    }
  }

  /**
   * request.*: parameters (`true` or `{ required }` marks a required one) and schemas become
   * the route's requestParameters and requestModels, checked by the framework's validator
   * (body and parameters) when a parameter is required or a schema is given; templates are
   * warnings.
   */
  private request(request: unknown, at: Path, pathParams: string[], integration: string, route: Obj) {
    if (request === undefined) return
    if (!isObject(request)) return this.error(at, 'request is a mapping (parameters, schemas, template, ...)')
    this.rest(request, at, ['parameters', 'schemas', 'schema', 'template', 'uri', 'method', 'passThrough', 'contentHandling'])
    let validate = false
    const params = request.parameters
    if (params !== undefined) {
      if (!isObject(params)) this.error([...at, 'parameters'], 'parameters is a mapping (paths, querystrings, headers)')
      else {
        this.rest(params, [...at, 'parameters'], ['paths', 'querystrings', 'headers'])
        const declared: Record<string, boolean> = {}
        for (const kind of ['querystrings', 'paths', 'headers'] as const) {
          const list = params[kind]
          if (list === undefined) continue
          if (!isObject(list)) {
            this.error([...at, 'parameters', kind], `${kind} is a mapping of names to true (required) or false`)
            continue
          }
          for (const [name, v] of Object.entries(list)) {
            const where = [...at, 'parameters', kind, name]
            let required: boolean
            if (typeof v === 'boolean') required = v
            else if (isObject(v)) {
              this.rest(v, where, ['required', 'mappedFrom', 'mappedValue'])
              if (v.mappedFrom !== undefined) this.warn([...where, 'mappedFrom'], 'the framework maps parameters with mappedValue (http integrations); mappedFrom is ignored')
              if (v.mappedValue !== undefined && integration !== 'http') this.warn([...where, 'mappedValue'], 'mappedValue maps the parameter of an http integration only (ignored)')
              // The framework's rule: an object without `required` is a required parameter.
              required = v.required === undefined || v.required === null ? true : v.required === true
            } else {
              this.error(where, 'a parameter is true (required), false, or { required, mappedFrom }')
              continue
            }
            if (kind === 'paths' && !pathParams.includes(name)) {
              this.warn(where, `{${name}} is not a path parameter of this route (ignored)`)
              continue
            }
            declared[`method.request.${kind.slice(0, -1)}.${name}`] = required
            if (required) validate = true
          }
        }
        if (Object.keys(declared).length) route.requestParameters = declared
      }
    }
    if (request.schemas !== undefined && request.schema !== undefined) {
      this.error([...at, 'schema'], 'give schemas (schema is its older name), not both')
    }
    const schemasKey = request.schemas !== undefined ? 'schemas' : 'schema'
    const schemas = request[schemasKey]
    if (schemas !== undefined) {
      const models = this.requestSchemas(schemas, [...at, schemasKey], route)
      if (models) {
        route.requestModels = models
        validate = true
      }
    }
    if (validate) {
      route.requestValidator = this.validatorName()
      this.validated = true
    }
    const proxy = integration === 'lambda' || integration === 'http_proxy'
    if (request.template !== undefined && proxy) {
      this.warn([...at, 'template'], 'request templates apply to non-proxy integrations only; a proxy passes the request through (ignored, as the framework does)')
    }
    if (request.passThrough !== undefined && proxy) this.warn([...at, 'passThrough'], 'passThrough applies to non-proxy integrations only (ignored)')
    if (request.contentHandling !== undefined) this.warn([...at, 'contentHandling'], 'content handling conversions are not supported yet (ignored)')
    if (request.uri !== undefined && integration !== 'http_proxy' && integration !== 'http') this.warn([...at, 'uri'], 'uri applies to http and http-proxy integrations (ignored)')
    if (request.method !== undefined && integration !== 'http_proxy' && integration !== 'http') this.warn([...at, 'method'], 'method applies to http and http-proxy integrations (ignored)')
  }

  /** The one validator the framework creates for a service (body and parameters). */
  private validatorName(): string {
    return `${this.service}-${this.stage} | Validate request body and querystring parameters`
  }

  /**
   * request.schemas: content type → an inline schema, `{ schema, name, description }`, or the
   * key of a provider.apiGateway.request.schemas entry. Each becomes a model.
   */
  private requestSchemas(raw: unknown, at: Path, route: Obj): Record<string, string> | undefined {
    if (!isObject(raw)) {
      this.error(at, 'schemas is a mapping of content types to schemas (or names of provider.apiGateway.request.schemas)')
      return undefined
    }
    const out: Record<string, string> = {}
    for (const [contentType, config] of Object.entries(raw)) {
      const where = [...at, contentType]
      if (typeof config === 'string') {
        const name = this.providerSchemaModels().get(config)
        if (name === undefined) {
          this.error(where, `no schema "${config}" in provider.apiGateway.request.schemas`)
          continue
        }
        out[contentType] = name
        continue
      }
      if (!isObject(config)) {
        this.error(where, 'a schema is a JSON Schema object, { schema, name, description }, or the name of a provider.apiGateway.request.schemas entry')
        continue
      }
      const name = this.schemaModel(config, where, modelNameFrom(`${String(route.path)} ${String(route.method).toLowerCase()} ${contentType} model`))
      if (name) out[contentType] = name
    }
    return Object.keys(out).length ? out : undefined
  }

  /** provider.apiGateway.request.schemas, each a model (read once): key → model name. */
  private providerSchemaModels(): Map<string, string> {
    if (this.providerSchemas) return this.providerSchemas
    const names = new Map<string, string>()
    this.providerSchemas = names
    const ag = this.provider.apiGateway
    const request = isObject(ag) ? ag.request : undefined
    const at = ['provider', 'apiGateway', 'request']
    if (request === undefined) return names
    if (!isObject(request)) {
      this.error(at, 'request is a mapping (schemas)')
      return names
    }
    this.rest(request, at, ['schemas'])
    if (request.schemas === undefined) return names
    if (!isObject(request.schemas)) {
      this.error([...at, 'schemas'], 'schemas is a mapping of names to schemas ({ schema, name, description } or a JSON Schema)')
      return names
    }
    for (const [key, config] of Object.entries(request.schemas)) {
      const where = [...at, 'schemas', key]
      if (!isObject(config)) {
        this.error(where, 'a schema is { schema, name, description } or a JSON Schema object')
        continue
      }
      const name = this.schemaModel(config, where, modelNameFrom(key))
      if (name) names.set(key, name)
    }
    return names
  }

  /**
   * A schema entry, `{ schema, name, description }` or a bare JSON Schema, added as a model
   * named `name` or else `fallback`; the model's name, or undefined when it is not one.
   */
  private schemaModel(config: Obj, where: Path, fallback: string): string | undefined {
    const explicit = config.schema !== undefined
    const schema = explicit ? config.schema : config
    if (!isObject(schema)) {
      this.error([...where, 'schema'], 'a schema is a JSON Schema object')
      return undefined
    }
    if (explicit) this.rest(config, where, ['schema', 'name', 'description'])
    const given = explicit && typeof config.name === 'string' ? config.name : undefined
    return this.addModel(given ?? fallback, schema, given !== undefined ? [...where, 'name'] : where)
  }

  /** Registers a model; AWS model names are letters and digits. */
  private addModel(name: string, schema: Obj, at: Path): string | undefined {
    if (!/^[A-Za-z0-9]{1,128}$/.test(name)) {
      this.error(at, `"${name}" is not a model name (letters and digits, as on AWS)`)
      return undefined
    }
    const prior = this.models.get(name)
    if (prior && JSON.stringify(prior.schema) !== JSON.stringify(schema)) {
      this.error(at, `model "${name}" is already defined differently at ${pathText(prior.at)}`)
      return undefined
    }
    this.models.set(name, { schema, at })
    return name
  }

  // ---- REST authorizers ----

  private restAuthorization(raw: unknown, at: Path): Obj | 'AWS_IAM' | 'NONE' | undefined {
    if (typeof raw === 'string') {
      if (/^aws_iam$/i.test(raw)) return 'AWS_IAM'
      if (raw.startsWith('arn:')) return this.restArnAuthorizer(raw, {}, at)
      return this.restFunctionAuthorizer(raw, {}, at)
    }
    if (!isObject(raw)) {
      this.error(at, 'an authorizer is a function name, an ARN, aws_iam, or a mapping (name, arn, type, ...)')
      return undefined
    }
    this.rest(raw, at, [
      'name', 'arn', 'type', 'identitySource', 'identityValidationExpression', 'resultTtlInSeconds', 'claims', 'scopes',
      'authorizerId', 'managedExternally',
    ])
    const type = raw.type === undefined ? undefined : String(raw.type).toLowerCase()
    if (type === 'aws_iam') return 'AWS_IAM'
    if (raw.authorizerId !== undefined) {
      this.error([...at, 'authorizerId'], 'an existing authorizer (authorizerId) is not in this file: define it here with name / arn / type')
      return undefined
    }
    if (raw.managedExternally !== undefined) this.warn([...at, 'managedExternally'], 'deployment setting, not used by Portico (ignored)')
    if (type !== undefined && !['token', 'request', 'cognito_user_pools'].includes(type)) {
      this.error([...at, 'type'], `"${String(raw.type)}" is not an authorizer type (token, request, COGNITO_USER_POOLS, aws_iam)`)
      return undefined
    }
    if (raw.arn !== undefined && typeof raw.arn !== 'string') {
      this.error([...at, 'arn'], `${describeRef(raw.arn)} cannot be resolved by Portico: give the ARN itself`)
      return undefined
    }
    if (typeof raw.arn === 'string') return this.restArnAuthorizer(raw.arn, raw, at)
    if (type === 'cognito_user_pools') {
      this.error([...at, 'arn'], 'a COGNITO_USER_POOLS authorizer needs the user pool arn')
      return undefined
    }
    if (typeof raw.name !== 'string') {
      this.error(at, 'an authorizer needs a name (one of this service\'s functions) or an arn')
      return undefined
    }
    return this.restFunctionAuthorizer(raw.name, raw, at)
  }

  private restArnAuthorizer(arn: string, raw: Obj, at: Path): Obj | undefined {
    const type = raw.type === undefined ? undefined : String(raw.type).toLowerCase()
    const arnAt = typeof raw.arn === 'string' ? [...at, 'arn'] : at
    if (arn.startsWith('arn:aws:cognito-idp:')) {
      if (type !== undefined && type !== 'cognito_user_pools') {
        this.error([...at, 'type'], `a user pool ARN makes a COGNITO_USER_POOLS authorizer, not ${String(raw.type)}`)
        return undefined
      }
      return this.cognitoAuthorizer(arn, raw, at, arnAt)
    }
    const m = LAMBDA_ARN.exec(arn)
    if (!m) {
      this.error(arnAt, `"${arn}" is neither a Lambda function ARN nor a Cognito user pool ARN`)
      return undefined
    }
    if (type === 'cognito_user_pools') {
      this.error([...at, 'type'], 'a COGNITO_USER_POOLS authorizer needs a user pool ARN, not a Lambda ARN')
      return undefined
    }
    const name = typeof raw.name === 'string' ? raw.name : m[1]!
    return this.lambdaAuthorizer(name, arn, raw, at)
  }

  private restFunctionAuthorizer(fn: string, raw: Obj, at: Path): Obj | undefined {
    if (!this.functionNames.has(fn)) {
      this.error(typeof raw.name === 'string' ? [...at, 'name'] : at, `no function "${fn}" in functions (an authorizer given by name is one of this service's functions)`)
      return undefined
    }
    return this.lambdaAuthorizer(fn, fn, raw, at)
  }

  private lambdaAuthorizer(name: string, fn: string, raw: Obj, at: Path): Obj | undefined {
    const type = raw.type === undefined ? 'token' : String(raw.type).toLowerCase()
    const config: Obj = {
      type,
      function: fn,
      identitySource: raw.identitySource ?? 'method.request.header.Authorization',
    }
    if (raw.identityValidationExpression !== undefined) config.identityValidationExpression = raw.identityValidationExpression
    if (raw.resultTtlInSeconds !== undefined) config.resultTtlInSeconds = raw.resultTtlInSeconds
    if (raw.claims !== undefined) this.warn([...at, 'claims'], 'claims apply to Cognito authorizers (ignored)')
    if (raw.scopes !== undefined) {
      this.error([...at, 'scopes'], 'scopes apply to COGNITO_USER_POOLS authorizers only')
      return undefined
    }
    const key = this.defineAuthorizer(this.restAuthorizers, name, config, at)
    return key === undefined ? undefined : { authorizer: key }
  }

  private cognitoAuthorizer(arn: string, raw: Obj, at: Path, arnAt: Path): Obj | undefined {
    let providerArn = arn
    if (!STRICT_COGNITO_ARN.test(arn)) {
      const m = LOOSE_COGNITO_ARN.exec(arn)
      if (!m || !/^[a-z0-9-]+$/.test(m[1]!) || !/^[\w-]+$/.test(m[3]!)) {
        this.error(arnAt, `"${arn}" is not a user pool ARN (arn:aws:cognito-idp:region:account:userpool/id)`)
        return undefined
      }
      // The guide writes placeholders ("account"); the account is not part of the issuer, so
      // tokens are checked exactly as they would be against the real pool.
      providerArn = `arn:aws:cognito-idp:${m[1]}:${this.accountId}:userpool/${m[3]}`
      this.warn(arnAt, `"${m[2]}" is not a 12-digit account id: Portico uses ${this.accountId} (tokens are checked against the issuer https://cognito-idp.${m[1]}.amazonaws.com/${m[3]})`)
    }
    const config: Obj = { type: 'cognito_user_pools', providerArns: [providerArn] }
    if (raw.identitySource !== undefined) config.identitySource = raw.identitySource
    if (raw.identityValidationExpression !== undefined) config.identityValidationExpression = raw.identityValidationExpression
    if (raw.resultTtlInSeconds !== undefined) this.warn([...at, 'resultTtlInSeconds'], 'Portico verifies Cognito tokens on every request; the result TTL is not used (ignored)')
    if (raw.claims !== undefined && !this.claimsUsed) {
      this.warn([...at, 'claims'], 'claims select what non-proxy integrations receive; with lambda-proxy every claim reaches the function, as on AWS (ignored)')
    }
    const pool = providerArn.slice(providerArn.indexOf('userpool/') + 'userpool/'.length)
    const name = typeof raw.name === 'string' ? raw.name : `cognito-${pool}`
    const key = this.defineAuthorizer(this.restAuthorizers, name, config, at)
    if (key === undefined) return undefined
    const out: Obj = { authorizer: key }
    if (raw.scopes !== undefined) {
      if (!Array.isArray(raw.scopes) || !raw.scopes.every((s) => typeof s === 'string')) {
        this.error([...at, 'scopes'], 'scopes is a list of scope names')
        return undefined
      }
      out.scopes = raw.scopes
    }
    return out
  }

  /** Registers an authorizer; the same name twice must mean the same authorizer. */
  private defineAuthorizer(map: Map<string, AuthorizerEntry>, rawName: string, config: Obj, at: Path): string | undefined {
    const name = authorizerName(rawName)
    const prior = map.get(name)
    if (prior) {
      if (JSON.stringify(prior.config) !== JSON.stringify(config)) {
        this.error(at, `authorizer "${name}" is already defined differently at ${pathText(prior.at)}`)
        return undefined
      }
      return name
    }
    map.set(name, { config, at })
    return name
  }

  // ---- caching ----

  private routeCaching(raw: unknown, at: Path, pathParams: string[], method: string): { config: Obj; enabled?: boolean } | undefined {
    if (!isObject(raw)) {
      this.error(at, 'caching is a mapping (enabled, ttlInSeconds, cacheKeyParameters, perKeyInvalidation)')
      return undefined
    }
    this.rest(raw, at, ['enabled', 'ttlInSeconds', 'cacheKeyParameters', 'perKeyInvalidation', 'dataEncrypted', 'clusterSize'])
    if (raw.clusterSize !== undefined) this.warn([...at, 'clusterSize'], 'a cluster size applies to the stage only (ignored)')
    if (raw.dataEncrypted !== undefined) this.warn([...at, 'dataEncrypted'], 'Portico encrypts a whole stage\'s cache or none of it: set dataEncrypted on the stage (ignored here)')
    const config: Obj = {}
    const enabled = typeof raw.enabled === 'boolean' ? raw.enabled : undefined
    // The plugin caches only GET on ANY methods; Portico's enabled: true would cache them all.
    if (enabled === false || (enabled === true && method !== 'ANY')) config.enabled = enabled
    if (raw.ttlInSeconds !== undefined) config.ttlInSeconds = raw.ttlInSeconds
    Object.assign(config, this.perKeyInvalidation(raw.perKeyInvalidation, [...at, 'perKeyInvalidation']))
    if (raw.cacheKeyParameters !== undefined) {
      const names = this.cacheKeyParameters(raw.cacheKeyParameters, [...at, 'cacheKeyParameters'])
      if (names === undefined) return undefined
      for (const { name, at: where } of names) {
        const m = /request\.path\.(.+)$/.exec(name)
        if (m && !pathParams.includes(m[1]!)) {
          this.error(where, `{${m[1]}} is not a path parameter of this route`)
          return undefined
        }
      }
      config.cacheKeyParameters = names.map((n) => n.name)
    }
    return { config, enabled }
  }

  private perKeyInvalidation(raw: unknown, at: Path): Obj {
    if (raw === undefined) return {}
    if (!isObject(raw)) {
      this.error(at, 'perKeyInvalidation is { requireAuthorization, handleUnauthorizedRequests }')
      return {}
    }
    this.rest(raw, at, ['requireAuthorization', 'handleUnauthorizedRequests'])
    const out: Obj = {}
    if (raw.requireAuthorization !== undefined) out.requireAuthorizationForCacheControl = raw.requireAuthorization
    if (raw.handleUnauthorizedRequests !== undefined) {
      const strategy = { Ignore: 'SUCCEED_WITHOUT_RESPONSE_HEADER', IgnoreWithWarning: 'SUCCEED_WITH_RESPONSE_HEADER', Fail: 'FAIL_WITH_403' }[String(raw.handleUnauthorizedRequests)]
      if (strategy) out.unauthorizedCacheControlHeaderStrategy = strategy
      else this.error([...at, 'handleUnauthorizedRequests'], 'handleUnauthorizedRequests is Ignore, IgnoreWithWarning or Fail')
    }
    return out
  }

  private cacheKeyParameters(raw: unknown, at: Path): { name: string; at: Path }[] | undefined {
    if (!Array.isArray(raw)) {
      this.error(at, 'cacheKeyParameters is a list of { name: request.path.X | request.querystring.X | request.header.X }')
      return undefined
    }
    const out: { name: string; at: Path }[] = []
    let ok = true
    raw.forEach((item, i) => {
      const where = [...at, i]
      const name = typeof item === 'string' ? item : isObject(item) ? item.name : undefined
      if (isObject(item) && (item.value !== undefined || item.mappedFrom !== undefined)) {
        this.error(where, 'mapped cache key parameters (value, mappedFrom) are not supported yet: entries would be shared between requests that differ')
        ok = false
        return
      }
      if (typeof name !== 'string' || !/^(method\.)?request\.(path|querystring|header)\.[\w.-]+$/.test(name)) {
        this.error(where, `${JSON.stringify(name ?? null)} cannot be part of a Portico cache key (request.path.X, request.querystring.X or request.header.X); keying without it would share entries between requests that differ`)
        ok = false
        return
      }
      out.push({ name, at: where })
    })
    return ok ? out : undefined
  }

  // ---- httpApi events ----

  private httpApiProvider() {
    const h = this.provider.httpApi
    if (h === undefined) return
    const at = ['provider', 'httpApi']
    if (!isObject(h)) return this.error(at, 'httpApi is a mapping (cors, authorizers, payload, ...)')
    this.rest(h, at, ['cors', 'authorizers', 'payload', 'name', 'id', 'disableDefaultEndpoint', 'metrics', 'useProviderTags', 'shouldStartNameWithService'])
    if (h.id !== undefined) this.error([...at, 'id'], 'an existing HTTP API (id) is not in this file: Portico serves the routes defined here only')
    if (h.disableDefaultEndpoint !== undefined) this.warn([...at, 'disableDefaultEndpoint'], 'not supported by Portico yet (ignored)')
    for (const key of ['metrics', 'useProviderTags']) if (h[key] !== undefined) this.warn([...at, key], 'deployment setting, not used by Portico (ignored)')
    if (h.payload !== undefined) {
      const v = String(h.payload)
      if (v === '1.0' || v === '2.0') this.httpPayload = v
      else this.error([...at, 'payload'], 'payload is \'1.0\' or \'2.0\'')
    }
    if (h.authorizers !== undefined) {
      if (!isObject(h.authorizers)) return this.error([...at, 'authorizers'], 'authorizers is a mapping of names to authorizers')
      for (const [name, def] of Object.entries(h.authorizers)) this.httpAuthorizerDefinition(name, def, [...at, 'authorizers', name])
    }
  }

  private httpAuthorizerDefinition(name: string, def: unknown, at: Path, extraKeys: string[] = []): string | undefined {
    if (!isObject(def)) {
      this.error(at, 'an authorizer is a mapping (type, identitySource, issuerUrl, audience | functionName, ...)')
      return undefined
    }
    const keys = ['type', 'identitySource', 'issuerUrl', 'audience', 'functionName', 'functionArn', 'payloadVersion', 'enableSimpleResponses', 'resultTtlInSeconds', 'managedExternally']
    this.rest(def, at, [...keys, ...extraKeys])
    if (def.managedExternally !== undefined) this.warn([...at, 'managedExternally'], 'deployment setting, not used by Portico (ignored)')
    const type = String(def.type ?? (def.functionName !== undefined || def.functionArn !== undefined ? 'request' : 'jwt')).toLowerCase()
    const config: Obj = {}
    if (type === 'jwt') {
      if (typeof def.issuerUrl !== 'string') {
        this.error([...at, 'issuerUrl'], 'a jwt authorizer needs issuerUrl')
        return undefined
      }
      config.type = 'jwt'
      config.issuer = def.issuerUrl
      if (def.audience !== undefined) config.audience = Array.isArray(def.audience) ? def.audience : [def.audience]
      if (def.identitySource !== undefined) {
        const list = ([] as unknown[]).concat(def.identitySource)
        if (list.length !== 1) {
          this.error([...at, 'identitySource'], 'a jwt authorizer reads one identity source, e.g. $request.header.Authorization')
          return undefined
        }
        config.identitySource = list[0]
      }
      for (const key of ['functionName', 'functionArn', 'payloadVersion', 'enableSimpleResponses', 'resultTtlInSeconds']) {
        if (def[key] !== undefined) this.warn([...at, key], 'applies to request (Lambda) authorizers (ignored)')
      }
    } else if (type === 'request') {
      let fn: string
      if (typeof def.functionName === 'string') {
        if (!this.functionNames.has(def.functionName)) {
          this.error([...at, 'functionName'], `no function "${def.functionName}" in functions`)
          return undefined
        }
        fn = def.functionName
      } else if (typeof def.functionArn === 'string' && LAMBDA_ARN.test(def.functionArn)) fn = def.functionArn
      else {
        this.error(at, 'a request authorizer needs functionName (one of this service\'s functions) or functionArn (a Lambda ARN)')
        return undefined
      }
      config.type = 'request'
      config.function = fn
      if (def.identitySource !== undefined) config.identitySource = def.identitySource
      const ttl = def.resultTtlInSeconds ?? 300
      config.resultTtlInSeconds = ttl
      if (def.identitySource === undefined && typeof ttl === 'number' && ttl > 0) {
        this.error([...at, 'identitySource'], `a request authorizer whose results are cached (resultTtlInSeconds ${ttl}${def.resultTtlInSeconds === undefined ? ', the default' : ''}) needs identitySource, the cache key`)
        return undefined
      }
      config.payloadFormatVersion = def.payloadVersion === undefined ? '2.0' : String(def.payloadVersion)
      if (def.enableSimpleResponses !== undefined) config.enableSimpleResponses = def.enableSimpleResponses
      for (const key of ['issuerUrl', 'audience']) if (def[key] !== undefined) this.warn([...at, key], 'applies to jwt authorizers (ignored)')
    } else {
      this.error([...at, 'type'], `"${String(def.type)}" is not an HTTP API authorizer type (jwt, request)`)
      return undefined
    }
    return this.defineAuthorizer(this.httpAuthorizers, name, config, at)
  }

  private httpApiEvent(fn: string, raw: unknown, at: Path, throttle: Obj | undefined) {
    let e: Obj
    if (typeof raw === 'string') {
      if (raw.trim() === '*') e = { method: '*', path: '*' }
      else {
        const m = /^(\S+)\s+(\S+)$/.exec(raw.trim())
        if (!m) return this.error(at, 'the short form is "METHOD /path" or "*"')
        e = { method: m[1], path: m[2] }
      }
    } else if (isObject(raw)) e = raw
    else return this.error(at, 'an httpApi event is a mapping (method, path, authorizer) or "METHOD /path"')
    this.rest(e, at, ['method', 'path', 'authorizer'])

    const route: Obj = {}
    let key: string
    if (e.path === '*') {
      if (e.method !== undefined && e.method !== '*') return this.error([...at, 'method'], 'the catch-all route (path *) takes every method: method *')
      route.route = '$default'
      key = '$default'
    } else {
      const method = e.method === undefined ? undefined : this.method(e.method, [...at, 'method'], true)
      if (e.method === undefined) this.error([...at, 'method'], 'a method is needed (get, post, ..., *)')
      const path = this.path(e.path, [...at, 'path'])
      if (method === undefined || path === undefined) return
      route.method = method
      route.path = path
      key = `${method} ${path}`
    }
    const prior = this.routeKeys.get('HTTP ' + key)
    if (prior) return this.error(at, `route ${key} is already defined at ${pathText(prior)}`)
    this.routeKeys.set('HTTP ' + key, at)
    const integration: Obj = { type: 'lambda', function: fn }
    if (this.httpPayload) integration.payloadFormatVersion = this.httpPayload
    route.integration = integration
    if (e.authorizer !== undefined) {
      const auth = this.httpAuthorization(e.authorizer, [...at, 'authorizer'])
      if (auth === undefined) return
      route.authorization = auth
    }
    if (throttle) route.throttle = throttle
    this.httpRoutes.push({ route, at, method: key === '$default' ? 'ANY' : (route.method as string) })
  }

  private httpAuthorization(raw: unknown, at: Path): Obj | 'AWS_IAM' | undefined {
    if (typeof raw === 'string') raw = { name: raw }
    if (!isObject(raw)) {
      this.error(at, 'an authorizer is a name or a mapping (name, scopes)')
      return undefined
    }
    if (String(raw.type ?? '').toLowerCase() === 'aws_iam') {
      this.rest(raw, at, ['type'])
      return 'AWS_IAM'
    }
    if (raw.id !== undefined) {
      this.error([...at, 'id'], 'an existing authorizer (id) is not in this file: define it under provider.httpApi.authorizers')
      return undefined
    }
    if (typeof raw.name !== 'string') {
      this.error(at, 'an authorizer needs the name of one of provider.httpApi.authorizers')
      return undefined
    }
    const inline = ['issuerUrl', 'audience', 'identitySource', 'functionName', 'functionArn', 'payloadVersion', 'enableSimpleResponses', 'resultTtlInSeconds', 'type'].some((k) => raw[k] !== undefined)
    let name: string | undefined = authorizerName(raw.name)
    if (inline) {
      // The guide defines the authorizer on the event; the framework expects it in provider.httpApi.authorizers.
      const { name: _n, scopes: _s, ...def } = raw
      name = this.httpAuthorizerDefinition(raw.name, def, at, ['name', 'scopes'])
      if (name === undefined) return undefined
      this.warn(at, `authorizer "${raw.name}" is defined on the event; the Serverless Framework expects it under provider.httpApi.authorizers (Portico accepts both)`)
    } else {
      this.rest(raw, at, ['name', 'scopes'])
      if (!this.httpAuthorizers.has(name)) {
        const known = [...this.httpAuthorizers.keys()]
        this.error([...at, 'name'], `no authorizer "${raw.name}" in provider.httpApi.authorizers${known.length ? ` (known: ${known.join(', ')})` : ''}`)
        return undefined
      }
    }
    const out: Obj = { authorizer: name }
    if (raw.scopes !== undefined) {
      if (!Array.isArray(raw.scopes)) {
        this.error([...at, 'scopes'], 'scopes is a list of scope names')
        return undefined
      }
      if (this.httpAuthorizers.get(name)?.config.type !== 'jwt') {
        this.error([...at, 'scopes'], 'scopes apply to jwt authorizers only')
        return undefined
      }
      out.scopes = raw.scopes
    }
    return out
  }

  // ---- provider.apiGateway ----

  private apiGatewayConfig(): Obj {
    const ag = this.provider.apiGateway
    const at = ['provider', 'apiGateway']
    if (ag === undefined) return {}
    if (!isObject(ag)) {
      this.error(at, 'apiGateway is a mapping (apiKeys, usagePlan, throttle, caching, ...)')
      return {}
    }
    this.rest(ag, at, [
      'apiKeys', 'usagePlan', 'throttle', 'caching', 'binaryMediaTypes', 'resourcePolicy', 'apiKeySourceType', 'description',
      'shouldStartNameWithService', 'metrics', 'restApiId', 'restApiRootResourceId', 'restApiResources', 'websocketApiId',
      'disableDefaultEndpoint', 'minimumCompressionSize', 'request',
    ])
    if (ag.metrics !== undefined) this.warn([...at, 'metrics'], 'deployment setting, not used by Portico (ignored)')
    for (const key of ['restApiId', 'restApiRootResourceId', 'restApiResources']) {
      if (ag[key] !== undefined) this.warn([...at, key], 'a REST API shared with other services: Portico serves the routes defined in this file only')
    }
    if (ag.websocketApiId !== undefined) this.warn([...at, 'websocketApiId'], 'an existing WebSocket API (websocketApiId) is not in this file: Portico serves the websocket events of this file as their own API (ignored)')
    for (const key of ['disableDefaultEndpoint', 'minimumCompressionSize']) if (ag[key] !== undefined) this.warn([...at, key], 'not supported by Portico yet (ignored)')
    return ag
  }

  private restApi(name: string, ag: Obj): Obj {
    const at = ['provider', 'apiGateway']
    const stage: Obj = { name: this.stage }
    if (ag.throttle !== undefined) {
      const t = this.throttle(ag.throttle, [...at, 'throttle'])
      if (t) stage.throttle = t
    }
    this.stageCaching(ag, stage)
    if (!this.stageCache) {
      for (const r of this.restRoutes) {
        if (r.cachingEnabled === true) {
          this.warn([...r.at, 'caching', 'enabled'], 'the stage has no cache (provider.apiGateway.caching or custom.apiGatewayCaching with enabled: true): not cached, as on AWS')
        }
      }
    }
    const logs = this.provider.logs
    if (isObject(logs)) {
      this.rest(logs, ['provider', 'logs'], ['restApi', 'httpApi', 'websocket'], new Set(['frameworkLambda', 'lambda']))
      const log = this.accessLog(logs.restApi, ['provider', 'logs', 'restApi'])
      if (log) stage.accessLog = log
    } else if (logs !== undefined) this.error(['provider', 'logs'], 'logs is a mapping (restApi, httpApi, ...)')

    const api: Obj = { name, type: 'REST', stages: [stage], routes: this.restRoutes.map((r) => r.route) }
    if (this.models.size) api.models = Object.fromEntries([...this.models].map(([k, v]) => [k, v.schema]))
    if (this.validated) api.requestValidators = { [this.validatorName()]: { validateRequestBody: true, validateRequestParameters: true } }
    if (this.restAuthorizers.size) api.authorizers = Object.fromEntries([...this.restAuthorizers].map(([k, v]) => [k, v.config]))
    if (ag.binaryMediaTypes !== undefined) api.binaryMediaTypes = ag.binaryMediaTypes
    if (ag.apiKeySourceType !== undefined) {
      const v = String(ag.apiKeySourceType).toUpperCase()
      if (v === 'HEADER' || v === 'AUTHORIZER') api.apiKeySource = v
      else this.error([...at, 'apiKeySourceType'], 'apiKeySourceType is HEADER or AUTHORIZER')
    }
    if (typeof ag.description === 'string') api.description = ag.description
    if (ag.resourcePolicy !== undefined) {
      const policy = this.resourcePolicy(ag.resourcePolicy, [...at, 'resourcePolicy'])
      if (policy) api.resourcePolicy = policy
    }
    return api
  }

  private accessLog(raw: unknown, at: Path): Obj | undefined {
    if (raw === undefined || raw === false) return undefined
    if (raw === true) return { enabled: true }
    if (!isObject(raw)) {
      this.error(at, 'true, or a mapping (format, accessLogging, ...)')
      return undefined
    }
    this.rest(raw, at, ['format', 'accessLogging'], new Set(['executionLogging', 'level', 'fullExecutionData', 'role', 'roleManagedExternally']))
    const out: Obj = { enabled: raw.accessLogging !== false }
    if (typeof raw.format === 'string') out.format = raw.format
    return out
  }

  /** Stage cache from provider.apiGateway.caching (AWS stage semantics) or custom.apiGatewayCaching (plugin). */
  private stageCaching(ag: Obj, stage: Obj) {
    const guide = ag.caching
    const plugin = this.vars.resolve(['custom', 'apiGatewayCaching'])
    const hasPlugin = plugin !== undefined
    if (guide !== undefined && hasPlugin) {
      this.error(['custom', 'apiGatewayCaching'], 'caching is configured twice: use provider.apiGateway.caching or custom.apiGatewayCaching, not both')
      return
    }
    const raw = guide ?? plugin
    if (raw === undefined) return
    const at = guide !== undefined ? ['provider', 'apiGateway', 'caching'] : ['custom', 'apiGatewayCaching']
    if (!isObject(raw)) return this.error(at, 'caching is a mapping (enabled, ttlInSeconds, dataEncrypted, ...)')
    this.rest(raw, at, ['enabled', 'ttlInSeconds', 'dataEncrypted', 'cacheKeyParameters', 'perKeyInvalidation', 'clusterSize', 'apiGatewayIsShared', 'restApiId', 'basePath', 'endpointsInheritCloudFormationCaching'])
    for (const key of ['clusterSize', 'apiGatewayIsShared', 'restApiId', 'basePath', 'endpointsInheritCloudFormationCaching']) {
      if (raw[key] !== undefined) this.warn([...at, key], key === 'clusterSize' ? 'the memory cache is sized by capacityBytes (custom.portico has no cluster sizes; ignored)' : 'not supported by Portico yet (ignored)')
    }
    if (raw.enabled !== true) return
    this.cacheMode = guide !== undefined ? 'stage' : 'plugin'
    const cache: Obj = { enabled: true }
    // AWS's stage default is 300 s; the plugin's documented default is 3600 s.
    cache.ttlInSeconds = raw.ttlInSeconds ?? (this.cacheMode === 'plugin' ? 3600 : 300)
    if (raw.dataEncrypted !== undefined) cache.dataEncrypted = raw.dataEncrypted
    Object.assign(cache, this.perKeyInvalidation(raw.perKeyInvalidation, [...at, 'perKeyInvalidation']))
    if (raw.dataEncrypted === true) {
      const keyEnv = isObject(this.portico.settings) && isObject(this.portico.settings.cache) && typeof this.portico.settings.cache.encryptionKeyEnv === 'string' ? this.portico.settings.cache.encryptionKeyEnv : 'PORTICO_CACHE_KEY'
      if (!this.opts.env[keyEnv]) this.warn([...at, 'dataEncrypted'], `set ${keyEnv} to a base64 256-bit key: the gateway does not start without it`)
    }
    if (raw.cacheKeyParameters !== undefined) this.globalCacheKeys = this.cacheKeyParameters(raw.cacheKeyParameters, [...at, 'cacheKeyParameters']) ?? []
    this.stageCache = cache
    stage.cache = cache
    this.applyRouteCaching()
  }

  /** Stage-wide key parameters on each route they apply to; the plugin's opt-in per route. */
  private applyRouteCaching() {
    for (const r of this.restRoutes) {
      const caching = (r.route.caching ?? {}) as Obj
      const own = (caching.cacheKeyParameters as string[] | undefined) ?? []
      const global = this.globalCacheKeys
        .map((k) => k.name)
        .filter((name) => {
          const m = /request\.path\.(.+)$/.exec(name)
          return !m || r.pathParams.includes(m[1]!)
        })
      const keys = [...new Set([...global, ...own])]
      if (keys.length) caching.cacheKeyParameters = keys
      if (this.cacheMode === 'plugin' && r.cachingEnabled !== true) caching.enabled = false
      if (Object.keys(caching).length) r.route.caching = caching
    }
  }

  private resourcePolicy(raw: unknown, at: Path): Obj | undefined {
    const statements = Array.isArray(raw) ? raw : isObject(raw) && raw.Statement !== undefined ? ([] as unknown[]).concat(raw.Statement) : undefined
    if (!statements) {
      this.error(at, 'resourcePolicy is a list of policy statements')
      return undefined
    }
    const out = statements.map((s, i) => {
      if (!isObject(s)) return s
      const copy: Obj = { ...s }
      for (const field of ['Resource', 'NotResource']) {
        if (copy[field] === undefined) continue
        const list = Array.isArray(copy[field]) ? (copy[field] as unknown[]) : [copy[field]]
        const mapped = list.map((r, j) => {
          if (typeof r !== 'string') {
            this.error([...at, i, field, ...(Array.isArray(copy[field]) ? [j] : [])], `${describeRef(r)} cannot be resolved by Portico: write the resource as execute-api:/stage/METHOD/path`)
            return r
          }
          // CloudFormation expands execute-api:/... to this API's ARN; any account and id here
          // is this API, since the policy is evaluated for its requests only.
          return r.startsWith('execute-api:/') ? `arn:aws:execute-api:${this.region}:*:*/${r.slice('execute-api:/'.length)}` : r
        })
        copy[field] = Array.isArray(copy[field]) ? mapped : mapped[0]
      }
      return copy
    })
    return { Version: isObject(raw) && typeof raw.Version === 'string' ? raw.Version : '2012-10-17', Statement: out }
  }

  // ---- API keys and usage plans ----

  private keysAndPlans(ag: Obj, restName: string | undefined): { apiKeys: Obj[]; usagePlans: Obj[] } {
    const at = ['provider', 'apiGateway']
    const apiKeys: Obj[] = []
    const grouped = new Map<string, string[]>()
    const ungrouped: string[] = []
    const names = new Map<string, Path>()
    const addKey = (item: unknown, where: Path): string | undefined => {
      let key: Obj
      if (typeof item === 'string') key = { name: item }
      else if (isObject(item) && typeof item.name === 'string') {
        this.rest(item, where, ['name', 'value', 'description', 'enabled', 'customerId'])
        if (item.customerId !== undefined) this.warn([...where, 'customerId'], 'not supported by Portico yet (ignored)')
        key = { name: item.name }
        if (item.value !== undefined) {
          if (typeof item.value !== 'string' || item.value.length < 20 || item.value.length > 128) {
            this.error([...where, 'value'], 'an API key value is 20 to 128 characters (as on AWS)')
            return undefined
          }
          key.value = item.value
        }
        if (typeof item.description === 'string') key.description = item.description
        if (item.enabled !== undefined) key.enabled = item.enabled
      } else {
        this.error(where, 'an API key is a name, { name, value, description, enabled }, or { <usage plan>: [keys] }')
        return undefined
      }
      const name = key.name as string
      const prior = names.get(name)
      if (prior) {
        this.error(where, `API key "${name}" is already declared at ${pathText(prior)}`)
        return undefined
      }
      names.set(name, where)
      if (key.value === undefined) {
        const env = 'API_KEY_' + name.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '')
        key.valueEnv = env
        if (!this.opts.env[env]) this.warn(where, `API key "${name}" has no value: Portico reads it from the environment variable ${env}, which is not set (the gateway does not start until it is)`)
      }
      apiKeys.push(key)
      return name
    }

    if (ag.apiKeys !== undefined) {
      if (!Array.isArray(ag.apiKeys)) this.error([...at, 'apiKeys'], 'apiKeys is a list')
      else {
        ag.apiKeys.forEach((item, i) => {
          const where = [...at, 'apiKeys', i]
          if (isObject(item) && typeof item.name !== 'string' && Object.keys(item).length === 1 && Array.isArray(Object.values(item)[0])) {
            const [plan, list] = Object.entries(item)[0] as [string, unknown[]]
            const members = grouped.get(plan) ?? []
            list.forEach((k, j) => {
              const name = addKey(k, [...where, plan, j])
              if (name) members.push(name)
            })
            grouped.set(plan, members)
          } else {
            const name = addKey(item, where)
            if (name) ungrouped.push(name)
          }
        })
      }
    }

    const plans: { name: string; at: Path; quota?: Obj; throttle?: Obj }[] = []
    const defaultName = `${this.service}-${this.stage}`
    const planLimits = (raw: unknown, where: Path): { quota?: Obj; throttle?: Obj } => {
      if (raw === null || raw === undefined) return {}
      if (!isObject(raw)) {
        this.error(where, 'a usage plan is { quota, throttle }')
        return {}
      }
      this.rest(raw, where, ['quota', 'throttle'])
      const out: { quota?: Obj; throttle?: Obj } = {}
      if (raw.throttle !== undefined) out.throttle = this.throttle(raw.throttle, [...where, 'throttle'])
      if (raw.quota !== undefined) {
        const q = raw.quota
        if (!isObject(q) || q.limit === undefined || q.period === undefined) this.error([...where, 'quota'], 'quota is { limit, period, offset? }')
        else {
          this.rest(q, [...where, 'quota'], ['limit', 'period', 'offset'])
          out.quota = { limit: q.limit, period: String(q.period).toUpperCase(), ...(q.offset !== undefined ? { offset: q.offset } : {}) }
        }
      }
      return out
    }
    const up = ag.usagePlan
    if (Array.isArray(up)) {
      up.forEach((item, i) => {
        const where = [...at, 'usagePlan', i]
        if (!isObject(item) || Object.keys(item).length !== 1) return this.error(where, 'a named usage plan is { <name>: { quota, throttle } }')
        const [name, limits] = Object.entries(item)[0]!
        plans.push({ name, at: where, ...planLimits(limits, [...where, name]) })
      })
    } else if (up !== undefined) {
      plans.push({ name: defaultName, at: [...at, 'usagePlan'], ...planLimits(up, [...at, 'usagePlan']) })
    } else if (apiKeys.length) {
      // The framework creates a plan for the keys: AWS only accepts keys that are in one.
      plans.push({ name: defaultName, at: [...at, 'apiKeys'] })
    }

    const members = new Map<string, string[]>(plans.map((p) => [p.name, []]))
    for (const [plan, list] of grouped) {
      const target = members.get(plan)
      if (!target) {
        this.error([...at, 'apiKeys'], `keys are grouped under "${plan}", which is not one of provider.apiGateway.usagePlan's plans${Array.isArray(up) ? '' : ' (usagePlan is not a list of named plans)'}`)
        continue
      }
      target.push(...list)
    }
    if (ungrouped.length) {
      if (plans.length === 1) members.get(plans[0]!.name)!.push(...ungrouped)
      else if (plans.length > 1) this.error([...at, 'apiKeys'], 'with several usage plans, group the keys by plan: - <plan>: [key, ...]')
    }
    if ((apiKeys.length || plans.length) && !restName) this.warn([...at, apiKeys.length ? 'apiKeys' : 'usagePlan'], 'API keys and usage plans apply to REST APIs (http events); this service has none')
    const usagePlans = plans.map((p) => {
      const plan: Obj = { name: p.name, apiStages: restName ? [{ api: restName, stage: this.stage }] : [], apiKeys: members.get(p.name) ?? [] }
      if (p.quota) plan.quota = p.quota
      if (p.throttle) plan.throttle = p.throttle
      return plan
    })
    return { apiKeys, usagePlans }
  }

  // ---- WebSocket API ----

  /**
   * The service's WebSocket API (websocket events). AWS serves it on a host of its own; when
   * a REST or HTTP API of the service takes "/", it is mounted under /ws
   * (custom.portico.websocketBasePath changes it), with a warning.
   */
  private websocketApi(apis: Obj[], othersAtRoot: boolean) {
    const p = this.provider
    const logs = isObject(p.logs) ? p.logs : {}
    if (!this.websocket.present) {
      for (const key of ['websocketsApiName', 'websocketsApiRouteSelectionExpression', 'websocketsDescription']) {
        if (p[key] !== undefined) this.warn(['provider', key], 'applies to the WebSocket API (websocket events); this service has none (ignored)')
      }
      if (logs.websocket !== undefined) this.warn(['provider', 'logs', 'websocket'], 'applies to the WebSocket API (websocket events); this service has none (ignored)')
      return
    }
    let basePath: string | undefined
    if (typeof this.portico.websocketBasePath === 'string') basePath = this.portico.websocketBasePath
    else if (othersAtRoot) {
      basePath = '/ws'
      this.warn(['provider'], `the service has WebSocket and ${this.restRoutes.length ? 'http (REST)' : 'httpApi'} events, which AWS serves on separate hosts: Portico serves the WebSocket API under /ws/${this.stage} (custom.portico.websocketBasePath changes it)`)
    }
    const accessLog = this.accessLog(logs.websocket, ['provider', 'logs', 'websocket'])
    apis.push(this.websocket.api({ service: this.service, stage: this.stage, provider: p, basePath, accessLog }))
  }

  // ---- HTTP API ----

  /**
   * provider.httpApi.cors: true (the framework's defaults: any origin, its header list, the
   * routes' methods plus OPTIONS) or { allowedOrigins, allowedHeaders, allowedMethods,
   * allowCredentials, exposedResponseHeaders, maxAge }.
   */
  private httpCors(raw: unknown, at: Path): Obj | undefined {
    if (raw !== true && !isObject(raw)) {
      this.error(at, 'cors is true or a mapping (allowedOrigins, allowedHeaders, allowedMethods, allowCredentials, exposedResponseHeaders, maxAge)')
      return undefined
    }
    const c: Obj = raw === true ? {} : raw
    if (raw !== true) this.rest(c, at, ['allowedOrigins', 'allowedHeaders', 'allowedMethods', 'allowCredentials', 'exposedResponseHeaders', 'maxAge'])
    const list = (v: unknown) => (Array.isArray(v) ? v : [v])
    const out: Obj = {
      allowOrigins: c.allowedOrigins === undefined ? ['*'] : list(c.allowedOrigins),
      allowHeaders: c.allowedHeaders === undefined ? [...DEFAULT_CORS_HEADERS] : list(c.allowedHeaders),
    }
    if (c.allowedMethods !== undefined) out.allowMethods = list(c.allowedMethods).map((m) => (typeof m === 'string' ? m.toUpperCase() : m))
    else {
      const methods = new Set(['OPTIONS'])
      for (const r of this.httpRoutes) {
        if (r.method === 'ANY') for (const m of HTTP_API_CORS_METHODS) methods.add(m)
        else methods.add(r.method)
      }
      out.allowMethods = [...methods]
    }
    if (c.allowCredentials) out.allowCredentials = true
    if (c.exposedResponseHeaders !== undefined) out.exposeHeaders = list(c.exposedResponseHeaders)
    if (c.maxAge !== undefined) out.maxAge = c.maxAge
    return out
  }

  private httpApi(name: string, withRest: boolean): Obj {
    const api: Obj = { name, type: 'HTTP', routes: this.httpRoutes.map((r) => r.route) }
    if (withRest) {
      const base = typeof this.portico.httpApiBasePath === 'string' ? this.portico.httpApiBasePath : '/http'
      api.basePath = base
      if (this.portico.httpApiBasePath === undefined) {
        this.warn(['provider', 'httpApi'], `the service has http (REST) and httpApi events, which AWS serves on two hosts: Portico serves the REST API at /${this.stage}/... and the HTTP API under ${base} (custom.portico.httpApiBasePath changes it)`)
      }
    }
    if (this.httpAuthorizers.size) api.authorizers = Object.fromEntries([...this.httpAuthorizers].map(([k, v]) => [k, v.config]))
    const h = this.provider.httpApi
    if (isObject(h) && h.cors !== undefined && h.cors !== false) {
      const cors = this.httpCors(h.cors, ['provider', 'httpApi', 'cors'])
      if (cors) api.cors = cors
    }
    const logs = this.provider.logs
    if (isObject(logs) && logs.httpApi !== undefined) {
      const log = this.accessLog(logs.httpApi, ['provider', 'logs', 'httpApi'])
      if (log) api.stages = [{ name: '$default', accessLog: log }]
    }
    return api
  }

  /** custom.portico.authorizers.<name>: fields merged over the imported authorizer (e.g. a local issuer). */
  private applyPorticoAuthorizers() {
    const overrides = this.portico.authorizers
    if (overrides === undefined) return
    const at = ['custom', 'portico', 'authorizers']
    if (!isObject(overrides)) return this.error(at, 'authorizers is a mapping of authorizer names to fields to override')
    for (const [name, fields] of Object.entries(overrides)) {
      const targets = [this.restAuthorizers.get(name), this.httpAuthorizers.get(name)].filter((x) => x !== undefined)
      if (!targets.length) {
        this.warn([...at, name], 'no authorizer of that name in this service (ignored)')
        continue
      }
      if (!isObject(fields)) {
        this.error([...at, name], 'a mapping of fields (issuer, jwksUri, jwks, ...)')
        continue
      }
      for (const t of targets) Object.assign(t.config, fields)
    }
  }
}

/** [name, value, path] of each function, from a mapping or the framework's list of mappings. */
function functionEntries(functions: unknown): [string, unknown, Path][] {
  if (isObject(functions)) return Object.entries(functions).map(([k, v]) => [k, v, ['functions', k]])
  if (Array.isArray(functions)) {
    return functions.flatMap((group, i) => (isObject(group) ? Object.entries(group).map(([k, v]) => [k, v, ['functions', i, k]] as [string, unknown, Path]) : []))
  }
  return []
}

/** Authorizer names Portico accepts: letters, digits, _ and -, starting with a letter. */
function authorizerName(name: string): string {
  const clean = name.replace(/[^\w-]/g, '_').slice(0, 128)
  return /^[A-Za-z]/.test(clean) ? clean : `a${clean}`.slice(0, 128)
}

/** How a CloudFormation reference looks in messages: {Ref}, {Fn::GetAtt}, ... */
function describeRef(v: unknown): string {
  if (isObject(v)) {
    const keys = Object.keys(v)
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) return `the CloudFormation reference {${keys[0]}}`
    return 'an object'
  }
  return JSON.stringify(v)
}

function pathText(path: Path): string {
  return formatIssue({ path, message: '' }).replace(/: $/, '')
}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
