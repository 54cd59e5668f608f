/**
 * OpenAPI 3.0 / 3.1 documents with API Gateway's extensions → a Portico config.
 *
 * The document is read as API Gateway's importer reads it: each path and method is a route
 * (`x-amazon-apigateway-any-method` is ANY, `/$default` the HTTP API default route), each
 * operation's `x-amazon-apigateway-integration` its integration, security schemes carrying
 * `x-amazon-apigateway-authorizer` the API's authorizers, and the API-level extensions its
 * binary media types, gateway responses, resource policy and API key source.
 *
 * REST APIs also get their request validation as API Gateway imports it: components.schemas
 * become models, an operation's requestBody its models per content type, its `parameters`
 * (and its path item's) its request parameters (`required` marks the ones a validator
 * enforces), `x-amazon-apigateway-request-validators` the validators, and the document's or
 * the operation's `x-amazon-apigateway-request-validator` each route's. HTTP APIs get
 * `x-amazon-apigateway-cors`.
 *
 * Non-proxy integrations (aws for Lambda functions, http, mock) keep their mapping templates,
 * passthrough behaviour, parameter mappings and integration responses, which Portico runs.
 * What Portico cannot serve as written (AWS service integrations, unknown references) is an
 * error; what it leaves out (settings that only matter on AWS) is a warning naming its JSON
 * path. Nothing is dropped silently, except other vendors' `x-` extensions, which mean nothing
 * to API Gateway either, and OpenAPI's documentation keys (descriptions, method responses;
 * schemas and parameters on HTTP APIs, which have no request validation), which do not change
 * how a proxy answers.
 *
 * The result is a plain config object: loadModel validates it like any other config.
 */
import { ConfigError, formatIssue, type ConfigIssue } from '../model/load.ts'
import type { PorticoConfigInput } from '../model/schema.ts'
import { resourcePath as resourcePathSchema } from '../model/typedefs.ts'
import { GATEWAY_RESPONSE_TYPES } from '../core/errors.ts'
import { BUILTIN_MODELS, modelNameFrom, referencedModel } from '../model/models.ts'

/** Options of importOpenApi. */
export interface OpenApiImportOptions {
  /** API name; default the document's info.title. */
  apiName?: string
  /** REST or HTTP API; default inferred: HTTP when the document uses HTTP API-only features (payloadFormatVersion, jwt authorizers, x-amazon-apigateway-cors, /$default). */
  type?: 'REST' | 'HTTP'
  /** Stage served; default the servers' `{basePath}` variable (as AWS exports write it), else prod (REST) / $default (HTTP). */
  stage?: string
  /** Local handlers for Lambda functions: function ARN or function name → "module.export" (creates `functions` entries). */
  lambdaMapping?: Record<string, string>
  /** File the document came from, for error messages. */
  file?: string
}

/** A Portico config and what the import left out. */
export interface OpenApiImportResult {
  config: PorticoConfigInput
  /** One line per ignored key or extension: `json.path: what was ignored and why`. */
  warnings: string[]
  /**
   * Where a field of `config` came from in the document: loadModel's issue paths
   * (`apis[0].routes[2].integration.uri`) → document paths, to report file lines.
   */
  origin: (configPath: (string | number)[]) => (string | number)[] | undefined
}

type Obj = Record<string, unknown>
type Path = (string | number)[]
type ApiInput = PorticoConfigInput['apis'][number]
type RouteInput = NonNullable<ApiInput['routes']>[number]
type IntegrationInput = RouteInput['integration']
type AuthorizerInput = NonNullable<ApiInput['authorizers']>[string]
type AuthorizationInput = NonNullable<RouteInput['authorization']>

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** OpenAPI operation keys → route methods. */
const METHOD_KEYS: Record<string, string> = {
  get: 'GET',
  put: 'PUT',
  post: 'POST',
  delete: 'DELETE',
  options: 'OPTIONS',
  head: 'HEAD',
  patch: 'PATCH',
  'x-amazon-apigateway-any-method': 'ANY',
}

const ROOT_KEYS = new Set(['openapi', 'info', 'servers', 'paths', 'components', 'security', 'tags', 'externalDocs', 'jsonSchemaDialect', 'webhooks'])
const PATH_ITEM_KEYS = new Set(['$ref', 'summary', 'description', 'servers', 'parameters'])
const OPERATION_KEYS = new Set(['tags', 'summary', 'description', 'externalDocs', 'operationId', 'parameters', 'requestBody', 'responses', 'callbacks', 'deprecated', 'security', 'servers'])
const COMPONENT_KEYS = new Set(['schemas', 'responses', 'parameters', 'examples', 'requestBodies', 'headers', 'securitySchemes', 'links', 'callbacks', 'pathItems', 'x-amazon-apigateway-integrations'])
const SCHEME_KEYS = new Set(['type', 'description', 'name', 'in', 'scheme', 'bearerFormat', 'flows', 'openIdConnectUrl', 'x-amazon-apigateway-authorizer', 'x-amazon-apigateway-authtype'])
const INTEGRATION_KEYS = new Set([
  'type',
  'uri',
  'httpMethod',
  'payloadFormatVersion',
  'requestParameters',
  'requestTemplates',
  'responses',
  'passthroughBehavior',
  'timeoutInMillis',
  'contentHandling',
  'connectionType',
  'connectionId',
  'credentials',
  'cacheKeyParameters',
  'cacheNamespace',
  'tlsConfig',
  'integrationSubtype',
  'responseParameters',
])
const AUTHORIZER_KEYS = new Set([
  'type',
  'authorizerUri',
  'authorizerCredentials',
  'authorizerPayloadFormatVersion',
  'enableSimpleResponses',
  'identitySource',
  'jwtConfiguration',
  'identityValidationExpression',
  'authorizerResultTtlInSeconds',
  'providerARNs',
])

/** `arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/<function ARN>/invocations`. */
const LAMBDA_INVOCATION_URI = /^arn:aws[a-z-]*:apigateway:[^:]+:lambda:path\/[^/]+\/functions\/(.+)\/invocations$/
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:/

/** The Lambda invocation URI API Gateway uses for a function ARN (the region is the function's). */
export function lambdaInvocationUri(functionArn: string, fallbackRegion: string): string {
  const region = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):/.exec(functionArn)?.[1] ?? fallbackRegion
  return `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`
}

/** Whether `doc` is an OpenAPI 3.0 or 3.1 document with paths (the loader's detection rule). */
export function isOpenApiDocument(doc: unknown): boolean {
  return isObj(doc) && openApiVersion(doc.openapi) !== undefined && /^3\.[01]$/.test(openApiVersion(doc.openapi)!) && isObj(doc.paths)
}

/** "3.0" / "3.1" from the `openapi` field (YAML may have read `openapi: 3.1` as a number). */
function openApiVersion(v: unknown): string | undefined {
  const text = typeof v === 'number' ? (Number.isInteger(v) ? `${v}.0` : String(v)) : typeof v === 'string' ? v : undefined
  return text === undefined ? undefined : (/^(\d+\.\d+)/.exec(text)?.[1] ?? text)
}

/**
 * Converts an OpenAPI document with API Gateway's extensions into a Portico config.
 * Throws ConfigError listing every problem (with JSON paths into the document).
 */
export function importOpenApi(doc: unknown, opts: OpenApiImportOptions = {}): OpenApiImportResult {
  if (!isObj(doc)) throw new ConfigError([{ path: [], message: 'not an OpenAPI document: expected an object' }], opts.file)
  if (doc.swagger !== undefined && doc.openapi === undefined) {
    throw new ConfigError(
      [{ path: ['swagger'], message: 'OpenAPI 2.0 (Swagger) is not supported: convert the document to OpenAPI 3 (API Gateway exports either; choose oas30)' }],
      opts.file,
    )
  }
  const version = openApiVersion(doc.openapi)
  if (version === undefined) throw new ConfigError([{ path: ['openapi'], message: 'not an OpenAPI document: "openapi" (the version, e.g. 3.0.1) is missing' }], opts.file)
  if (version !== '3.0' && version !== '3.1') {
    throw new ConfigError([{ path: ['openapi'], message: `OpenAPI ${String(doc.openapi)} is not supported (3.0 and 3.1 are)` }], opts.file)
  }
  if (!isObj(doc.paths)) throw new ConfigError([{ path: ['paths'], message: 'an API Gateway definition needs "paths" (an object of path items)' }], opts.file)
  return new OpenApiImporter(doc, opts).run()
}

