/** A REST API with an API-key route, a public route and usage plans, behind both features. */
import { makeGateway, scriptedInvoker } from '../../helpers/gateway.ts'
import { apiKeyFeature } from '../../../src/features/api-key/index.ts'
import { usagePlanFeature } from '../../../src/features/usage-plan/index.ts'
import type { GatewayDeps } from '../../../src/core/deps.ts'

export const KEY = 'partner-key-value-0123456789'
export const OTHER = 'second-key-value-0123456789'
export const LONE = 'lonely-key-value-0123456789'

export const functions = { fn: { handler: 'echo.handler' } }
export const lambda = { type: 'lambda', function: 'fn' }

export interface SetupOptions {
  routes?: unknown[]
  stages?: unknown[]
  usagePlans?: unknown[]
  settings?: Record<string, unknown>
  apiKeys?: unknown[]
  deps?: Partial<GatewayDeps>
  /** Further APIs of the same gateway. */
  apis?: unknown[]
  /** More fields of the REST API (gatewayResponses, ...). */
  api?: Record<string, unknown>
  /** The Lambda function's answer (default: 200 "ok"). */
  answer?: (event: any) => unknown
}

/** Default routes: GET /private (API key), GET /public, POST /private (API key). */
export const defaultRoutes = [
  { method: 'GET', path: '/private', integration: lambda, apiKeyRequired: true },
  { method: 'POST', path: '/private', integration: lambda, apiKeyRequired: true },
  { method: 'GET', path: '/public', integration: lambda },
]

export function setup(opts: SetupOptions = {}) {
  const { invoker, events } = scriptedInvoker(opts.answer ?? (() => ({ statusCode: 200, body: 'ok' })))
  const config = {
    functions,
    // The account throttle written out (AWS's default values), so it is advertised in headers.
    settings: { throttle: { rateLimit: 10_000, burstLimit: 5_000 }, ...opts.settings },
    apis: [
      { name: 'rest', type: 'REST', stages: opts.stages ?? [{ name: 'prod' }, { name: 'dev' }], routes: opts.routes ?? defaultRoutes, ...opts.api },
      ...(opts.apis ?? []),
    ],
    apiKeys: opts.apiKeys ?? [
      { name: 'partner', id: 'partner01', value: KEY },
      { name: 'second', id: 'second01', value: OTHER },
      { name: 'lone', id: 'lone01', value: LONE },
    ],
    usagePlans: opts.usagePlans ?? [],
  }
  const g = makeGateway(config, { invoker, deps: opts.deps, gateway: { features: [apiKeyFeature, usagePlanFeature] } })
  const call = (path: string, key?: string, init: RequestInit = {}) =>
    g.app.request(path, { ...init, headers: { ...(key ? { 'x-api-key': key } : {}), ...(init.headers as Record<string, string>) } })
  /** Sends `n` requests one after another; their statuses. */
  const statuses = async (n: number, path: string, key?: string) => {
    const out: number[] = []
    for (let i = 0; i < n; i++) out.push((await call(path, key)).status)
    return out
  }
  return { ...g, events, call, statuses }
}

/** `n` times the same value. */
export const times = <T>(n: number, v: T): T[] => Array.from({ length: n }, () => v)
