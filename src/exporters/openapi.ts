/**
 * The running model → OpenAPI 3.0 with API Gateway's extensions, one document per API: what
 * `aws apigateway get-export --export-type oas30 --parameters extensions=apigateway` writes,
 * and what importOpenApi reads back into the same model.
 *
 * What the extensions cannot carry is listed in `omitted` (and printed by the CLI): stage
 * variables and stage settings (access log, cache, throttle), route throttles and caching
 * beyond its key parameters, local handlers (exported as Lambda ARNs named after the function:
 * import them back with lambdaMapping {name: "module.export"}), function settings, and JWT
 * settings API Gateway has no field for (JWKS URI, algorithms, clock skew, ...).
 *
 * REST request validation is written as API Gateway exports it: models in
 * components.schemas (references as `#/components/schemas/Name`), each route's body models as
 * its requestBody, its query string and header parameters, its validator; the validators in
 * `x-amazon-apigateway-request-validators`. OPTIONS routes made from `cors` are ordinary mock
 * methods; HTTP APIs' CORS is `x-amazon-apigateway-cors`.
 */
import { z } from 'zod'
import type { CompiledApi, CompiledAuthorizer, CompiledRoute, GatewayModel } from '../model/load.ts'
import { lambdaInvocationUri } from '../importers/openapi.ts'
import { BUILTIN_MODELS, componentsRefs } from '../model/models.ts'
import { isStandardSchema } from '../model/validation-schema.ts'

type Obj = Record<string, unknown>

/** Integration timeouts a route has when it sets none (the importer leaves them out too). */
const DEFAULT_TIMEOUT = { REST: 29_000, HTTP: 30_000, WEBSOCKET: 29_000 } as const

/** An API that cannot be exported (unknown name, several APIs and none named, WebSocket). */
export class ExportError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ExportError'
  }
}

/** An exported document and what it could not carry. */
export interface OpenApiExport {
  document: Record<string, unknown>
  /** One line per model setting the extensions cannot express. */
  omitted: string[]
}

/**
 * Exports one API of the model as an OpenAPI 3.0 document with API Gateway's extensions.
 * @param opts.api name of the API; may be left out when the model has one API
 */
export function exportOpenApi(model: GatewayModel, opts: { api?: string } = {}): Record<string, unknown> {
  return exportOpenApiDocument(model, opts).document
}

/** As exportOpenApi, with the list of what the document leaves out. */
export function exportOpenApiDocument(model: GatewayModel, opts: { api?: string } = {}): OpenApiExport {
  const api = pickApi(model, opts.api)
  return new Exporter(model, api).run()
}

function pickApi(model: GatewayModel, name: string | undefined): CompiledApi {
  const names = model.apis.map((a) => a.name).join(', ')
  if (name !== undefined) {
    const api = model.apis.find((a) => a.name === name)
    if (!api) throw new ExportError(`no API named "${name}" (APIs: ${names})`)
    return api
  }
  if (model.apis.length !== 1) throw new ExportError(`the config has ${model.apis.length} APIs (${names}): name the one to export with --api <name>`)
  return model.apis[0]!
}

class Exporter {
  private readonly omitted: string[] = []
  private readonly schemes: Obj = {}
  private readonly schemeOf = new Map<string, string>()
  private readonly model: GatewayModel
  private readonly api: CompiledApi

  constructor(model: GatewayModel, api: CompiledApi) {
    this.model = model
    this.api = api
  }

