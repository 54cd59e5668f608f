/**
 * HTTP_PROXY integration: the request goes to the backend URI ({proxy+} and stage variables
 * filled in, query string appended), bodies stream both ways, and the integration timeout
 * applies until the backend's response headers arrive.
 */
import type { CompiledApi, CompiledRoute } from '../../model/load.ts'
import type { HttpProxyIntegrationConfig } from '../../model/schema.ts'
import type { GatewayDeps } from '../../core/deps.ts'
import type { RouteHandler } from '../../core/feature.ts'
import { lastHeader, type GatewayRequest } from '../../core/request.ts'
import { GatewayError } from '../../core/errors.ts'
import { limitStream } from '../../core/body.ts'
import { substituteStageVariables, usesStageVariables } from '../../core/stage-variables.ts'
import { HOP_BY_HOP, integrationHeaders } from '../forwarded.ts'
import { addToHeaders, addToLowercaseRecord, gatewayHeaders, type GatewayHeaders } from '../../core/response-headers.ts'

/** Request headers the gateway sets itself for the backend connection. */
const DROP_REQUEST = new Set(['host', 'content-length'])
/** Backend response headers API Gateway renames rather than passes (x-amzn-Remapped-*). */
const REMAP_RESPONSE = new Set(['date', 'server'])

/** Builds the URL for one request; throws API_CONFIGURATION_ERROR when it is not a URL. */
export function targetUrl(uri: string, req: GatewayRequest): string {
  let url = uri
  if (usesStageVariables(uri)) {
    for (const m of uri.matchAll(/\$\{stageVariables\.([A-Za-z0-9_]+)\}/g)) {
      if (req.stage.variables[m[1]!] === undefined) {
        throw new GatewayError('API_CONFIGURATION_ERROR', { detail: `stage ${req.stage.name} has no variable "${m[1]}" for ${uri}` })
      }
    }
    url = substituteStageVariables(uri, req.stage.variables)
  }
  if (url.includes('{')) url = url.replace(/\{([A-Za-z0-9_]+)\+?\}/g, (_m, name: string) => req.pathParameters?.[name] ?? '')
  if (req.rawQueryString) url += (url.includes('?') ? '&' : '?') + req.rawQueryString
  return normalizedUrl(url)
}

// Parsing a URL costs more than the rest of targetUrl; clients repeat the same few.
const MAX_KNOWN_URLS = 1024
const knownUrls = new Map<string, string>()

/** The URL as WHATWG URL serialises it; API_CONFIGURATION_ERROR when it is not one. */
function normalizedUrl(url: string): string {
  let href = knownUrls.get(url)
  if (href !== undefined) return href
  try {
    href = new URL(url).href
  } catch {
    throw new GatewayError('API_CONFIGURATION_ERROR', { detail: `integration URI "${url}" is not a valid URL` })
  }
  if (knownUrls.size >= MAX_KNOWN_URLS) knownUrls.clear()
  knownUrls.set(url, href)
  return href
}

