/**
 * serverless.yml `websocket` events as a Portico WebSocket API (part of the serverless
 * importer): routes ($connect, $disconnect, $default, custom keys) with their functions,
 * `routeResponseSelectionExpression`, and the $connect authorizer (a function name or ARN, with
 * `identitySource` such as route.request.querystring.token; the framework's default is
 * route.request.header.Auth). The API takes `provider.websocketsApiName` (default
 * "<stage>-<service>-websockets", the framework's), `websocketsApiRouteSelectionExpression`
 * (default $request.body.action) and `websocketsDescription`.
 */

type Path = (string | number)[]
type Obj = Record<string, unknown>

/** What the importer lends this module: its reporting and the service's function names. */
export interface WebSocketImportContext {
  warn(path: Path, message: string): void
  error(path: Path, message: string): void
  /** Warns about every key of `obj` not in `handled`. */
  rest(obj: Obj, at: Path, handled: string[]): void
  functionNames: Set<string>
}

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:([^:]+)/
/** The framework's identity source when an authorizer names none. */
const DEFAULT_IDENTITY_SOURCE = ['route.request.header.Auth']

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Collects a service's websocket events and builds its WebSocket API. */
export class ServerlessWebSocketApi {
  private readonly ctx: WebSocketImportContext
  private readonly routes: { route: Obj; at: Path }[] = []
  private readonly keys = new Map<string, Path>()
  private readonly authorizers = new Map<string, { config: Obj; at: Path }>()

  constructor(ctx: WebSocketImportContext) {
    this.ctx = ctx
  }

  /** Whether the service has websocket events. */
  get present(): boolean {
    return this.routes.length > 0
  }

  /** One `websocket` event of function `fn`: `$connect` (short form) or { route, ... }. */
  event(fn: string, raw: unknown, at: Path, hasThrottle: boolean): void {
    const e: Obj | undefined = typeof raw === 'string' ? { route: raw } : isObject(raw) ? raw : undefined
    if (!e) return this.ctx.error(at, 'a websocket event is a route key ($connect, sendMessage, ...) or a mapping (route, routeResponseSelectionExpression, authorizer)')
    if (isObject(raw)) this.ctx.rest(raw, at, ['route', 'routeResponseSelectionExpression', 'authorizer'])
    if (typeof e.route !== 'string' || !e.route) return this.ctx.error([...at, 'route'], 'a websocket event needs a route: $connect, $disconnect, $default or a key such as sendMessage')
    const key = e.route
    const prior = this.keys.get(key)
    if (prior) return this.ctx.error(at, `WebSocket route ${key} is already defined at ${pathText(prior)}`)
    this.keys.set(key, at)
    const route: Obj = { route: key, integration: { type: 'lambda', function: fn } }
    if (e.routeResponseSelectionExpression !== undefined) route.routeResponseSelectionExpression = e.routeResponseSelectionExpression
    if (e.authorizer !== undefined) {
      const where = [...at, 'authorizer']
      if (key !== '$connect') return this.ctx.error(where, 'WebSocket APIs authorize on the $connect route only')
      const name = this.authorizer(e.authorizer, where)
      if (name === undefined) return
      route.authorization = { authorizer: name }
    }
    if (hasThrottle) this.ctx.warn(at, 'the function\'s throttle applies to its http and httpApi events: route throttling is not supported on WebSocket APIs yet (not applied to this route)')
    this.routes.push({ route, at })
  }

  /** `auth`, an ARN, or { name | arn, identitySource }: a REQUEST authorizer. */
  private authorizer(raw: unknown, at: Path): string | undefined {
    const a: Obj | undefined = typeof raw === 'string' ? (raw.startsWith('arn:') ? { arn: raw } : { name: raw }) : isObject(raw) ? raw : undefined
    if (!a) {
      this.ctx.error(at, 'an authorizer is a function name, an ARN, or a mapping (name or arn, identitySource)')
      return undefined
    }
    if (isObject(raw)) this.ctx.rest(raw, at, ['name', 'arn', 'identitySource'])
    let fn: string
    let name: string
    if (typeof a.arn === 'string') {
      const m = LAMBDA_ARN.exec(a.arn)
      if (!m) {
        this.ctx.error([...at, 'arn'], `"${a.arn}" is not a Lambda function ARN`)
        return undefined
      }
      fn = a.arn
      name = typeof a.name === 'string' ? a.name : m[1]!
    } else if (a.arn !== undefined) {
      this.ctx.error([...at, 'arn'], 'arn is the authorizer function\'s ARN (CloudFormation references cannot be resolved by Portico)')
      return undefined
    } else if (typeof a.name === 'string') {
      if (!this.ctx.functionNames.has(a.name)) {
        this.ctx.error(typeof raw === 'string' ? at : [...at, 'name'], `no function "${a.name}" in functions (an authorizer given by name is one of this service's functions)`)
        return undefined
      }
      fn = a.name
      name = a.name
    } else {
      this.ctx.error(at, 'an authorizer needs a name (one of this service\'s functions) or an arn')
      return undefined
    }
    let identitySource: unknown = a.identitySource ?? DEFAULT_IDENTITY_SOURCE
    if (typeof identitySource === 'string') identitySource = [identitySource]
    if (!Array.isArray(identitySource) || !identitySource.every((s) => typeof s === 'string')) {
      this.ctx.error([...at, 'identitySource'], 'identitySource is a list such as [route.request.querystring.token, route.request.header.Auth]')
      return undefined
    }
    const key = name.replace(/[^\w-]/g, '_').replace(/^([^A-Za-z])/, 'a$1').slice(0, 128)
    const config: Obj = { type: 'request', function: fn, identitySource }
    const prior = this.authorizers.get(key)
    if (prior && JSON.stringify(prior.config) !== JSON.stringify(config)) {
      this.ctx.error(at, `authorizer "${key}" is already defined differently at ${pathText(prior.at)}`)
      return undefined
    }
    this.authorizers.set(key, { config, at })
    return key
  }

  /**
   * The WebSocket API.
   * @param provider the resolved provider mapping (websocketsApiName, ...)
   * @param basePath where it is mounted when another API takes "/"
   */
  api(opts: { service: string; stage: string; provider: Obj; basePath?: string; accessLog?: Obj }): Obj {
    const p = opts.provider
    const name = typeof p.websocketsApiName === 'string' && p.websocketsApiName ? p.websocketsApiName : `${opts.stage}-${opts.service}-websockets`
    const stage: Obj = { name: opts.stage }
    if (opts.accessLog) stage.accessLog = opts.accessLog
    const api: Obj = { name, type: 'WEBSOCKET', stages: [stage], routes: this.routes.map((r) => r.route) }
    if (p.websocketsApiRouteSelectionExpression !== undefined) api.routeSelectionExpression = p.websocketsApiRouteSelectionExpression
    if (typeof p.websocketsDescription === 'string') api.description = p.websocketsDescription
    if (opts.basePath) api.basePath = opts.basePath
    if (this.authorizers.size) api.authorizers = Object.fromEntries([...this.authorizers].map(([k, v]) => [k, v.config]))
    return api
  }
}

function pathText(path: Path): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${key}` : key), '')
}