  run(): OpenApiExport {
    const api = this.api
    if (api.type === 'WEBSOCKET') throw new ExportError(`API "${api.name}" is a WebSocket API, which OpenAPI cannot describe`)
    // Authorizer schemes first: their names are the authorizers' own.
    for (const authorizer of Object.values(api.authorizers)) this.authorizerScheme(authorizer)
    const doc: Obj = {
      openapi: '3.0.1',
      info: { title: api.name, version: '1.0' },
      servers: [this.server()],
      paths: this.paths(),
    }
    const components: Obj = {}
    const schemas = this.schemas()
    if (Object.keys(schemas).length) components.schemas = schemas
    if (Object.keys(this.schemes).length) components.securitySchemes = this.schemes
    if (Object.keys(components).length) doc.components = components
    if (api.type === 'REST' && Object.keys(api.requestValidators).length) doc['x-amazon-apigateway-request-validators'] = api.requestValidators
    if (api.cors) doc['x-amazon-apigateway-cors'] = this.cors()
    if (api.type === 'REST' && api.apiKeySource !== 'HEADER') doc['x-amazon-apigateway-api-key-source'] = api.apiKeySource
    if (api.binaryMediaTypes.length) doc['x-amazon-apigateway-binary-media-types'] = [...api.binaryMediaTypes]
    const responses = Object.entries(api.gatewayResponses)
    if (responses.length) {
      doc['x-amazon-apigateway-gateway-responses'] = Object.fromEntries(
        responses.map(([type, r]) => {
          const out: Obj = {}
          if (r!.statusCode !== undefined) out.statusCode = String(r!.statusCode)
          const headers = Object.entries(r!.headers ?? {})
          // AWS writes static values quoted; the model accepts both forms.
          if (headers.length) out.responseParameters = Object.fromEntries(headers.map(([k, v]) => [`gatewayresponse.header.${k}`, /^'.*'$/s.test(v) ? v : `'${v}'`]))
          if (r!.body !== undefined) out.responseTemplates = { 'application/json': r!.body }
          return [type, out]
        }),
      )
    }
    if (api.resourcePolicy) doc['x-amazon-apigateway-policy'] = api.resourcePolicy
    if (api.basePath !== '/') this.omit(`basePath ${api.basePath} (where Portico mounts the API)`)
    if (api.hosts.length) this.omit(`hosts (${api.hosts.join(', ')})`)
    this.noteStages()
    this.noteFunctions()
    return { document: doc, omitted: this.omitted }
  }

  private omit(what: string) {
    this.omitted.push(what)
  }

  /** REST models as components.schemas; a zod model as the JSON Schema zod derives from it. */
  private schemas(): Obj {
    const out: Obj = {}
    for (const [name, model] of Object.entries(this.api.models)) {
      if (!isStandardSchema(model)) {
        out[name] = componentsRefs(model as Record<string, unknown>)
        continue
      }
      try {
        const { $schema: _drop, ...schema } = z.toJSONSchema(model as unknown as z.ZodType, { target: 'draft-04', unrepresentable: 'any' }) as Obj
        out[name] = schema
        this.omit(`model "${name}": a zod schema, exported as the JSON Schema zod derives from it (refinements and transforms are not in it)`)
      } catch {
        this.omit(`model "${name}": a ${model['~standard'].vendor} schema that cannot be written as JSON Schema`)
      }
    }
    // The built-in models, where something uses them (API Gateway exports always carry them).
    const written = JSON.stringify(out)
    for (const [name, schema] of Object.entries(BUILTIN_MODELS)) {
      if (name in out) continue
      const used = this.api.routes.some((r) => Object.values(r.request.models).includes(name)) || written.includes(`"#/components/schemas/${name}"`)
      if (used) out[name] = schema
    }
    return out
  }

  /** HTTP API CORS as x-amazon-apigateway-cors, only the fields that are set. */
  private cors(): Obj {
    const c = this.api.cors!
    const out: Obj = {}
    if (c.allowOrigins.length) out.allowOrigins = [...c.allowOrigins]
    if (c.allowCredentials) out.allowCredentials = true
    if (c.exposeHeaders.length) out.exposeHeaders = [...c.exposeHeaders]
    if (c.maxAge !== undefined) out.maxAge = c.maxAge
    if (c.allowMethods.length) out.allowMethods = [...c.allowMethods]
    if (c.allowHeaders.length) out.allowHeaders = [...c.allowHeaders]
    return out
  }

  /** The stage names as the `{basePath}` variable an AWS export has ($default is ""). */
  private server(): Obj {
    const names = this.api.stages.map((s) => (s.name === '$default' ? '' : s.name))
    const variable: Obj = { default: names[0] ?? '' }
    if (names.length > 1) variable.enum = names
    return { url: `https://${this.api.id}.execute-api.${this.model.settings.region}.amazonaws.com/{basePath}`, variables: { basePath: variable } }
  }

  private noteStages() {
    for (const stage of this.api.stages) {
      const at = `stage "${stage.name}"`
      if (Object.keys(stage.variables).length) this.omit(`${at}: stage variables (${Object.keys(stage.variables).join(', ')})`)
      if (stage.cache) this.omit(`${at}: cache settings`)
      if (stage.throttle) this.omit(`${at}: throttle`)
    }
  }

