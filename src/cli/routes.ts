/** The route table printed by `portico routes` and the start-up banner. */
import type { CompiledRoute, CompiledStage, GatewayModel } from '../model/load.ts'

export interface RouteRow {
  api: string
  url: string
  method: string
  path: string
  integration: string
  auth: string
  apiKey: string
  cache: string
  throttle: string
}

/** One row per route and stage. `base` is the server URL (default: a relative URL). */
export function routeTable(model: GatewayModel, base = ''): RouteRow[] {
  const rows: RouteRow[] = []
  for (const api of model.apis) {
    const mount = api.basePath === '/' ? '' : api.basePath
    for (const stage of api.stages) {
      const prefix = stage.name === '$default' ? '' : `/${stage.name}`
      // A WebSocket API has one URL per stage (ws://), its routes are message route keys.
      const ws = api.type === 'WEBSOCKET'
      const wsBase = base.replace(/^http/, 'ws')
      for (const route of api.routes) {
        const i = route.integration
        rows.push({
          // The id too: the admin API's paths (/restapis/{apiId}/...) name APIs by it.
          api: `${api.name} (${api.type} ${api.id})`,
          url: ws ? `${wsBase}${mount}${prefix}` : `${base}${mount}${prefix}${route.resourcePath === '$default' ? '/*' : route.resourcePath}`,
          method: ws ? 'WS' : route.method,
          path: route.resourcePath,
          // WebSocket routes are Lambda proxy routes; their payload format is fixed.
          integration: ws && i.type === 'lambda'
            ? `lambda ${route.function?.name ?? i.function}${route.routeResponse ? ' (route response)' : ''}`
            : integrationColumn(route),
          auth:
            typeof route.authorization === 'string'
              ? route.authorization
              : `${route.authorization.authorizer.config.type}:${route.authorization.authorizer.name}${route.authorization.scopes.length ? ` [${route.authorization.scopes.join(' ')}]` : ''}`,
          apiKey: route.apiKeyRequired ? 'required' : '-',
          cache: cacheColumn(stage, route),
          throttle: throttleColumn(model, api.id, stage, route),
        })
      }
    }
  }
  return rows
}

function integrationColumn(route: CompiledRoute): string {
  const i = route.integration
  switch (i.type) {
    case 'lambda':
      return `lambda ${route.function?.name ?? i.function} (payload ${route.payloadFormatVersion})`
    case 'lambda_custom':
      return `lambda_custom ${route.function?.name ?? i.function} (${templatesNote(route)})`
    case 'http_proxy':
      return `http_proxy ${i.uri}`
    case 'http':
      return `http ${i.uri} (${templatesNote(route)})`
    case 'mock':
      return i.responses ? `mock (${templatesNote(route)})` : `mock ${i.statusCode ?? 200}`
  }
}

/** "2 templates, 3 responses" for a non-proxy route. */
function templatesNote(route: CompiledRoute): string {
  const m = route.mapping
  const templates = m?.templates.size ?? 0
  const responses = m?.responses.length ?? 0
  return `${templates} template${templates === 1 ? '' : 's'}, ${responses} response${responses === 1 ? '' : 's'}`
}

/** Aligned text table. */
export function formatTable(rows: RouteRow[]): string {
  const headers: Record<keyof RouteRow, string> = {
    api: 'API', url: 'URL', method: 'METHOD', path: 'PATH', integration: 'INTEGRATION',
    auth: 'AUTH', apiKey: 'API KEY', cache: 'CACHE', throttle: 'THROTTLE',
  }
  const keys = Object.keys(headers) as (keyof RouteRow)[]
  const widths = keys.map((k) => Math.max(headers[k].length, ...rows.map((r) => r[k].length)))
  const line = (r: Record<keyof RouteRow, string>) => keys.map((k, i) => r[k].padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(headers), ...rows.map(line)].join('\n')
}

/** "300s [path.id]" when this route is cached on this stage, else "-". */
function cacheColumn(stage: CompiledStage, route: CompiledRoute): string {
  const c = stage.cache
  const ttl = route.caching.ttlInSeconds ?? c?.ttlInSeconds ?? 0
  const on = c?.enabled && ttl > 0 && route.caching.enabled !== false && (route.method === 'GET' || route.caching.enabled === true)
  if (!on) return '-'
  const keys = route.caching.keyParameters.map((k) => `${k.in}.${k.name}`)
  return `${ttl}s${keys.length ? ` [${keys.join(' ')}]` : ''}${route.caching.perCaller ? ' per caller' : ''}`
}

/** "50/s burst 100" for the route or stage throttle, plus "+plan" where a usage plan covers the stage. */
function throttleColumn(model: GatewayModel, apiId: string, stage: CompiledStage, route: CompiledRoute): string {
  const t = route.throttle ?? stage.throttle
  const own = t ? `${t.rateLimit}/s burst ${t.burstLimit}` : ''
  const planned = route.apiKeyRequired && model.usagePlans.some((p) => p.apiStages.some((s) => s.apiId === apiId && s.stage === stage.name))
  return [own, planned ? '+plan' : ''].filter(Boolean).join(' ') || '-'
}
