/**
 * REST `cors` → OPTIONS routes, as the Serverless Framework builds them for `cors` on http
 * events: one OPTIONS method per path, a MOCK answering 200 with static Access-Control-*
 * headers, the settings of the path's routes merged (headers, methods and origins joined,
 * credentials if any asks, the last maxAge and cacheControl). Defaults: origin `*`, the
 * framework's header list, the routes' methods plus OPTIONS.
 */
import type { ConfigIssue } from './load.ts'
import { DEFAULT_CORS_HEADERS, type RouteCorsConfig } from './cors-schema.ts'

/** What one path's OPTIONS route answers. */
export interface PreflightPlan {
  /** Resource path of the routes asking for it. */
  path: string
  /** The mock's static response headers, in the framework's order. */
  headers: Record<string, string>
  /** Origins the answer may echo (Access-Control-Allow-Origin holds the first); empty when static. */
  origins: string[]
  /** Index (in the API's routes) of the first route asking, for messages. */
  index: number
}

interface Merged {
  origin?: string
  origins: string[]
  headers: string[]
  methods: string[]
  allowCredentials: boolean
  maxAge?: number
  cacheControl?: string
}

/** Every method ANY stands for, as the framework spells it out in Allow-Methods. */
const ANY_METHODS = 'DELETE,GET,HEAD,PATCH,POST,PUT'

const union = (first: readonly string[], second: readonly string[]) => [...new Set([...first, ...second])]

/**
 * The OPTIONS routes to create for an API's routes with `cors`, one per path, in the order
 * the paths first ask. A path that already has an OPTIONS route is an issue: the two would
 * answer the same preflight.
 */
export function preflightPlans(
  routes: { method: string; resourcePath: string; index: number; cors?: RouteCorsConfig }[],
  issues: ConfigIssue[],
  at: (...p: (string | number)[]) => (string | number)[],
): PreflightPlan[] {
  const merged = new Map<string, { config: Merged; index: number }>()
  for (const route of routes) {
    if (route.cors === undefined || route.cors === false) continue
    const own = eventCors(route.cors, route.method)
    const prior = merged.get(route.resourcePath)
    if (!prior) {
      merged.set(route.resourcePath, { config: own, index: route.index })
      continue
    }
    // The framework's merge: the later event's entries first, credentials if any asks, the
    // later origin, maxAge and cacheControl.
    const p = prior.config
    prior.config = {
      origin: own.origin,
      origins: union(own.origins, p.origins),
      headers: union(own.headers, p.headers),
      methods: union(own.methods, p.methods),
      allowCredentials: p.allowCredentials || own.allowCredentials,
      maxAge: own.maxAge ?? p.maxAge,
      cacheControl: own.cacheControl ?? p.cacheControl,
    }
  }
  const plans: PreflightPlan[] = []
  for (const [path, { config, index }] of merged) {
    const explicit = routes.find((r) => r.resourcePath === path && r.method === 'OPTIONS')
    if (explicit) {
      issues.push({
        path: at('routes', index, 'cors'),
        message: `${path} already has an OPTIONS route (routes[${explicit.index}]) to answer preflights: remove cors from the routes of ${path}, or that route`,
      })
      continue
    }
    let origins = config.origins
    let origin = config.origin
    if (origin?.includes(',')) origins = origin.split(',').map((o) => o.trim())
    if (origins.length) origin = origins[0]
    const headers: Record<string, string> = {
      'Access-Control-Allow-Origin': origin ?? '*',
      'Access-Control-Allow-Headers': config.headers.join(','),
      'Access-Control-Allow-Methods': config.methods.join(',').replace('ANY', ANY_METHODS),
    }
    if (config.allowCredentials) headers['Access-Control-Allow-Credentials'] = 'true'
    if (config.maxAge) headers['Access-Control-Max-Age'] = String(config.maxAge)
    if (config.cacheControl) headers['Cache-Control'] = config.cacheControl
    plans.push({ path, headers, origins, index })
  }
  return plans
}

/** One route's CORS settings with the framework's defaults. */
function eventCors(cors: true | Exclude<RouteCorsConfig, boolean>, method: string): Merged {
  if (cors === true) {
    return { origin: '*', origins: [], headers: [...DEFAULT_CORS_HEADERS], methods: ['OPTIONS', method], allowCredentials: false }
  }
  const methods: string[] = [...(cors.methods ?? [])]
  if (!methods.includes('OPTIONS')) methods.push('OPTIONS')
  if (!methods.includes(method)) methods.push(method)
  return {
    // Given origins replace the default origin rather than join it.
    origin: cors.origins ? cors.origin : (cors.origin ?? '*'),
    origins: cors.origins ?? [],
    headers: cors.headers ?? [...DEFAULT_CORS_HEADERS],
    methods,
    allowCredentials: cors.allowCredentials,
    maxAge: cors.maxAge,
    cacheControl: cors.cacheControl,
  }
}

/**
 * Whether an Origin matches one of a route's `origins`, where `*` stands for any text (the
 * framework turns them into regular expressions matched against the whole Origin).
 */
export function originMatches(patterns: readonly string[], origin: string): boolean {
  return patterns.some((pattern) => {
    const source = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.+')
    return new RegExp(`^(?:${source})$`).test(origin)
  })
}