  private noteFunctions() {
    const used = new Set<string>()
    for (const route of this.api.routes) if (route.function) used.add(route.function.name)
    for (const a of Object.values(this.api.authorizers)) if (a.function) used.add(a.function.name)
    for (const name of used) {
      const fn = this.model.functions[name]!.config
      const settings = [
        fn.timeout !== 6 && 'timeout',
        fn.memorySize !== 1024 && 'memorySize',
        Object.keys(fn.environment).length > 0 && 'environment',
        fn.runtime !== undefined && 'runtime',
        fn.region !== undefined && 'region',
        fn.endpoint !== undefined && 'endpoint',
      ].filter(Boolean)
      const also = settings.length ? `; also its ${settings.join(', ')}` : ''
      if (fn.handler) this.omit(`function "${name}": the local handler ${fn.handler} (exported as the Lambda function "${name}": import with lambdaMapping {"${name}": "${fn.handler}"})${also}`)
      else if (settings.length) this.omit(`function "${name}": ${settings.join(', ')}`)
    }
  }

  // ---------------------------------------------------------------- security

  private uniqueScheme(base: string): string {
    let name = base
    for (let i = 2; name in this.schemes; i++) name = `${base}_${i}`
    return name
  }

  private authorizerScheme(authorizer: CompiledAuthorizer) {
    const c = authorizer.config
    const name = authorizer.name
    this.schemeOf.set(`authorizer:${name}`, name)
    const at = `authorizer "${name}"`
    switch (c.type) {
      case 'token': {
        const header = headerOf(typeof c.identitySource === 'string' ? c.identitySource : undefined) ?? 'Authorization'
        const x: Obj = { type: 'token', authorizerUri: this.lambdaUri(authorizer.function?.name, c.function), authorizerResultTtlInSeconds: c.resultTtlInSeconds }
        if (c.identityValidationExpression !== undefined) x.identityValidationExpression = c.identityValidationExpression
        this.schemes[name] = { type: 'apiKey', name: header, in: 'header', 'x-amazon-apigateway-authtype': 'custom', 'x-amazon-apigateway-authorizer': x }
        return
      }
      case 'request': {
        const x: Obj = { type: 'request', authorizerUri: this.lambdaUri(authorizer.function?.name, c.function), authorizerResultTtlInSeconds: c.resultTtlInSeconds }
        if (c.identitySource !== undefined) x.identitySource = Array.isArray(c.identitySource) ? c.identitySource.join(', ') : c.identitySource
        if (c.payloadFormatVersion !== undefined) x.authorizerPayloadFormatVersion = c.payloadFormatVersion
        if (c.enableSimpleResponses) x.enableSimpleResponses = true
        // "Unused": API Gateway's name for a scheme whose identity sources are in the extension.
        this.schemes[name] = { type: 'apiKey', name: 'Unused', in: 'header', 'x-amazon-apigateway-authtype': 'custom', 'x-amazon-apigateway-authorizer': x }
        return
      }
      case 'jwt': {
        const x: Obj = { type: 'jwt', jwtConfiguration: { issuer: c.issuer, audience: c.audience }, identitySource: c.identitySource }
        this.noteJwt(at, c)
        this.schemes[name] = { type: 'oauth2', flows: {}, 'x-amazon-apigateway-authorizer': x }
        return
      }
      case 'cognito_user_pools': {
        const x: Obj = { type: 'cognito_user_pools', providerARNs: c.providerArns }
        if (c.identityValidationExpression !== undefined) x.identityValidationExpression = c.identityValidationExpression
        if (c.issuer !== undefined) this.omit(`${at}: issuer override`)
        if (c.audience.length) this.omit(`${at}: audience`)
        this.noteJwt(at, c)
        this.schemes[name] = {
          type: 'apiKey',
          name: headerOf(c.identitySource) ?? 'Authorization',
          in: 'header',
          'x-amazon-apigateway-authtype': 'cognito_user_pools',
          'x-amazon-apigateway-authorizer': x,
        }
        return
      }
    }
  }

  private noteJwt(at: string, c: { jwksUri?: string; jwks?: unknown; algorithms?: string[]; clockSkewSeconds: number; jwksCacheSeconds: number; maxTokenBytes: number }) {
    const extra = [
      c.jwksUri !== undefined && 'jwksUri',
      c.jwks !== undefined && 'jwks',
      c.algorithms !== undefined && 'algorithms',
      c.clockSkewSeconds !== 5 && 'clockSkewSeconds',
      c.jwksCacheSeconds !== 600 && 'jwksCacheSeconds',
      c.maxTokenBytes !== 8192 && 'maxTokenBytes',
    ].filter(Boolean)
    if (extra.length) this.omit(`${at}: ${extra.join(', ')}`)
  }

