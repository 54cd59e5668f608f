/**
 * REST MOCK integration, no backend call: either a static response, or (with `responses`) as
 * API Gateway runs it: the request template's output `{"statusCode": N}` selects the
 * integration response whose pattern matches N (no template: 200), which then renders its
 * template and headers over an empty integration body.
 */
import type { CompiledRoute, GatewayModel } from '../../model/load.ts'
import type { RouteHandler } from '../../core/feature.ts'
import type { MockIntegrationConfig } from '../../model/schema.ts'
import { GatewayError } from '../../core/errors.ts'
import { readBody } from '../../core/body.ts'
import { mappingScope, mapRequestBody, mapResponse, selectResponse } from '../../features/mapping/index.ts'
import { utf8Decode } from '../lambda/body-encoding.ts'

/** Builds the handler of a mock route. */
export function createMockIntegration(config: MockIntegrationConfig, route?: CompiledRoute, model?: GatewayModel): RouteHandler {
  if (route?.mapping && model) return templatedMock(route, model)
  const statusCode = config.statusCode ?? 200
  const body = new TextEncoder().encode(config.body ?? '')
  const headers: [string, string][] = Object.entries(config.headers ?? {})
  if (!headers.some(([k]) => k.toLowerCase() === 'content-type')) headers.push(['content-type', 'application/json'])
  const noBody = statusCode === 204 || statusCode === 304
  return async function mockIntegration(req) {
    req.timings.integrationStatus = statusCode
    req.timings.integrationLatency = 0
    const h = new Headers(headers)
    h.set('content-length', String(noBody ? 0 : body.byteLength))
    return new Response(noBody || req.method === 'HEAD' ? null : body, { status: statusCode, headers: h })
  }
}

function templatedMock(route: CompiledRoute, model: GatewayModel): RouteHandler {
  const mapping = route.mapping!
  const accountId = model.settings.accountId
  return async function templatedMockIntegration(req) {
    const scope = mappingScope(req, accountId)
    const mapped = mapRequestBody(mapping, scope, await readBody(req))
    const text = mapped.kind === 'template' ? mapped.text : mapped.bytes ? utf8Decode(mapped.bytes) : ''
    const status = mockStatus(text)
    req.timings.integrationStatus = status
    req.timings.integrationLatency = 0
    const subject = String(status)
    return mapResponse(scope, selectResponse(mapping, subject), { headers: [], body: '' }, subject)
  }
}

/**
 * The status a mock's integration request names: `{"statusCode": N}`; an empty request 200.
 * Anything else cannot select a response (500, as API Gateway answers).
 */
function mockStatus(text: string): number {
  if (text.trim() === '') return 200
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new GatewayError('API_CONFIGURATION_ERROR', { detail: `mock integration request is not JSON: ${text.slice(0, 200)}` })
  }
  const s = (parsed as { statusCode?: unknown } | null)?.statusCode
  const n = typeof s === 'number' ? s : typeof s === 'string' && /^\d+$/.test(s) ? Number(s) : NaN
  if (!Number.isInteger(n) || n < 100 || n > 599) {
    throw new GatewayError('API_CONFIGURATION_ERROR', { detail: `mock integration request has no statusCode (100-599): ${text.slice(0, 200)}` })
  }
  return n
}
