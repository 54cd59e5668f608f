/**
 * CORS (reference §3.4), as each API type does it:
 * - REST: a preflight is an ordinary request to an OPTIONS route (the loader creates one, a
 *   mock, for routes with `cors`); without one it gets 403 Missing Authentication Token, and
 *   other answers carry CORS headers only when the integration or a gateway response sets
 *   them. The only runtime work is `restCorsFeature`: the Serverless Framework's several
 *   `origins`, which on AWS are a response template that echoes a matching Origin.
 * - HTTP APIs: `httpApiCors` (http-api.ts), called by the gateway before route selection.
 */
import type { Feature, RouteStep } from '../../core/feature.ts'
import { lastHeader } from '../../core/request.ts'
import { originMatches } from '../../model/compile-cors.ts'

export { httpApiCors, type HttpApiCors } from './http-api.ts'

/**
 * OPTIONS routes made from `cors` with `origins`: the answer's Access-Control-Allow-Origin is
 * the request's Origin when it matches one of them (else the static first origin stays), as
 * the framework's template `#set($context.responseOverride.header.Access-Control-Allow-Origin
 * = $origin)` does.
 */
export const restCorsFeature: Feature = {
  name: 'cors',
  // Innermost: it edits the mock's answer.
  priority: 50,

  create({ route, api }): RouteStep | undefined {
    const origins = route.corsOrigins
    if (api.type !== 'REST' || !origins?.length) return undefined
    return async (req, next) => {
      const response = await next()
      const origin = lastHeader(req, 'origin')
      if (origin && originMatches(origins, origin)) response.headers.set('Access-Control-Allow-Origin', origin)
      return response
    }
  },
}
