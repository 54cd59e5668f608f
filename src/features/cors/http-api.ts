/**
 * HTTP API CORS (corsConfiguration, reference §3.4). Hono's `cors` middleware does what it
 * has in common with API Gateway: the 204 preflight answer with Allow-Origin / -Methods /
 * -Headers / -Credentials / Max-Age, and Allow-Origin / -Credentials / Expose-Headers on
 * other answers, with `Vary: Origin`.
 *
 * Written here, where API Gateway differs from the middleware:
 * - A preflight is an OPTIONS request with Origin and Access-Control-Request-Method (AWS's
 *   documented condition); any other OPTIONS request goes to the routes like other methods,
 *   where the middleware would answer every OPTIONS itself.
 * - An Origin that is not allowed gets no CORS headers at all (the middleware still sends
 *   Allow-Methods, Expose-Headers, ...); its preflight is a bare 204.
 * - Access-Control-* headers from the integration are dropped: AWS ignores them when CORS is
 *   configured.
 * - Origins `https://*` and `http://*` allow any origin of that scheme.
 * - With no allowHeaders configured, no Access-Control-Allow-Headers is sent (the middleware
 *   would echo whatever the browser asks for).
 * Gateway errors (401, 403, 404, 429, ...) get the headers too: API Gateway adds them to
 * every answer of an HTTP API with CORS (reported for authorizer refusals; not in its docs).
 */
import { Hono } from 'hono'
import { cors } from 'hono/cors'
import type { HttpCorsConfig } from '../../model/cors-schema.ts'

/** The CORS step of one HTTP API. */
export interface HttpApiCors {
  /**
   * Answers a preflight, or runs `next` (route selection, pipeline, errors rendered) and sets
   * the CORS headers of its answer.
   */
  handle(request: Request, next: () => Promise<Response>): Promise<Response>
}

type Env = { Bindings: { next: () => Promise<Response> } }

/** Builds the CORS step for an HTTP API's corsConfiguration (once, at gateway creation). */
export function httpApiCors(config: HttpCorsConfig): HttpApiCors {
  const anyOrigin = config.allowOrigins.includes('*')
  const schemes = config.allowOrigins.filter((o) => /^https?:\/\/\*$/.test(o)).map((o) => o.slice(0, -1))
  const exact = new Set(config.allowOrigins)
  const allowed = (origin: string) => anyOrigin || exact.has(origin) || schemes.some((s) => origin.startsWith(s))

  const app = new Hono<Env>()
  app.use(
    cors({
      // Only allowed origins reach the middleware (see handle).
      origin: anyOrigin ? '*' : (origin) => origin,
      allowMethods: config.allowMethods,
      allowHeaders: config.allowHeaders,
      exposeHeaders: config.exposeHeaders,
      maxAge: config.maxAge,
      credentials: config.allowCredentials,
    }),
  )
  app.all('*', (c) => c.env.next())
  // The gateway renders its own errors; nothing may be swallowed into Hono's default 500.
  app.onError((err) => {
    throw err
  })

  return {
    async handle(request, next) {
      const origin = request.headers.get('origin')
      const preflight = request.method === 'OPTIONS' && origin !== null && request.headers.has('access-control-request-method')
      if (origin === null || !allowed(origin)) {
        if (preflight) return new Response(null, { status: 204 })
        return withoutCorsHeaders(await next())
      }
      // The middleware answers every OPTIONS request itself: another OPTIONS request is shown
      // to it as a GET (only its headers are read; the pipeline serves the real request).
      const seen = request.method === 'OPTIONS' && !preflight ? new Request(request.url, { headers: request.headers }) : request
      const response = await app.fetch(seen, { next: async () => withoutCorsHeaders(await next()) })
      if (preflight && !config.allowHeaders.length && response.headers.has('access-control-allow-headers')) {
        response.headers.delete('access-control-allow-headers')
        dropVary(response.headers, 'Access-Control-Request-Headers')
      }
      return response
    },
  }
}

/** The integration's answer without its own Access-Control-* headers. */
function withoutCorsHeaders(response: Response): Response {
  const names = [...response.headers.keys()].filter((name) => name.startsWith('access-control-'))
  if (!names.length) return response
  let res = response
  try {
    for (const name of names) res.headers.delete(name)
  } catch {
    // Responses from fetch() have immutable headers on Workers; copy before changing them.
    res = new Response(response.body, response)
    for (const name of names) res.headers.delete(name)
  }
  return res
}

function dropVary(headers: Headers, value: string) {
  const kept = (headers.get('vary') ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v && v.toLowerCase() !== value.toLowerCase())
  if (kept.length) headers.set('vary', kept.join(', '))
  else headers.delete('vary')
}