/** Creates the HTTP proxy handler of a route. */
export function createHttpProxyIntegration(route: CompiledRoute, _api: CompiledApi, deps: GatewayDeps): RouteHandler {
  const config = route.integration as HttpProxyIntegrationConfig & { timeoutMs: number }
  return async function httpProxyIntegration(req) {
    const url = targetUrl(config.uri, req)
    const method = config.method === 'ANY' ? req.method : config.method
    const limited = hasRequestBody(req, method) && req.request.body ? limitStream(req.request.body, req.maxPayloadBytes) : null
    const controller = new AbortController()
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      controller.abort()
    }, config.timeoutMs)
    const clientGone = () => controller.abort()
    req.request.signal?.addEventListener('abort', clientGone, { once: true })
    const started = deps.clock.now()
    let answer
    try {
      answer = await deps.httpClient.send({
        url,
        method,
        headers: integrationHeaders(req, DROP_REQUEST),
        body: limited?.stream ?? null,
        signal: controller.signal,
      })
    } catch (e) {
      if (limited?.exceeded()) throw new GatewayError('REQUEST_TOO_LARGE', { message: `HTTP content length exceeded ${req.maxPayloadBytes} bytes.` })
      if (timedOut) {
        throw new GatewayError('INTEGRATION_TIMEOUT', { detail: `${method} ${url}: no response within ${config.timeoutMs} ms` })
      }
      throw new GatewayError('INTEGRATION_FAILURE', { detail: `${method} ${url}: ${describe(e)}`, cause: e })
    } finally {
      clearTimeout(timer)
      req.request.signal?.removeEventListener('abort', clientGone)
    }
    req.timings.integrationLatency = deps.clock.now() - started
    req.timings.integrationStatus = answer.status

    const headers = responseHeaders(answer.headers, gatewayHeaders(req))
    const noBody = method === 'HEAD' || answer.status === 204 || answer.status === 304 || answer.status < 200
    if (noBody && answer.body instanceof ReadableStream) await answer.body.cancel().catch(() => {})
    return new Response(noBody ? null : (answer.body as BodyInit | null), { status: answer.status, headers })
  }
}

/**
 * The client's headers from the backend's: hop-by-hop headers go, Date and Server are renamed
 * (x-amzn-Remapped-*), and the gateway's own go in (`added`). Without repeated names this is
 * a plain record, which @hono/node-server writes without building a Headers object.
 */
function responseHeaders(pairs: [string, string][], added: GatewayHeaders | undefined): Record<string, string> | Headers {
  const record: Record<string, string> = {}
  for (const [name, value] of pairs) {
    const lower = name.toLowerCase()
    if (HOP_BY_HOP.has(lower)) continue
    const key = REMAP_RESPONSE.has(lower) ? `x-amzn-remapped-${lower}` : lower
    if (key in record) return headersOf(pairs, added)
    record[key] = value
  }
  if (added) addToLowercaseRecord(record, added)
  return record
}

/** responseHeaders() for answers with a repeated header (Set-Cookie): a Headers keeps each line. */
function headersOf(pairs: [string, string][], added: GatewayHeaders | undefined): Headers {
  const headers = new Headers()
  for (const [name, value] of pairs) {
    const lower = name.toLowerCase()
    if (HOP_BY_HOP.has(lower)) continue
    if (REMAP_RESPONSE.has(lower)) headers.append(`x-amzn-Remapped-${name}`, value)
    else headers.append(name, value)
  }
  if (added) addToHeaders(headers, added)
  return headers
}

/**
 * Whether to send a body: never for GET and HEAD; otherwise when the request declares one.
 * Checked on the headers first, since touching the body builds a whole Request on Node.
 */
function hasRequestBody(req: GatewayRequest, method: string): boolean {
  if (method === 'GET' || method === 'HEAD') return false
  const length = lastHeader(req, 'content-length')
  if (length !== undefined) return Number(length) > 0
  return lastHeader(req, 'transfer-encoding') !== undefined || req.request.body !== null
}

function describe(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string }; code?: string }
  return [err?.message, err?.code, err?.cause?.code, err?.cause?.message].filter(Boolean).join(': ') || String(e)
}

/** An HttpClient on the platform's fetch (Workers, Bun, and Node when no pool is given). */
export function fetchHttpClient(fetchImpl: typeof fetch = fetch): GatewayDeps['httpClient'] {
  return {
    async send(r) {
      const res = await fetchImpl(r.url, {
        method: r.method,
        headers: r.headers,
        body: r.body,
        signal: r.signal,
        redirect: 'manual',
        // Streaming request bodies need half duplex in Node and Bun.
        ...(r.body ? { duplex: 'half' } : {}),
      } as RequestInit)
      return { status: res.status, headers: [...res.headers], body: res.body }
    },
  }
}