/** What an OpenAPI security scheme means to API Gateway. */
type Scheme =
  | { kind: 'authorizer'; name: string; type: string }
  | { kind: 'apiKey' }
  | { kind: 'iam' }
  | { kind: 'unsupported'; reason: string }

class OpenApiImporter {
  private readonly issues: ConfigIssue[] = []
  private readonly warnings: string[] = []
  private readonly functions: Record<string, { handler: string }> = {}
  private readonly functionKeys = new Map<string, string>()
  private readonly usedMappings = new Set<string>()
  private readonly authorizers: Record<string, AuthorizerInput> = {}
  private readonly schemes = new Map<string, Scheme>()
  private type: 'REST' | 'HTTP' = 'REST'
  private validators: Record<string, { validateRequestBody: boolean; validateRequestParameters: boolean }> = {}
  /** REST models (components.schemas and inline request bodies) by model name. */
  private readonly models: Record<string, Record<string, unknown>> = {}
  /** components.schemas names → model names (API Gateway's are letters and digits). */
  private readonly modelNames = new Map<string, string>()
  /** Where the config's route request fields came from, by route index. */
  private readonly requestOrigins: { parameters?: Path; models?: Path; validator?: Path }[] = []
  /** Where the config's routes (by index), integrations, authorizers and functions came from. */
  private readonly routeOrigins: Path[] = []
  private readonly integrationOrigins: Path[] = []
  /** Per route: the extension's key (selection pattern or "default") of each integration response. */
  private readonly responseKeyOrigins: string[][] = []
  /** Response keys of the integration being read (set by mapping()). */
  private pendingResponseKeys: string[] = []
  private readonly authorizerOrigins = new Map<string, Path>()
  private readonly functionOrigins = new Map<string, Path>()
  private readonly doc: Obj
  private readonly opts: OpenApiImportOptions

  constructor(doc: Obj, opts: OpenApiImportOptions) {
    this.doc = doc
    this.opts = opts
  }

  run(): OpenApiImportResult {
    const doc = this.doc
    this.type = this.opts.type ?? this.inferType()
    const info = isObj(doc.info) ? doc.info : {}
    const api: ApiInput = {
      name: this.opts.apiName ?? (typeof info.title === 'string' && info.title.trim() ? info.title.trim() : 'openapi'),
      type: this.type,
    }
    if (typeof info.description === 'string') api.description = info.description
    const stages = this.stages()
    if (stages) api.stages = stages.map((name) => ({ name }))
    this.webSocketServers()

    // API-level keys, in document order; components and paths after them (routes need the schemes).
    for (const [key, value] of Object.entries(doc)) {
      const at = [key]
      switch (key) {
        case 'x-amazon-apigateway-api-key-source': {
          const v = typeof value === 'string' ? value.toUpperCase() : value
          if (v === 'HEADER' || v === 'AUTHORIZER') api.apiKeySource = v
          else this.error(at, 'must be HEADER or AUTHORIZER')
          break
        }
        case 'x-amazon-apigateway-binary-media-types':
          if (Array.isArray(value) && value.every((t) => typeof t === 'string')) api.binaryMediaTypes = value as string[]
          else this.error(at, 'must be a list of media types such as image/png')
          break
        case 'x-amazon-apigateway-gateway-responses':
          api.gatewayResponses = this.gatewayResponses(value, at)
          break
        case 'x-amazon-apigateway-policy':
          // loadModel validates the document (statements, supported conditions).
          if (isObj(value)) api.resourcePolicy = value as ApiInput['resourcePolicy']
          else this.error(at, 'must be an IAM policy document ({"Version": ..., "Statement": [...]})')
          break
        case 'x-amazon-apigateway-cors': {
          const cors = this.cors(value, at)
          if (cors) api.cors = cors
          break
        }
        case 'x-amazon-apigateway-request-validators':
        case 'x-amazon-apigateway-request-validator':
          // Read per operation (requestValidator), where the warning names the route.
          break
        case 'x-amazon-apigateway-importexport-version':
          // The export format's version: nothing to serve.
          break
        case 'webhooks':
          if (isObj(value) && Object.keys(value).length) this.warn(at, 'webhooks are not part of an API Gateway API; ignored')
          break
        default:
          if (!ROOT_KEYS.has(key)) this.unknownKey([], key, 'an OpenAPI document')
      }
    }
    this.validatorsTable()
    this.components()
    api.routes = this.paths()
    if (Object.keys(this.authorizers).length) api.authorizers = this.authorizers
    if (this.type === 'REST') {
      if (Object.keys(this.models).length) api.models = this.models
      if (Object.keys(this.validators).length) api.requestValidators = this.validators
    }

    for (const key of Object.keys(this.opts.lambdaMapping ?? {})) {
      if (!this.usedMappings.has(key)) this.warn(['lambdaMapping', key], 'no Lambda URI of the document names this function; unused')
    }
    if (this.issues.length) throw new ConfigError(this.issues, this.opts.file)
    const config: PorticoConfigInput = { apis: [api] }
    if (Object.keys(this.functions).length) config.functions = this.functions
    return { config, warnings: this.warnings, origin: (path) => this.origin(path) }
  }

  private origin(path: (string | number)[]): Path | undefined {
    const [top, apiIndex, field, key, ...rest] = path
    if (top === 'functions' && typeof apiIndex === 'string') return this.functionOrigins.get(apiIndex)
    if (top !== 'apis' || apiIndex !== 0) return undefined
    switch (field) {
      case 'routes': {
        if (typeof key !== 'number' || !this.routeOrigins[key]) return undefined
        if (rest[0] === 'integration' && rest[1] === 'responses' && typeof rest[2] === 'number') {
          const responseKey = this.responseKeyOrigins[key]?.[rest[2]]
          if (responseKey === undefined) return [...this.integrationOrigins[key]!, 'responses']
          return [...this.integrationOrigins[key]!, 'responses', responseKey, ...rest.slice(3).filter((k) => k !== 'selectionPattern')]
        }
        if (rest[0] === 'integration') return [...this.integrationOrigins[key]!, ...(rest[1] === 'timeoutMs' ? ['timeoutInMillis'] : rest[1] === 'function' ? ['uri'] : rest.slice(1))]
        const request = this.requestOrigins[key]
        if (rest[0] === 'requestParameters' && request?.parameters) return request.parameters
        if (rest[0] === 'requestModels' && request?.models) return request.models
        if (rest[0] === 'requestValidator' && request?.validator) return request.validator
        return [...this.routeOrigins[key]!, ...(rest[0] === 'authorization' || rest[0] === 'apiKeyRequired' ? ['security'] : [])]
      }
      case 'authorizers':
        return typeof key === 'string' ? this.authorizerOrigins.get(key) : undefined
      case 'gatewayResponses':
        return ['x-amazon-apigateway-gateway-responses', ...(key === undefined ? [] : [key])]
      case 'resourcePolicy':
        return ['x-amazon-apigateway-policy', ...(key === undefined ? [] : [key]), ...rest]
      case 'cors':
        return ['x-amazon-apigateway-cors', ...(key === undefined ? [] : [key]), ...rest]
      case 'requestValidators':
        return ['x-amazon-apigateway-request-validators', ...(key === undefined ? [] : [key]), ...rest]
      case 'models': {
        const schema = [...this.modelNames].find(([, model]) => model === key)?.[0]
        return schema === undefined ? undefined : ['components', 'schemas', schema, ...rest]
      }
      case 'binaryMediaTypes':
        return ['x-amazon-apigateway-binary-media-types', ...(key === undefined ? [] : [key])]
      case 'apiKeySource':
        return ['x-amazon-apigateway-api-key-source']
      case 'name':
        return this.opts.apiName === undefined ? ['info', 'title'] : undefined
      case 'stages':
        return this.opts.stage === undefined ? ['servers'] : undefined
      default:
        return undefined
    }
  }

  // ---------------------------------------------------------------- reporting

  private error(path: Path, message: string) {
    // A document-level default (validator, integration by $ref) is checked once per operation.
    if (!this.issues.some((i) => i.message === message && i.path.join('\0') === path.join('\0'))) this.issues.push({ path, message })
  }

  private warn(path: Path, message: string) {
    const line = formatIssue({ path, message })
    // An integration shared by $ref is read once per operation; say it once.
    if (!this.warnings.includes(line)) this.warnings.push(line)
  }

