/** REST MOCK integration: a static response, no backend call. */
import type { RouteHandler } from '../../core/feature.ts'
import type { MockIntegrationConfig } from '../../model/schema.ts'

/** Builds the handler answering the configured status, headers and body. */
export function createMockIntegration(config: MockIntegrationConfig): RouteHandler {
  const body = new TextEncoder().encode(config.body)
  const headers: [string, string][] = Object.entries(config.headers)
  if (!headers.some(([k]) => k.toLowerCase() === 'content-type')) headers.push(['content-type', 'application/json'])
  const noBody = config.statusCode === 204 || config.statusCode === 304
  return async function mockIntegration(req) {
    req.timings.integrationStatus = config.statusCode
    req.timings.integrationLatency = 0
    const h = new Headers(headers)
    h.set('content-length', String(noBody ? 0 : body.byteLength))
    return new Response(noBody || req.method === 'HEAD' ? null : body, { status: config.statusCode, headers: h })
  }
}
