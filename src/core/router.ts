/**
 * API Gateway's request resolution: which API (host, base path), which stage, which route.
 * REST: the stage is always the first path segment, the most specific resource wins, then
 * its method (or ANY); no match is 403 Missing Authentication Token. HTTP APIs: a named
 * stage by prefix or the $default stage, route priority per AWS's documented order, and
 * 404 Not Found when nothing matches.
 */
import type { CompiledApi, CompiledRoute, CompiledStage, GatewayModel } from '../model/load.ts'
import { GatewayError } from './errors.ts'
import { compareSpecificity, matchTemplate, splitPath } from './path-template.ts'

export interface ApiMatch {
  api: CompiledApi
  /** The path after the API's base path (always starts with "/"). */
  path: string
}

/** Picks the API for a host and path: host match first, then the longest base path. */
export function selectApi(model: GatewayModel, host: string, path: string): ApiMatch | null {
  const hostname = host.replace(/:\d+$/, '').toLowerCase()
  let best: CompiledApi | null = null
  let bestScore = -1
  for (const api of model.apis) {
    const hostOk = api.hosts.length === 0 || api.hosts.includes(hostname)
    if (!hostOk) continue
    const bp = api.basePath
    const within = bp === '/' || path === bp || path.startsWith(bp + '/')
    if (!within) continue
    // Named hosts beat catch-all APIs; then longer base paths win.
    const score = (api.hosts.length ? 10_000 : 0) + (bp === '/' ? 0 : bp.length)
    if (score > bestScore) {
      best = api
      bestScore = score
    }
  }
  if (!best) return null
  const rest = best.basePath === '/' ? path : path.slice(best.basePath.length)
  return { api: best, path: rest.startsWith('/') ? rest : '/' + rest }
}

export interface StageMatch {
  stage: CompiledStage
  /** Path including the stage as received: `/prod/users/42`, `/prod//x` kept. */
  stagePath: string
  /** Path without the stage: `/users/42`; slashes right after the stage collapse. */
  path: string
}

/** Resolves the stage; throws the API type's rejection when there is none. */
export function selectStage(api: CompiledApi, path: string): StageMatch {
  // API Gateway normalises slashes before the stage: `//prod/x` is `/prod/x`.
  const trimmed = path.replace(/^\/+/, '')
  const slash = trimmed.indexOf('/')
  const first = slash === -1 ? trimmed : trimmed.slice(0, slash)
  const after = slash === -1 ? '' : trimmed.slice(slash)
  const named = first ? api.stages.find((s) => s.name === first && s.name !== '$default') : undefined
  if (named) {
    return { stage: named, stagePath: `/${first}${after}`, path: after.replace(/^\/+/, '/') || '/' }
  }
  if (api.type === 'HTTP') {
    const fallback = api.stages.find((s) => s.name === '$default')
    if (fallback) return { stage: fallback, stagePath: '/' + trimmed, path: '/' + trimmed }
    throw new GatewayError('RESOURCE_NOT_FOUND', { detail: `no stage "${first}" and no $default stage` })
  }
  if (!first) throw new GatewayError('MISSING_AUTHENTICATION_TOKEN', { detail: 'no stage in the path' })
  throw new GatewayError('UNKNOWN_STAGE', { detail: `unknown stage "${first}"` })
}

export interface RouteMatch {
  route: CompiledRoute
  /** Raw (still percent-encoded) parameter values; null when the route has none. */
  params: Record<string, string> | null
}

/** REST: the most specific resource first, then its method, else ANY. */
export function matchRestRoute(api: CompiledApi, method: string, path: string): RouteMatch {
  const segments = splitPath(path)
  let best: { route: CompiledRoute; params: Record<string, string> } | null = null
  for (const route of api.routes) {
    if (!route.template) continue
    if (best && best.route.template!.source === route.template.source) continue
    const params = matchTemplate(route.template, segments)
    if (!params) continue
    if (!best || compareSpecificity(route.template, best.route.template!) < 0) best = { route, params }
  }
  if (!best) throw new GatewayError('MISSING_AUTHENTICATION_TOKEN', { detail: `no resource matches ${path}` })
  const resource = best.route.template!.source
  const onResource = api.routes.filter((r) => r.template?.source === resource)
  const route = onResource.find((r) => r.method === method) ?? onResource.find((r) => r.method === 'ANY')
  if (!route) {
    throw new GatewayError('MISSING_AUTHENTICATION_TOKEN', { detail: `no ${method} method on resource ${resource}` })
  }
  return { route, params: Object.keys(best.params).length ? best.params : null }
}

/**
 * HTTP API route priority (AWS docs): exact method before ANY, non-greedy before greedy, the
 * most specific path within each class, and $default last.
 */
export function matchHttpRoute(api: CompiledApi, method: string, path: string): RouteMatch {
  const segments = splitPath(path)
  let best: { route: CompiledRoute; params: Record<string, string>; cls: number } | null = null
  for (const route of api.routes) {
    if (!route.template) continue
    if (route.method !== method && route.method !== 'ANY') continue
    const params = matchTemplate(route.template, segments)
    if (!params) continue
    const cls = (route.method === 'ANY' ? 2 : 0) + (route.template.greedy ? 1 : 0)
    if (!best || cls < best.cls || (cls === best.cls && compareSpecificity(route.template, best.route.template!) < 0)) {
      best = { route, params, cls }
    }
  }
  if (best) return { route: best.route, params: Object.keys(best.params).length ? best.params : null }
  const fallback = api.routes.find((r) => r.resourcePath === '$default')
  if (fallback) return { route: fallback, params: null }
  throw new GatewayError('RESOURCE_NOT_FOUND', { detail: `no route matches ${method} ${path}` })
}

/** Percent-decodes, keeping malformed sequences as they are instead of throwing. */
export function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value.replace(/%[0-9A-Fa-f]{2}/g, (m) => {
      try {
        return decodeURIComponent(m)
      } catch {
        return m
      }
    })
  }
}