  /** A key Portico does not read: API Gateway extensions and stray keys are warned about. */
  private unknownKey(at: Path, key: string, where: string) {
    if (key.startsWith('x-amazon-apigateway-')) this.warn([...at, key], `${key} is not supported by Portico; ignored`)
    else if (key.startsWith('x-')) return // another vendor's extension: API Gateway ignores it too
    else this.warn([...at, key], `not a key of ${where}; ignored`)
  }

  // ---------------------------------------------------------------- references

  /** Follows local `$ref`s (`#/components/...`); reports bad ones. */
  private deref(value: unknown, at: Path, quiet = false): { value: unknown; path: Path } | undefined {
    let path = at
    for (let hops = 0; isObj(value) && typeof value.$ref === 'string'; hops++) {
      const ref = value.$ref
      if (hops > 20) {
        if (!quiet) this.error(path, `$ref "${ref}": reference cycle`)
        return undefined
      }
      if (!ref.startsWith('#/')) {
        if (!quiet) this.error([...path, '$ref'], `only references inside the document (#/...) are supported, not "${ref}"`)
        return undefined
      }
      const segments = ref
        .slice(2)
        .split('/')
        .map((s) => decodeURIComponent(s.replace(/~1/g, '/').replace(/~0/g, '~')))
      let target: unknown = this.doc
      for (const s of segments) target = isObj(target) ? target[s] : Array.isArray(target) ? target[Number(s)] : undefined
      if (target === undefined) {
        if (!quiet) this.error([...path, '$ref'], `"${ref}" points to nothing in the document`)
        return undefined
      }
      value = target
      path = segments
    }
    return { value, path }
  }

  // ---------------------------------------------------------------- API type and stages

  /** HTTP when the document uses what only HTTP APIs have; otherwise REST (API Gateway's original import). */
  private inferType(): 'REST' | 'HTTP' {
    const doc = this.doc
    if (doc['x-amazon-apigateway-cors'] !== undefined) return 'HTTP'
    const paths = doc.paths as Obj
    if ('/$default' in paths) return 'HTTP'
    for (const item of Object.values(paths)) {
      const resolved = this.deref(item, [], true)?.value
      if (!isObj(resolved)) continue
      for (const [key, op] of Object.entries(resolved)) {
        if (!METHOD_KEYS[key] || !isObj(op)) continue
        const integration = this.deref(op['x-amazon-apigateway-integration'], [], true)?.value
        // AWS requires payloadFormatVersion on HTTP API integrations; REST has no such field.
        if (isObj(integration) && integration.payloadFormatVersion !== undefined) return 'HTTP'
      }
    }
    const schemes = isObj(doc.components) && isObj(doc.components.securitySchemes) ? doc.components.securitySchemes : {}
    for (const scheme of Object.values(schemes)) {
      const resolved = this.deref(scheme, [], true)?.value
      const auth = isObj(resolved) ? resolved['x-amazon-apigateway-authorizer'] : undefined
      if (isObj(auth) && String(auth.type).toLowerCase() === 'jwt') return 'HTTP'
    }
    return 'REST'
  }

  /**
   * A wss:// server names a WebSocket API, which OpenAPI does not describe: AWS imports and
   * exports only REST and HTTP APIs as OpenAPI. Said once per such server; the paths are still
   * imported as the REST or HTTP API they describe.
   */
  private webSocketServers(): void {
    const servers = this.doc.servers
    if (!Array.isArray(servers)) return
    servers.forEach((server, i) => {
      if (isObj(server) && typeof server.url === 'string' && /^wss?:\/\//i.test(server.url)) {
        this.warn(['servers', i, 'url'], `a WebSocket endpoint: WebSocket APIs cannot be imported from OpenAPI (AWS imports only REST and HTTP APIs from it); this document is served as a ${this.type} API. Declare WebSocket APIs in portico.yaml (type: WEBSOCKET) or with serverless.yml websocket events`)
      }
    })
  }

  /**
   * The stage(s): the option, or the `{basePath}` server variable AWS exports carry (its
   * default, and its enum when several stages are listed). Undefined: the model's default.
   */
  private stages(): string[] | undefined {
    if (this.opts.stage !== undefined) return [this.opts.stage]
    const servers = this.doc.servers
    if (!Array.isArray(servers)) return undefined
    for (const server of servers) {
      const variable = isObj(server) && isObj(server.variables) ? server.variables.basePath : undefined
      if (!isObj(variable) || typeof server.url !== 'string' || !server.url.includes('{basePath}')) continue
      // AWS writes "/prod" or "prod"; an empty one is the HTTP API's $default stage.
      const stage = (v: unknown) => {
        const name = typeof v === 'string' ? v.replace(/^\/+|\/+$/g, '') : ''
        return name === '' ? (this.type === 'HTTP' ? '$default' : undefined) : name
      }
      const names = [variable.default, ...(Array.isArray(variable.enum) ? variable.enum : [])].map(stage).filter((n) => n !== undefined)
      // The default stage first: it is the one an AWS export describes.
      return names.length ? [...new Set(names)] : undefined
    }
    return undefined
  }

  // ---------------------------------------------------------------- components

  private components() {
    const components = this.doc.components
    if (components === undefined) return
    if (!isObj(components)) return this.error(['components'], 'must be an object')
    for (const key of Object.keys(components)) {
      if (!COMPONENT_KEYS.has(key)) this.unknownKey(['components'], key, 'components')
    }
    if (this.type === 'REST') this.schemaModels(components.schemas)
    const schemes = components.securitySchemes
    if (schemes === undefined) return
    if (!isObj(schemes)) return this.error(['components', 'securitySchemes'], 'must be an object')
    for (const [name, raw] of Object.entries(schemes)) {
      const resolved = this.deref(raw, ['components', 'securitySchemes', name])
      if (!resolved) continue
      const scheme = this.securityScheme(name, resolved.value, resolved.path)
      if (scheme) this.schemes.set(name, scheme)
    }
  }

  private securityScheme(key: string, scheme: unknown, at: Path): Scheme | undefined {
    if (!isObj(scheme)) {
      this.error(at, 'a security scheme is an object')
      return undefined
    }
    for (const k of Object.keys(scheme)) if (!SCHEME_KEYS.has(k)) this.unknownKey(at, k, 'a security scheme')
    const authorizer = scheme['x-amazon-apigateway-authorizer']
    const authtype = typeof scheme['x-amazon-apigateway-authtype'] === 'string' ? scheme['x-amazon-apigateway-authtype'] : undefined
    // authtype is free text on AWS ("used in imports and exports without functional impact"),
    // except the reserved awsSigv4, which marks IAM authorization.
    if (authorizer !== undefined) {
      const name = authorizerName(key)
      const config = this.authorizer(authorizer, scheme, [...at, 'x-amazon-apigateway-authorizer'])
      if (!config) return undefined
      this.authorizers[name] = config
      this.authorizerOrigins.set(name, [...at, 'x-amazon-apigateway-authorizer'])
      return { kind: 'authorizer', name, type: config.type }
    }
    if (authtype?.toLowerCase() === 'awssigv4') return { kind: 'iam' }
    if (scheme.type === 'apiKey' && scheme.in === 'header' && typeof scheme.name === 'string' && scheme.name.toLowerCase() === 'x-api-key') {
      return { kind: 'apiKey' }
    }
    const what =
      scheme.type === 'apiKey'
        ? `an apiKey scheme on ${String(scheme.in)} "${String(scheme.name)}" (API keys are the x-api-key header)`
        : `a security scheme of type ${String(scheme.type)}`
    const reason = `${what} without x-amazon-apigateway-authorizer, which API Gateway does not enforce`
    this.warn(at, `${reason}; operations that require it are refused`)
    return { kind: 'unsupported', reason }
  }