  private specialScheme(kind: 'api_key' | 'sigv4'): string {
    const known = this.schemeOf.get(kind)
    if (known) return known
    const name = this.uniqueScheme(kind)
    this.schemeOf.set(kind, name)
    this.schemes[name] =
      kind === 'api_key'
        ? { type: 'apiKey', name: 'x-api-key', in: 'header' }
        : { type: 'apiKey', name: 'Authorization', in: 'header', 'x-amazon-apigateway-authtype': 'awsSigv4' }
    return name
  }

  private security(route: CompiledRoute): Obj[] | undefined {
    const requirement: Obj = {}
    const auth = route.authorization
    if (auth === 'AWS_IAM') requirement[this.specialScheme('sigv4')] = []
    else if (auth !== 'NONE') requirement[this.schemeOf.get(`authorizer:${auth.authorizer.name}`)!] = [...auth.scopes]
    if (route.apiKeyRequired) requirement[this.specialScheme('api_key')] = []
    // One requirement object: every scheme in it applies (OpenAPI's AND, API Gateway's meaning).
    return Object.keys(requirement).length ? [requirement] : undefined
  }

  // ---------------------------------------------------------------- paths

  private paths(): Obj {
    const paths: Obj = {}
    for (const route of this.api.routes) {
      const path = route.resourcePath === '$default' ? '/$default' : route.resourcePath
      const item = (paths[path] ??= {}) as Obj
      const key = route.method === 'ANY' ? 'x-amazon-apigateway-any-method' : route.method.toLowerCase()
      item[key] = this.operation(route)
    }
    return paths
  }

