/**
 * Identity sources of Lambda authorizers (reference §6.1, §6.5): the request values that must
 * all be present before the authorizer is invoked, and that key its result cache.
 */
import type { LambdaAuthorizerConfig } from '../../model/auth-schema.ts'
import { requestContextBase, type GatewayRequest } from '../../core/request.ts'
import { parseQueryString } from '../../integrations/lambda/event-v1.ts'

/** One parsed identity source. Header names are lowercased (headers match case-insensitively). */
export type IdentitySource =
  | { kind: 'header'; name: string }
  | { kind: 'query'; name: string }
  | { kind: 'stageVariable'; name: string }
  | { kind: 'context'; path: string[] }

const REST_PATTERNS: [RegExp, IdentitySource['kind']][] = [
  [/^method\.request\.header\.(.+)$/, 'header'],
  [/^method\.request\.querystring\.(.+)$/, 'query'],
  [/^stageVariables\.(.+)$/, 'stageVariable'],
  [/^context\.(.+)$/, 'context'],
]
const WEBSOCKET_PATTERNS: [RegExp, IdentitySource['kind']][] = [
  [/^route\.request\.header\.(.+)$/, 'header'],
  [/^route\.request\.querystring\.(.+)$/, 'query'],
  [/^stageVariables\.(.+)$/, 'stageVariable'],
  [/^context\.(.+)$/, 'context'],
]
const HTTP_PATTERNS: [RegExp, IdentitySource['kind']][] = [
  [/^\$request\.header\.(.+)$/, 'header'],
  [/^\$request\.querystring\.(.+)$/, 'query'],
  [/^\$stageVariables\.(.+)$/, 'stageVariable'],
  [/^\$context\.(.+)$/, 'context'],
]

/**
 * The configured identity sources, in order. A TOKEN authorizer without one reads the
 * Authorization header, as API Gateway's console proposes. Throws on a source of the wrong
 * API type (the model loader reports those first; this guards hand-built models).
 */
export function parseIdentitySources(config: LambdaAuthorizerConfig, apiType: 'REST' | 'HTTP' | 'WEBSOCKET'): IdentitySource[] {
  const given = config.identitySource
  const raw = given === undefined
    ? (config.type === 'token' ? ['method.request.header.Authorization'] : [])
    : (Array.isArray(given) ? given : [given]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)
  const patterns = apiType === 'HTTP' ? HTTP_PATTERNS : apiType === 'WEBSOCKET' ? WEBSOCKET_PATTERNS : REST_PATTERNS
  return raw.map((source) => {
    for (const [re, kind] of patterns) {
      const m = re.exec(source)
      if (!m) continue
      const name = m[1]!
      if (kind === 'header') return { kind, name: name.toLowerCase() }
      if (kind === 'context') return { kind, path: name.split('.') }
      return { kind, name }
    }
    throw new Error(`"${source}" is not an identity source of ${apiType} APIs`)
  })
}

/**
 * Reads every identity source from the request. Returns null when one is missing or empty:
 * API Gateway then answers 401 without invoking the authorizer.
 * @param joinRepeated HTTP APIs join repeated headers and query keys with ","; REST keeps the last value
 */
export function resolveIdentity(
  req: GatewayRequest,
  sources: IdentitySource[],
  opts: { joinRepeated: boolean; accountId: string },
): string[] | null {
  const values: string[] = []
  let query: [string, string][] | undefined
  for (const source of sources) {
    let value: string | undefined
    if (source.kind === 'header') {
      const found: string[] = []
      for (const [k, v] of req.headers) if (k.toLowerCase() === source.name) found.push(v)
      value = pick(found, opts.joinRepeated)
    } else if (source.kind === 'query') {
      query ??= parseQueryString(req.rawQueryString)
      value = pick(query.filter(([k]) => k === source.name).map(([, v]) => v), opts.joinRepeated)
    } else if (source.kind === 'stageVariable') {
      value = Object.hasOwn(req.stage.variables, source.name) ? req.stage.variables[source.name] : undefined
    } else {
      value = contextValue(req, source.path, opts.accountId)
    }
    if (value === undefined || value === '') return null
    values.push(value)
  }
  return values
}

function pick(values: string[], join: boolean): string | undefined {
  if (values.length === 0) return undefined
  return join ? values.join(',') : values[values.length - 1]
}

/** A `$context` variable as API Gateway names them (context.identity.sourceIp, context.stage, ...). */
function contextValue(req: GatewayRequest, path: string[], accountId: string): string | undefined {
  const variables: Record<string, unknown> = {
    ...requestContextBase(req, accountId),
    path: req.api.type === 'HTTP' && req.stage.name === '$default' ? req.path : req.stagePath,
    resourceId: req.route.resourceId,
    routeKey: req.route.routeKey,
    identity: { sourceIp: req.sourceIp, userAgent: req.userAgent ?? undefined, ...req.identity },
  }
  let value: unknown = variables
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  if (value === null || value === undefined || typeof value === 'object') return undefined
  return String(value)
}