  private authorizer(raw: unknown, scheme: Obj, at: Path): AuthorizerInput | undefined {
    if (!isObj(raw)) {
      this.error(at, 'must be an object')
      return undefined
    }
    for (const k of Object.keys(raw)) if (!AUTHORIZER_KEYS.has(k)) this.unknownKey(at, k, 'x-amazon-apigateway-authorizer')
    const type = typeof raw.type === 'string' ? raw.type.toLowerCase() : undefined
    if (raw.authorizerCredentials !== undefined) {
      this.warn([...at, 'authorizerCredentials'], 'Portico invokes authorizers with its own AWS credentials (environment); ignored')
    }
    const ttl = raw.authorizerResultTtlInSeconds === undefined ? undefined : this.integer(raw.authorizerResultTtlInSeconds, [...at, 'authorizerResultTtlInSeconds'])
    const ignore = (key: string, why: string) => {
      if (raw[key] !== undefined) this.warn([...at, key], `${why}; ignored`)
    }
    switch (type) {
      case 'token':
      case 'request': {
        const fn = this.lambdaFunction(raw.authorizerUri, [...at, 'authorizerUri'])
        if (fn === undefined) return undefined
        const config: AuthorizerInput = { type, function: fn }
        const sources = this.identitySources(raw.identitySource, scheme, [...at, 'identitySource'])
        if (type === 'token') {
          const source = sources?.[0]
          if (sources && sources.length > 1) this.error([...at, 'identitySource'], 'a TOKEN authorizer reads one header')
          // Authorization is the model's default: leaving it out keeps import and export a fixed point.
          if (source !== undefined && source !== 'method.request.header.Authorization') config.identitySource = source
          if (typeof raw.identityValidationExpression === 'string') config.identityValidationExpression = raw.identityValidationExpression
        } else {
          if (sources) config.identitySource = sources
          ignore('identityValidationExpression', 'identityValidationExpression applies to TOKEN authorizers')
        }
        if (ttl !== undefined) config.resultTtlInSeconds = ttl
        if (this.type === 'HTTP') {
          const pfv = raw.authorizerPayloadFormatVersion
          if (pfv !== undefined) {
            if (pfv === '1.0' || pfv === '2.0') config.payloadFormatVersion = pfv
            else this.error([...at, 'authorizerPayloadFormatVersion'], 'must be "1.0" or "2.0"')
          }
          if (typeof raw.enableSimpleResponses === 'boolean') config.enableSimpleResponses = raw.enableSimpleResponses
        } else {
          ignore('authorizerPayloadFormatVersion', 'REST Lambda authorizers have one event format')
          if (raw.enableSimpleResponses === true) this.warn([...at, 'enableSimpleResponses'], 'simple responses exist on HTTP APIs only; ignored')
        }
        ignore('jwtConfiguration', 'jwtConfiguration applies to jwt authorizers')
        ignore('providerARNs', 'providerARNs applies to cognito_user_pools authorizers')
        return config
      }
      case 'jwt': {
        const jwt = isObj(raw.jwtConfiguration) ? raw.jwtConfiguration : {}
        if (raw.jwtConfiguration !== undefined && !isObj(raw.jwtConfiguration)) this.error([...at, 'jwtConfiguration'], 'must be an object with issuer and audience')
        for (const k of Object.keys(jwt)) if (k !== 'issuer' && k !== 'audience') this.unknownKey([...at, 'jwtConfiguration'], k, 'jwtConfiguration')
        let issuer = typeof jwt.issuer === 'string' ? jwt.issuer : undefined
        // AWS finds the issuer from openIdConnectUrl when jwtConfiguration has none.
        if (!issuer && typeof scheme.openIdConnectUrl === 'string') issuer = scheme.openIdConnectUrl.replace(/\/\.well-known\/openid-configuration$/, '')
        if (!issuer) {
          this.error([...at, 'jwtConfiguration', 'issuer'], 'a jwt authorizer needs jwtConfiguration.issuer (or an openIdConnect scheme\'s openIdConnectUrl)')
          return undefined
        }
        const config: AuthorizerInput = { type: 'jwt', issuer }
        if (jwt.audience !== undefined) {
          const audience = typeof jwt.audience === 'string' ? [jwt.audience] : jwt.audience
          if (Array.isArray(audience) && audience.every((a) => typeof a === 'string')) config.audience = audience as string[]
          else this.error([...at, 'jwtConfiguration', 'audience'], 'must be a list of strings')
        }
        const sources = this.identitySources(raw.identitySource, scheme, [...at, 'identitySource'])
        if (sources && sources.length > 1) this.error([...at, 'identitySource'], 'Portico reads a JWT from one identity source')
        else if (sources?.[0] !== undefined) config.identitySource = sources[0]
        ignore('authorizerUri', 'jwt authorizers call no function')
        ignore('authorizerResultTtlInSeconds', 'jwt authorizers are not cached by TTL (keys are, by jwksCacheSeconds)')
        ignore('identityValidationExpression', 'identityValidationExpression applies to TOKEN authorizers')
        return config
      }
      case 'cognito_user_pools': {
        const arns = raw.providerARNs
        if (!Array.isArray(arns) || !arns.length || !arns.every((a) => typeof a === 'string')) {
          this.error([...at, 'providerARNs'], 'a cognito_user_pools authorizer needs providerARNs (user pool ARNs)')
          return undefined
        }
        const config: AuthorizerInput = { type: 'cognito_user_pools', providerArns: arns as string[] }
        const sources = this.identitySources(raw.identitySource, scheme, [...at, 'identitySource'])
        if (sources && sources.length > 1) this.error([...at, 'identitySource'], 'a Cognito authorizer reads one header')
        else if (sources?.[0] !== undefined) config.identitySource = sources[0]
        if (typeof raw.identityValidationExpression === 'string') config.identityValidationExpression = raw.identityValidationExpression
        ignore('authorizerUri', 'Cognito authorizers call no function')
        ignore('authorizerResultTtlInSeconds', 'Portico verifies Cognito tokens on every request (keys are cached)')
        return config
      }
      default:
        this.error([...at, 'type'], raw.type === undefined ? 'the authorizer type is missing: token, request, jwt or cognito_user_pools' : `unknown authorizer type ${JSON.stringify(raw.type)}: token, request, jwt or cognito_user_pools`)
        return undefined
    }
  }

  /**
   * Identity sources: the extension's comma-separated list, else the scheme's `name` / `in`
   * (how AWS writes a TOKEN authorizer's header; "Unused" names nothing).
   */
  private identitySources(raw: unknown, scheme: Obj, at: Path): string[] | undefined {
    if (raw !== undefined) {
      const list = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : undefined
      if (!list || !list.every((s) => typeof s === 'string')) {
        this.error(at, 'must be a comma-separated list of identity sources')
        return undefined
      }
      const sources = (list as string[]).map((s) => s.trim()).filter(Boolean)
      return sources.length ? sources : undefined
    }
    const name = scheme.name
    if (typeof name !== 'string' || !name || name === 'Unused') return undefined
    if (scheme.in === 'header') return [this.type === 'HTTP' ? `$request.header.${name}` : `method.request.header.${name}`]
    if (scheme.in === 'query') return [this.type === 'HTTP' ? `$request.querystring.${name}` : `method.request.querystring.${name}`]
    return undefined
  }

  // ---------------------------------------------------------------- request validators

  private validatorsTable() {
    const raw = this.doc['x-amazon-apigateway-request-validators']
    if (raw === undefined) return
    const at = ['x-amazon-apigateway-request-validators']
    if (!isObj(raw)) return this.error(at, 'must be an object of validators by name')
    for (const [name, v] of Object.entries(raw)) {
      if (!isObj(v)) {
        this.error([...at, name], 'a validator is {validateRequestBody, validateRequestParameters}')
        continue
      }
      for (const k of Object.keys(v)) {
        if (k !== 'validateRequestBody' && k !== 'validateRequestParameters') this.unknownKey([...at, name], k, 'a request validator')
      }
      this.validators[name] = { validateRequestBody: v.validateRequestBody === true, validateRequestParameters: v.validateRequestParameters === true }
    }
    if (this.type !== 'REST') this.warn(at, 'request validation exists on REST APIs only (as on AWS); ignored')
  }

  /** The operation's request validator (its own, else the document's default), by name. */
  private requestValidator(op: Obj, opPath: Path): { name: string; at: Path } | undefined {
    const own = op['x-amazon-apigateway-request-validator']
    const name = own ?? this.doc['x-amazon-apigateway-request-validator']
    if (name === undefined) return undefined
    const at = own !== undefined ? [...opPath, 'x-amazon-apigateway-request-validator'] : ['x-amazon-apigateway-request-validator']
    if (typeof name !== 'string') {
      this.error(at, 'must be the name of a validator')
      return undefined
    }
    if (!this.validators[name]) {
      this.error(at, `no request validator "${name}" in x-amazon-apigateway-request-validators`)
      return undefined
    }
    if (this.type !== 'REST') {
      if (own !== undefined) this.warn(at, 'request validation exists on REST APIs only (as on AWS); ignored')
      return undefined
    }
    return { name, at }
  }