  private operation(route: CompiledRoute): Obj {
    const op: Obj = {}
    const params: Obj[] = (route.template?.paramNames ?? []).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }))
    for (const p of route.request.parameters) {
      params.push({ name: p.name, in: p.in === 'querystring' ? 'query' : 'header', required: p.required, schema: { type: 'string' } })
    }
    if (params.length) op.parameters = params
    const models = Object.entries(route.request.models)
    if (models.length) op.requestBody = { content: Object.fromEntries(models.map(([type, name]) => [type, { schema: { $ref: `#/components/schemas/${name}` } }])) }
    if (route.request.validator) op['x-amazon-apigateway-request-validator'] = route.request.validator.name
    if (route.corsOrigins) {
      this.omit(`route "${route.routeKey}": Access-Control-Allow-Origin chosen among ${route.corsOrigins.join(', ')} (exported as the first; API Gateway needs a VTL template to choose)`)
    }
    op.responses = this.methodResponses(route)
    const security = this.security(route)
    if (security) op.security = security
    op['x-amazon-apigateway-integration'] = this.integration(route)
    const at = `route "${route.routeKey}"`
    if (route.throttle) this.omit(`${at}: throttle`)
    const c = route.caching
    if (c.enabled !== undefined || c.ttlInSeconds !== undefined || c.requireAuthorizationForCacheControl !== undefined || c.unauthorizedCacheControlHeaderStrategy !== undefined) {
      this.omit(`${at}: caching settings (only cacheKeyParameters are exported)`)
    }
    return op
  }

  private integration(route: CompiledRoute): Obj {
    const i = route.integration
    const http = this.api.type === 'HTTP'
    const out: Obj = {}
    switch (i.type) {
      case 'lambda':
        out.type = 'aws_proxy'
        out.httpMethod = 'POST'
        out.uri = this.lambdaUri(route.function?.name, i.function)
        if (http) out.payloadFormatVersion = route.payloadFormatVersion
        break
      case 'http_proxy': {
        out.type = 'http_proxy'
        out.httpMethod = i.method
        out.uri = i.uri
        // REST APIs map each {param} of the URI explicitly; HTTP APIs fill them themselves.
        const names = [...i.uri.matchAll(/\{([A-Za-z0-9_]+)\+?\}/g)].map((m) => m[1]!)
        if (!http && names.length) out.requestParameters = Object.fromEntries(names.map((n) => [`integration.request.path.${n}`, `method.request.path.${n}`]))
        if (http) out.payloadFormatVersion = '1.0'
        break
      }
      case 'lambda_custom':
        out.type = 'aws'
        out.httpMethod = 'POST'
        out.uri = this.lambdaUri(route.function?.name, i.function)
        Object.assign(out, mappingExtension(i))
        break
      case 'http': {
        out.type = 'http'
        out.httpMethod = i.method
        out.uri = i.uri
        // AWS fills a {param} of the URI only from a mapping: write the ones Portico fills implicitly.
        const params: Record<string, string> = { ...i.requestParameters }
        for (const m of i.uri.matchAll(/\{([A-Za-z0-9_]+)\+?\}/g)) params[`integration.request.path.${m[1]}`] ??= `method.request.path.${m[1]}`
        if (Object.keys(params).length) out.requestParameters = params
        Object.assign(out, mappingExtension(i))
        break
      }
      case 'mock': {
        out.type = 'mock'
        if (i.responses) {
          Object.assign(out, mappingExtension({ requestTemplates: i.requestTemplates ?? {}, passthroughBehavior: i.passthroughBehavior, responses: i.responses }))
          break
        }
        const statusCode = i.statusCode ?? 200
        out.requestTemplates = { 'application/json': `{"statusCode": ${statusCode}}` }
        const response: Obj = { statusCode: String(statusCode) }
        const headers = Object.entries(i.headers ?? {})
        if (headers.length) response.responseParameters = Object.fromEntries(headers.map(([k, v]) => [`method.response.header.${k}`, `'${v}'`]))
        const body = i.body ?? ''
        if (body !== '') {
          const contentType = headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? 'application/json'
          response.responseTemplates = { [contentType]: body }
          if (/\$!?\{?(?:input|context|util|stageVariables|method)\b|#(?:set|if|foreach)\b/.test(body)) {
            this.omit(`route "${route.routeKey}": the mock body looks like VTL; API Gateway would evaluate it, Portico sends it as written`)
          }
        }
        out.responses = { default: response }
        break
      }
    }
    if (i.type !== 'mock' && i.timeoutMs !== DEFAULT_TIMEOUT[this.api.type]) out.timeoutInMillis = i.timeoutMs
    const keys = route.caching.keyParameters
    if (keys.length) out.cacheKeyParameters = keys.map((k) => `method.request.${k.in}.${k.name}`)
    return out
  }

  /** The method responses API Gateway needs for each status (and mapped header) the integration answers with. */
  private methodResponses(route: CompiledRoute): Obj {
    const i = route.integration
    const responses = i.type === 'lambda_custom' || i.type === 'http' ? i.responses : i.type === 'mock' ? i.responses : undefined
    if (!responses) {
      const status = i.type === 'mock' ? String(i.statusCode ?? 200) : '200'
      return { [status]: { description: `${status} response` } }
    }
    const out: Obj = {}
    for (const r of responses) {
      const status = String(r.statusCode)
      const entry = (out[status] ??= { description: `${status} response` }) as Obj
      const headers = Object.keys(r.responseParameters).map((p) => p.slice('method.response.header.'.length))
      if (headers.length) entry.headers = { ...(entry.headers as Obj | undefined), ...Object.fromEntries(headers.map((h) => [h, { schema: { type: 'string' } }])) }
    }
    return out
  }

  /** A named local or remote function as an ARN in its invocation URI; a bare ARN as is. */
  private lambdaUri(functionName: string | undefined, ref: string): string {
    const { region, accountId } = this.model.settings
    let arn = ref
    if (functionName !== undefined) {
      const fn = this.model.functions[functionName]!.config
      const given = fn.arn
      if (given === undefined) arn = `arn:aws:lambda:${region}:${accountId}:function:${functionName}`
      else if (/^arn:/.test(given)) arn = given
      else arn = `arn:aws:lambda:${fn.region ?? region}:${accountId}:function:${given}` // a name or name:alias
    }
    return lambdaInvocationUri(arn, region)
  }
}

/**
 * requestTemplates, passthroughBehavior and responses as the extension writes them: responses
 * keyed by selection pattern ("default" for the default one), statuses as strings,
 * passthroughBehavior in lowercase as AWS exports it.
 */
function mappingExtension(m: {
  requestTemplates: Record<string, string>
  passthroughBehavior?: string
  responses: { selectionPattern?: string; statusCode: number; responseTemplates: Record<string, string>; responseParameters: Record<string, string> }[]
}): Obj {
  const out: Obj = {}
  if (Object.keys(m.requestTemplates).length) out.requestTemplates = { ...m.requestTemplates }
  if (m.passthroughBehavior) out.passthroughBehavior = m.passthroughBehavior.toLowerCase()
  out.responses = Object.fromEntries(
    m.responses.map((r) => {
      const response: Obj = { statusCode: String(r.statusCode) }
      if (Object.keys(r.responseParameters).length) response.responseParameters = { ...r.responseParameters }
      if (Object.keys(r.responseTemplates).length) response.responseTemplates = { ...r.responseTemplates }
      return [r.selectionPattern || 'default', response]
    }),
  )
  return out
}

/** `method.request.header.X` → X. */
function headerOf(source: string | undefined): string | undefined {
  return source ? /^method\.request\.header\.(.+)$/.exec(source)?.[1] : undefined
}