  // ---------------------------------------------------------------- models and request parameters

  /**
   * components.schemas → models. API Gateway's model names are letters and digits: other
   * names lose the other characters (references follow), with a warning.
   */
  private schemaModels(raw: unknown) {
    if (raw === undefined) return
    const at = ['components', 'schemas']
    if (!isObj(raw)) return this.error(at, 'must be an object of schemas by name')
    for (const name of Object.keys(raw)) {
      let model = /^[A-Za-z0-9]{1,128}$/.test(name) ? name : modelNameFrom(name)
      for (let i = 2; [...this.modelNames.values()].includes(model); i++) model = `${modelNameFrom(name)}${i}`
      if (model !== name) this.warn([...at, name], `imported as model "${model}" (API Gateway model names are letters and digits)`)
      this.modelNames.set(name, model)
    }
    for (const [name, schema] of Object.entries(raw)) {
      if (!isObj(schema)) {
        this.error([...at, name], 'a schema is an object')
        continue
      }
      // API Gateway's exports carry the built-in Empty and Error models, which every API has.
      if (name in BUILTIN_MODELS && JSON.stringify(schema) === JSON.stringify(BUILTIN_MODELS[name])) continue
      this.models[this.modelNames.get(name)!] = this.renamedRefs(schema) as Record<string, unknown>
    }
  }

  /** A schema whose `#/components/schemas/X` references name the models X became. */
  private renamedRefs(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.renamedRefs(v))
    if (!isObj(value)) return value
    const out: Obj = {}
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') {
        let target: { name: string; fragment: string } | undefined
        try {
          target = v.startsWith('#/components/schemas/') ? referencedModel(v) : undefined
        } catch {
          target = undefined
        }
        const renamed = target && this.modelNames.get(target.name)
        out[k] = target && renamed ? `#/components/schemas/${renamed}${target.fragment.slice(1)}` : v
      } else out[k] = typeof v === 'object' ? this.renamedRefs(v) : v
    }
    return out
  }

  /**
   * REST: the operation's (and its path item's) parameters as request parameters, and its
   * requestBody's schemas as body models (inline ones become models of their own).
   */
  private requestDeclarations(route: RouteInput, op: Obj, item: Obj, itemPath: Path, at: Path, method: string, path: string) {
    const origins: { parameters?: Path; models?: Path; validator?: Path } = {}
    const declared: Record<string, boolean> = {}
    const lists: [unknown, Path][] = [
      [item.parameters, [...itemPath, 'parameters']],
      [op.parameters, [...at, 'parameters']],
    ]
    for (const [list, listPath] of lists) {
      if (list === undefined) continue
      if (!Array.isArray(list)) {
        this.error(listPath, 'must be a list of parameters')
        continue
      }
      list.forEach((raw, i) => {
        const resolved = this.deref(raw, [...listPath, i])
        if (!resolved) return
        const p = resolved.value
        if (!isObj(p) || typeof p.name !== 'string' || typeof p.in !== 'string') {
          this.error(resolved.path, 'a parameter needs a name and an in (query, header, path)')
          return
        }
        const where = p.in === 'query' ? 'querystring' : p.in === 'header' || p.in === 'path' ? p.in : undefined
        if (!where) {
          this.warn(resolved.path, `${p.in} parameters are not request parameters of API Gateway; ignored`)
          return
        }
        // An operation's parameter overrides its path item's of the same name and place.
        declared[`method.request.${where}.${p.name}`] = p.required === true
        origins.parameters ??= listPath
      })
    }
    if (Object.keys(declared).length) route.requestParameters = declared

    const body = op.requestBody === undefined ? undefined : this.deref(op.requestBody, [...at, 'requestBody'])
    if (body) {
      const content = isObj(body.value) ? body.value.content : undefined
      if (content !== undefined && !isObj(content)) this.error([...body.path, 'content'], 'must be an object of media types')
      const models: Record<string, string> = {}
      for (const [contentType, media] of Object.entries(isObj(content) ? content : {})) {
        const schema = isObj(media) ? media.schema : undefined
        if (schema === undefined) continue
        const schemaPath = [...body.path, 'content', contentType, 'schema']
        if (!isObj(schema)) {
          this.error(schemaPath, 'a schema is an object')
          continue
        }
        const ref = typeof schema.$ref === 'string' && Object.keys(schema).length === 1 ? schema.$ref : undefined
        const named = ref?.startsWith('#/components/schemas/') ? this.modelNames.get(ref.slice('#/components/schemas/'.length)) : undefined
        if (ref !== undefined && named === undefined) {
          this.error([...schemaPath, '$ref'], `"${ref}" is not one of components.schemas`)
          continue
        }
        if (named) models[contentType] = named
        else {
          // An inline schema: a model of its own, as API Gateway's import makes one.
          let name = modelNameFrom(`${path} ${method.toLowerCase()} ${contentType} body`)
          for (let i = 2; name in this.models; i++) name = modelNameFrom(`${path} ${method.toLowerCase()} ${contentType} body ${i}`)
          this.models[name] = this.renamedRefs(schema) as Record<string, unknown>
          models[contentType] = name
        }
        origins.models ??= [...body.path, 'content']
      }
      if (Object.keys(models).length) route.requestModels = models
    }
    return origins
  }

  /** x-amazon-apigateway-cors (HTTP APIs): the API's corsConfiguration. */
  private cors(raw: unknown, at: Path): ApiInput['cors'] {
    if (this.type !== 'HTTP') {
      this.warn(at, 'x-amazon-apigateway-cors configures HTTP APIs; REST APIs answer preflights with OPTIONS methods (mock integrations); ignored')
      return undefined
    }
    if (!isObj(raw)) {
      this.error(at, 'must be an object (allowOrigins, allowCredentials, exposeHeaders, maxAge, allowMethods, allowHeaders)')
      return undefined
    }
    const out: Obj = {}
    for (const [key, value] of Object.entries(raw)) {
      if (['allowOrigins', 'allowCredentials', 'exposeHeaders', 'maxAge', 'allowHeaders'].includes(key)) out[key] = value
      else if (key === 'allowMethods') out[key] = Array.isArray(value) ? value.map((m) => (typeof m === 'string' ? m.toUpperCase() : m)) : value
      else this.unknownKey(at, key, 'x-amazon-apigateway-cors')
    }
    // loadModel checks the values, naming the fields.
    return out as ApiInput['cors']
  }

  // ---------------------------------------------------------------- gateway responses

  private gatewayResponses(raw: unknown, at: Path): ApiInput['gatewayResponses'] {
    if (!isObj(raw)) {
      this.error(at, 'must be an object of gateway responses by type')
      return undefined
    }
    const out: NonNullable<ApiInput['gatewayResponses']> = {}
    for (const [type, value] of Object.entries(raw)) {
      const path = [...at, type]
      if (!(GATEWAY_RESPONSE_TYPES as readonly string[]).includes(type)) {
        this.error(path, `unknown gateway response type (${GATEWAY_RESPONSE_TYPES.join(', ')})`)
        continue
      }
      if (!isObj(value)) {
        this.error(path, 'a gateway response is an object')
        continue
      }
      const response: { statusCode?: number; headers?: Record<string, string>; body?: string } = {}
      for (const [key, v] of Object.entries(value)) {
        if (key === 'statusCode') {
          const status = this.integer(v, [...path, key])
          if (status !== undefined) response.statusCode = status
        } else if (key === 'responseParameters') {
          if (!isObj(v)) {
            this.error([...path, key], 'must be an object')
            continue
          }
          for (const [param, source] of Object.entries(v)) {
            const header = /^gatewayresponse\.header\.(.+)$/.exec(param)?.[1]
            if (header && typeof source === 'string' && /^'.*'$/s.test(source)) {
              // The model takes AWS's quoted statics as written.
              ;(response.headers ??= {})[header] = source
            } else if (header) {
              this.warn([...path, key, param], `only static values ('...') are supported; ${JSON.stringify(source)} is ignored`)
            } else {
              this.warn([...path, key, param], 'only gatewayresponse.header.* parameters are supported; ignored')
            }
          }
        } else if (key === 'responseTemplates') {
          if (!isObj(v)) {
            this.error([...path, key], 'must be an object of templates by content type')
            continue
          }
          for (const [contentType, template] of Object.entries(v)) {
            if (contentType !== 'application/json') this.warn([...path, key, contentType], 'only the application/json template is served; ignored')
            else if (typeof template === 'string') response.body = template
            else this.error([...path, key, contentType], 'a template is a string')
          }
        } else {
          this.unknownKey(path, key, 'a gateway response')
        }
      }
      ;(out as Record<string, unknown>)[type] = response
    }
    return out
  }

  // ---------------------------------------------------------------- paths and operations

  private paths(): RouteInput[] {
    const routes: RouteInput[] = []
    const rootSecurity = this.doc.security
    for (const [path, rawItem] of Object.entries(this.doc.paths as Obj)) {
      const resolved = this.deref(rawItem, ['paths', path])
      if (!resolved) continue
      const item = resolved.value
      const itemPath = resolved.path
      if (!isObj(item)) {
        this.error(itemPath, 'a path item is an object')
        continue
      }
      const isDefault = path === '/$default'
      if (!isDefault) {
        const check = resourcePathSchema.safeParse(path)
        if (!check.success) {
          for (const issue of check.error.issues) this.error(['paths', path], issue.message)
          continue
        }
      }
      for (const [key, op] of Object.entries(item)) {
        const method = METHOD_KEYS[key]
        if (method) {
          const imported = this.operation(path, method, op, [...itemPath, key], rootSecurity, item, itemPath)
          if (!imported) continue
          this.routeOrigins[routes.length] = [...itemPath, key]
          this.integrationOrigins[routes.length] = imported.integrationPath
          this.requestOrigins[routes.length] = imported.request
          this.responseKeyOrigins[routes.length] = imported.responseKeys
          routes.push(imported.route)
        } else if (key === 'trace') {
          this.error([...itemPath, key], 'API Gateway has no TRACE method')
        } else if (!PATH_ITEM_KEYS.has(key)) {
          this.unknownKey(itemPath, key, 'a path item')
        }
      }
    }
    return routes
  }

  private operation(
    path: string,
    method: string,
    op: unknown,
    at: Path,
    rootSecurity: unknown,
    item: Obj,
    itemPath: Path,
  ): { route: RouteInput; integrationPath: Path; request: { parameters?: Path; models?: Path; validator?: Path }; responseKeys: string[] } | undefined {
    if (!isObj(op)) {
      this.error(at, 'an operation is an object')
      return undefined
    }
    const routeKey = `${method} ${path}`
    for (const key of Object.keys(op)) {
      if (!OPERATION_KEYS.has(key) && !['x-amazon-apigateway-integration', 'x-amazon-apigateway-request-validator', 'x-amazon-apigateway-auth'].includes(key)) {
        this.unknownKey(at, key, 'an operation')
      }
    }
    if (path === '/$default' && (this.type !== 'HTTP' || method !== 'ANY')) {
      this.error(at, 'the /$default route is an HTTP API route with x-amazon-apigateway-any-method')
      return undefined
    }
    if (op['x-amazon-apigateway-integration'] === undefined) {
      this.warn(at, `no x-amazon-apigateway-integration: ${routeKey} is not imported (it has nothing to call)`)
      return undefined
    }
    const validator = this.requestValidator(op, at)
    const imported = this.integration(op['x-amazon-apigateway-integration'], [...at, 'x-amazon-apigateway-integration'])
    const security = this.security(op, at, rootSecurity)
    if (!imported || !security) return undefined
    const route: RouteInput = path === '/$default' ? { route: '$default', integration: imported.integration } : { method: method as RouteInput['method'], path, integration: imported.integration }
    if (security.authorization !== 'NONE') route.authorization = security.authorization
    if (security.apiKeyRequired) route.apiKeyRequired = true
    if (imported.cacheKeyParameters.length) {
      if (this.type === 'REST') route.caching = { cacheKeyParameters: imported.cacheKeyParameters }
      else this.warn([...imported.path, 'cacheKeyParameters'], 'response caching exists on REST APIs only; ignored')
    }
    let request: { parameters?: Path; models?: Path; validator?: Path } = {}
    if (this.type === 'REST') {
      request = this.requestDeclarations(route, op, item, itemPath, at, method, path)
      if (validator) {
        route.requestValidator = validator.name
        request.validator = validator.at
      }
    }
    return { route, integrationPath: imported.path, request, responseKeys: imported.responseKeys }
  }

  /**
   * The operation's security (or the document's): API Gateway applies every requirement
   * listed (an authorizer or IAM, plus the API key), so the entries are merged rather than
   * read as OpenAPI's alternatives.
   */
  private security(op: Obj, at: Path, rootSecurity: unknown): { authorization: AuthorizationInput; apiKeyRequired: boolean } | undefined {
    const own = op.security !== undefined
    const list = own ? op.security : rootSecurity
    const listPath = own ? [...at, 'security'] : ['security']
    let authorization: AuthorizationInput = 'NONE'
    let chosen: string | undefined
    let apiKeyRequired = false
    let ok = true
    const choose = (value: AuthorizationInput, label: string, path: Path) => {
      if (chosen !== undefined && chosen !== label) {
        this.error(path, `API Gateway applies one authorizer per method: ${chosen} and ${label}`)
        ok = false
        return
      }
      chosen = label
      authorization = value
    }
    if (list !== undefined) {
      if (!Array.isArray(list)) {
        this.error(listPath, 'must be a list of security requirements')
        return undefined
      }
      list.forEach((requirement, i) => {
        if (!isObj(requirement)) {
          this.error([...listPath, i], 'a security requirement is an object of scheme names')
          ok = false
          return
        }
        for (const [name, scopes] of Object.entries(requirement)) {
          const path = [...listPath, i, name]
          const scheme = this.schemes.get(name)
          const scopeList = Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === 'string') : []
          if (!scheme) {
            const schemes = isObj(this.doc.components) && isObj(this.doc.components.securitySchemes) ? this.doc.components.securitySchemes : {}
            // A scheme that failed to import has its own error already.
            if (!(name in schemes)) this.error(path, `no security scheme "${name}" in components.securitySchemes`)
            ok = false
            continue
          }
          if (scheme.kind === 'unsupported') {
            this.error(path, `${scheme.reason}: Portico will not serve the route without the check (remove the requirement to serve it open)`)
            ok = false
          } else if (scheme.kind === 'apiKey') {
            apiKeyRequired = true
            if (scopeList.length) this.warn(path, 'API keys have no scopes; ignored')
          } else if (scheme.kind === 'iam') {
            choose('AWS_IAM', 'AWS_IAM', path)
            if (scopeList.length) this.warn(path, 'IAM authorization has no scopes; ignored')
          } else {
            const scoped = scheme.type === 'jwt' || scheme.type === 'cognito_user_pools'
            if (scopeList.length && !scoped) this.warn(path, 'scopes apply to JWT and Cognito authorizers only; ignored')
            const value = scoped && scopeList.length ? { authorizer: scheme.name, scopes: scopeList } : { authorizer: scheme.name }
            choose(value, `authorizer "${scheme.name}"`, path)
          }
        }
      })
    }
    const auth = op['x-amazon-apigateway-auth']
    if (auth !== undefined) {
      const type = isObj(auth) && typeof auth.type === 'string' ? auth.type.toUpperCase() : undefined
      if (type === 'AWS_IAM') choose('AWS_IAM', 'AWS_IAM', [...at, 'x-amazon-apigateway-auth'])
      else if (type !== 'NONE') this.error([...at, 'x-amazon-apigateway-auth', 'type'], 'must be NONE or AWS_IAM')
    }
    return ok ? { authorization, apiKeyRequired } : undefined
  }

  // ---------------------------------------------------------------- integrations

  private integration(raw: unknown, at: Path): { integration: IntegrationInput; cacheKeyParameters: string[]; path: Path; responseKeys: string[] } | undefined {
    const resolved = this.deref(raw, at)
    if (!resolved) return undefined
    const x = resolved.value
    const path = resolved.path
    if (!isObj(x)) {
      this.error(path, 'must be an object')
      return undefined
    }
    for (const key of Object.keys(x)) if (!INTEGRATION_KEYS.has(key)) this.unknownKey(path, key, 'x-amazon-apigateway-integration')
    const type = typeof x.type === 'string' ? x.type.toLowerCase() : undefined
    const p = (key: string) => [...path, key]
    const cacheKeyParameters: string[] = []
    if (x.cacheKeyParameters !== undefined) {
      if (Array.isArray(x.cacheKeyParameters) && x.cacheKeyParameters.every((c) => typeof c === 'string')) cacheKeyParameters.push(...(x.cacheKeyParameters as string[]))
      else this.error(p('cacheKeyParameters'), 'must be a list of method.request.* parameters')
    }
    // cacheNamespace groups cache keys by resource on AWS; Portico keys by route already.
    if (x.credentials !== undefined) this.warn(p('credentials'), 'Portico invokes with its own AWS credentials (environment); ignored')
    if (x.contentHandling !== undefined) this.warn(p('contentHandling'), 'payload conversion is not supported; ignored')
    if (x.tlsConfig !== undefined) this.warn(p('tlsConfig'), 'TLS settings are not supported; ignored')
    if (x.connectionType !== undefined && String(x.connectionType).toUpperCase() !== 'INTERNET') {
      this.warn(p('connectionType'), 'Portico has no VPC links: it calls the uri directly; ignored')
    }
    if (x.connectionId !== undefined) this.warn(p('connectionId'), 'Portico has no VPC links; ignored')
    if (x.responseParameters !== undefined) this.warn(p('responseParameters'), 'response parameter mapping is not supported yet; ignored')

    let integration: IntegrationInput | undefined
    this.pendingResponseKeys = []
    switch (type) {
      case 'aws_proxy':
        integration = this.lambdaIntegration(x, path)
        break
      case 'http_proxy':
        integration = this.httpProxyIntegration(x, path)
        break
      case 'mock':
        integration = this.mockIntegration(x, path)
        break
      case 'http':
        integration = this.httpCustomIntegration(x, path)
        break
      case 'aws':
        integration = this.lambdaCustomIntegration(x, path)
        break
      default:
        this.error(
          p('type'),
          x.type === undefined
            ? 'the integration type is missing: aws_proxy, aws, http_proxy, http or mock'
            : `unknown integration type ${JSON.stringify(x.type)}: aws_proxy, aws, http_proxy, http or mock`,
        )
        return undefined
    }
    if (!integration) return undefined
    if (x.timeoutInMillis !== undefined) {
      const ms = this.integer(x.timeoutInMillis, p('timeoutInMillis'))
      if (ms === undefined) return undefined
      if (integration.type === 'mock') this.warn(p('timeoutInMillis'), 'a mock integration has no backend to time out; ignored')
      else integration.timeoutMs = ms
    }
    return { integration, cacheKeyParameters, path, responseKeys: this.pendingResponseKeys }
  }

  /** What proxies ignore: request mapping and integration responses (the backend's answer is passed through). */
  private proxyExtras(x: Obj, path: Path) {
    if (x.passthroughBehavior !== undefined) this.warn([...path, 'passthroughBehavior'], 'proxy integrations pass every request through; ignored')
    if (isObj(x.requestTemplates) ? Object.keys(x.requestTemplates).length : x.requestTemplates !== undefined) {
      this.warn([...path, 'requestTemplates'], 'proxy integrations do not apply mapping templates; ignored')
    }
    if (isObj(x.responses) ? Object.keys(x.responses).length : x.responses !== undefined) {
      this.warn([...path, 'responses'], 'proxy integrations pass the backend\'s answer through unchanged; integration responses are ignored')
    }
  }

  private lambdaIntegration(x: Obj, path: Path): IntegrationInput | undefined {
    if (x.integrationSubtype !== undefined) {
      this.error([...path, 'integrationSubtype'], 'AWS service integrations (integrationSubtype) are not supported; aws_proxy integrations call Lambda functions')
      return undefined
    }
    const fn = this.lambdaFunction(x.uri, [...path, 'uri'])
    if (fn === undefined) return undefined
    if (x.httpMethod !== undefined && String(x.httpMethod).toUpperCase() !== 'POST') {
      this.warn([...path, 'httpMethod'], 'Lambda functions are invoked with POST; ignored')
    }
    this.proxyExtras(x, path)
    if (isObj(x.requestParameters) && Object.keys(x.requestParameters).length) {
      this.warn([...path, 'requestParameters'], 'a Lambda proxy receives the whole request; parameter mappings are ignored')
    }
    const integration: IntegrationInput = { type: 'lambda', function: fn }
    const pfv = x.payloadFormatVersion
    if (pfv !== undefined && pfv !== '1.0' && pfv !== '2.0') {
      this.error([...path, 'payloadFormatVersion'], 'must be "1.0" or "2.0"')
      return undefined
    }
    if (this.type === 'HTTP') {
      // Always explicit on HTTP APIs (AWS requires it), so an export imports back the same.
      integration.payloadFormatVersion = (pfv as '1.0' | '2.0' | undefined) ?? '2.0'
    } else if (pfv === '2.0') {
      integration.payloadFormatVersion = '2.0' // loadModel refuses it, naming the field
    }
    return integration
  }

  private httpProxyIntegration(x: Obj, path: Path): IntegrationInput | undefined {
    if (typeof x.uri !== 'string') {
      this.error([...path, 'uri'], 'an http_proxy integration needs a uri (string)')
      return undefined
    }
    let uri = x.uri
    const renames = new Map<string, string>()
    const params = x.requestParameters
    if (params !== undefined && !isObj(params)) this.error([...path, 'requestParameters'], 'must be an object')
    for (const [target, source] of Object.entries(isObj(params) ? params : {})) {
      const at = [...path, 'requestParameters', target]
      const t = /^integration\.request\.(path|querystring|header)\.(.+)$/.exec(target)
      const s = typeof source === 'string' ? /^method\.request\.(path|querystring|header)\.(.+)$/.exec(source) : null
      if (t && s && t[1] === 'path' && s[1] === 'path') {
        renames.set(t[2]!, s[2]!)
      } else if (t?.[1] === 'path') {
        this.error(at, `the uri's {${t[2]}} from ${JSON.stringify(source)} cannot be mapped yet: Portico fills {param} from the route's path parameters`)
      } else if (t && s && t[1] === s[1] && t[2] === s[2]) {
        // The same query string parameter or header: the proxy forwards it unchanged anyway.
      } else {
        this.warn(at, `parameter mapping ${JSON.stringify(source)} is not supported yet; ignored (the proxy forwards the request's own query string and headers)`)
      }
    }
    // integration.request.path.X = method.request.path.Y: the uri's {X} is the route's {Y}.
    uri = uri.replace(/\{([A-Za-z0-9_]+)(\+?)\}/g, (m, name: string) => (renames.has(name) ? `{${renames.get(name)}}` : m))
    const integration: IntegrationInput = { type: 'http_proxy', uri }
    if (x.httpMethod !== undefined) {
      const method = String(x.httpMethod).toUpperCase()
      if (['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY'].includes(method)) integration.method = method as 'ANY'
      else this.error([...path, 'httpMethod'], `unknown method ${JSON.stringify(x.httpMethod)}`)
    }
    if (x.payloadFormatVersion !== undefined && x.payloadFormatVersion !== '1.0') {
      this.warn([...path, 'payloadFormatVersion'], 'HTTP proxies use payload format 1.0; ignored')
    }
    this.proxyExtras(x, path)
    return integration
  }

  /** A mock: its request templates select, by the status code they give, among its responses. */
  private mockIntegration(x: Obj, path: Path): IntegrationInput | undefined {
    if (isObj(x.requestParameters) && Object.keys(x.requestParameters).length) {
      this.warn([...path, 'requestParameters'], 'a mock has no backend request to map; ignored')
    }
    const mapping = this.mapping(x, path)
    if (!mapping) return undefined
    return { type: 'mock', ...mapping }
  }

  /** An HTTP custom integration: uri, method, request parameters, templates, responses. */
  private httpCustomIntegration(x: Obj, path: Path): IntegrationInput | undefined {
    if (typeof x.uri !== 'string') {
      this.error([...path, 'uri'], 'an http integration needs a uri (string)')
      return undefined
    }
    const integration: Obj = { type: 'http', uri: x.uri }
    if (x.httpMethod !== undefined) {
      const method = String(x.httpMethod).toUpperCase()
      if (['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY'].includes(method)) integration.method = method
      else this.error([...path, 'httpMethod'], `unknown method ${JSON.stringify(x.httpMethod)}`)
    }
    if (x.requestParameters !== undefined) {
      if (!isObj(x.requestParameters)) this.error([...path, 'requestParameters'], 'must be an object of integration.request.* parameters')
      // loadModel checks each target and source, naming the parameter.
      else if (Object.keys(x.requestParameters).length) integration.requestParameters = x.requestParameters
    }
    const mapping = this.mapping(x, path)
    if (!mapping) return undefined
    return { ...integration, ...mapping } as IntegrationInput
  }

  /** An AWS integration of a Lambda function (Lambda custom): the invocation URI, templates, responses. */
  private lambdaCustomIntegration(x: Obj, path: Path): IntegrationInput | undefined {
    if (x.integrationSubtype !== undefined || (typeof x.uri === 'string' && /^arn:aws[a-z-]*:apigateway:[^:]+:(?!lambda:)/.test(x.uri))) {
      this.error([...path, 'uri'], 'AWS service integrations other than Lambda are not supported: an aws integration here calls a Lambda function (arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/<function ARN>/invocations)')
      return undefined
    }
    const fn = this.lambdaFunction(x.uri, [...path, 'uri'])
    if (fn === undefined) return undefined
    if (x.httpMethod !== undefined && String(x.httpMethod).toUpperCase() !== 'POST') {
      this.warn([...path, 'httpMethod'], 'Lambda functions are invoked with POST; ignored')
    }
    if (isObj(x.requestParameters)) {
      for (const target of Object.keys(x.requestParameters)) {
        const at = [...path, 'requestParameters', target]
        if (/^integration\.request\.header\.x-amz-invocation-type$/i.test(target)) {
          this.warn(at, 'Portico invokes synchronously (RequestResponse); asynchronous invocation (Event) is not supported; ignored')
        } else {
          this.warn(at, 'parameters of a Lambda integration would be Invoke API headers, which Portico does not send; ignored')
        }
      }
    }
    const mapping = this.mapping(x, path)
    if (!mapping) return undefined
    return { type: 'lambda_custom', function: fn, ...mapping } as IntegrationInput
  }

  /**
   * The mapping fields of a non-proxy integration, as the model has them: requestTemplates,
   * passthroughBehavior, and responses (keyed by selection pattern in the extension, "default"
   * for the default one; a list in the model).
   */
  private mapping(x: Obj, path: Path): Obj | undefined {
    const out: Obj = {}
    let ok = true
    if (x.requestTemplates !== undefined) {
      const t = this.templates(x.requestTemplates, [...path, 'requestTemplates'])
      if (t === undefined) ok = false
      else if (Object.keys(t).length) out.requestTemplates = t
    }
    if (x.passthroughBehavior !== undefined) {
      const v = String(x.passthroughBehavior).toUpperCase()
      if (v === 'WHEN_NO_MATCH' || v === 'WHEN_NO_TEMPLATES' || v === 'NEVER') out.passthroughBehavior = v
      else {
        this.error([...path, 'passthroughBehavior'], 'must be when_no_match, when_no_templates or never')
        ok = false
      }
    }
    const responses = x.responses
    if (!isObj(responses) || !Object.keys(responses).length) {
      this.error([...path, 'responses'], 'a non-proxy integration needs responses (at least "default"): without one, API Gateway answers every request with 500')
      return undefined
    }
    const list: Obj[] = []
    const keys: string[] = []
    for (const [key, raw] of Object.entries(responses)) {
      const at = [...path, 'responses', key]
      if (!isObj(raw)) {
        this.error(at, 'an integration response is an object')
        ok = false
        continue
      }
      const r: Obj = {}
      if (key !== 'default') r.selectionPattern = key
      for (const [k, v] of Object.entries(raw)) {
        if (k === 'statusCode') {
          const n = this.integer(v, [...at, k])
          if (n === undefined) ok = false
          else r.statusCode = n
        } else if (k === 'responseTemplates') {
          const t = this.templates(v, [...at, k])
          if (t === undefined) ok = false
          else if (Object.keys(t).length) r.responseTemplates = t
        } else if (k === 'responseParameters') {
          if (!isObj(v)) {
            this.error([...at, k], 'must be an object of method.response.header.* parameters')
            ok = false
          } else if (Object.keys(v).length) r.responseParameters = v
        } else if (k === 'contentHandling') {
          this.warn([...at, k], 'payload conversion is not supported; ignored')
        } else this.unknownKey(at, k, 'an integration response')
      }
      if (r.statusCode === undefined && raw.statusCode === undefined) {
        this.error([...at, 'statusCode'], 'the method response status is needed')
        ok = false
      }
      list.push(r)
      keys.push(key)
    }
    this.pendingResponseKeys = keys
    out.responses = list
    return ok ? out : undefined
  }

  /** Templates by content type: an object of strings. */
  private templates(raw: unknown, at: Path): Record<string, string> | undefined {
    if (!isObj(raw)) {
      this.error(at, 'must be an object of templates by content type')
      return undefined
    }
    const out: Record<string, string> = {}
    let ok = true
    for (const [type, template] of Object.entries(raw)) {
      if (typeof template === 'string') out[type] = template
      else {
        this.error([...at, type], 'a template is a string')
        ok = false
      }
    }
    return ok ? out : undefined
  }

  /**
   * A Lambda integration or authorizer URI → the function a Portico config names: a local
   * function (created from lambdaMapping) or the function ARN (invoked remotely).
   */
  private lambdaFunction(uri: unknown, at: Path): string | undefined {
    if (typeof uri !== 'string') {
      this.error(at, uri === undefined ? 'the Lambda invocation URI is missing' : 'must be a string (CloudFormation functions such as Fn::Sub are not resolved: give the resolved URI)')
      return undefined
    }
    // REST: the invocation URI; HTTP APIs also take the function ARN itself.
    const fnArn = LAMBDA_INVOCATION_URI.exec(uri)?.[1] ?? (LAMBDA_ARN.test(uri) ? uri : undefined)
    if (fnArn === undefined) {
      this.error(at, 'not a Lambda invocation URI (arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/<function ARN>/invocations)')
      return undefined
    }
    const name = functionName(fnArn)
    const mapping = this.opts.lambdaMapping ?? {}
    const key = fnArn in mapping ? fnArn : name !== undefined && name in mapping ? name : undefined
    if (key !== undefined) {
      this.usedMappings.add(key)
      const entry = this.localFunction(name ?? 'fn', mapping[key]!, fnArn)
      if (!this.functionOrigins.has(entry)) this.functionOrigins.set(entry, at)
      return entry
    }
    if (LAMBDA_ARN.test(fnArn)) return fnArn
    this.error(at, `"${fnArn}" is not a Lambda function ARN: map it to a local handler with lambdaMapping (${name ? `"${name}"` : 'the ARN'} → "module.export")`)
    return undefined
  }

  /** A `functions` entry named after the Lambda function; one per distinct function ARN. */
  private localFunction(name: string, handler: string, fnArn: string): string {
    const known = this.functionKeys.get(fnArn)
    if (known) return known
    let base = name.replace(/[^A-Za-z0-9_-]/g, '-')
    if (!/^[A-Za-z]/.test(base)) base = `fn-${base}`
    let entry = base
    for (let i = 2; this.functions[entry] && this.functions[entry]!.handler !== handler; i++) entry = `${base}-${i}`
    this.functions[entry] = { handler }
    this.functionKeys.set(fnArn, entry)
    return entry
  }

  // ---------------------------------------------------------------- values

  /** An integer given as a number or a numeric string (AWS writes both). */
  private integer(v: unknown, at: Path): number | undefined {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN
    if (!Number.isInteger(n)) {
      this.error(at, `must be an integer, not ${JSON.stringify(v)}`)
      return undefined
    }
    return n
  }
}

/** A security scheme name as an authorizer name (letters, digits, _ and -). */
function authorizerName(key: string): string {
  const name = key.replace(/[^\w-]/g, '_').slice(0, 128)
  return /^[A-Za-z]/.test(name) ? name : `a${name}`.slice(0, 128)
}

/**
 * The function name of a Lambda ARN (`arn:aws:lambda:r:acct:function:NAME[:qualifier]`), or of
 * a CloudFormation reference left in the URI (`${Name.Arn}` → Name), for lambdaMapping.
 */
function functionName(fnArn: string): string | undefined {
  const ref = /^\$\{([A-Za-z0-9]+)(?:\.Arn)?\}$/.exec(fnArn)
  if (ref) return ref[1]
  const name = /^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:([^:]+)/.exec(fnArn)?.[1]
  return name && !name.includes('${') ? name : undefined
}
