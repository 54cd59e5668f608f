/**
 * HTTP custom (non-proxy) integration (HTTP, reference §8): the backend gets the request
 * template's output (or the body passed through) and only the mapped query string, headers
 * and path values; its answer goes through the integration response whose selection pattern
 * matches its status code ("200", "404", ...), else the default one.
 *
 * Headers sent besides the mapped ones: Content-Type of the integration body, X-Amzn-Trace-Id
 * and `User-Agent: AmazonAPIGateway_<apiId>` (what backends of API Gateway report seeing;
 * unconfirmed in AWS's documentation). A mapping of the same name wins.
 */
import type { CompiledApi, CompiledRoute, GatewayModel } from '../../model/load.ts'
import type { HttpCustomIntegrationConfig } from '../../model/schema.ts'
import type { GatewayDeps, OutboundResponse } from '../../core/deps.ts'
import type { RouteHandler } from '../../core/feature.ts'
import type { GatewayRequest } from '../../core/request.ts'
import { GatewayError } from '../../core/errors.ts'
import { concatBytes, readBody, readUpTo } from '../../core/body.ts'
import { substituteStageVariables } from '../../core/stage-variables.ts'
import { mappingScope, mapRequestBody, mapRequestParameters, mapResponse, selectResponse, type MappedParameters } from '../../features/mapping/index.ts'
import { urlEncode } from '../../features/mapping/util.ts'
import { utf8Decode, utf8Encode } from '../lambda/body-encoding.ts'
import { HOP_BY_HOP } from '../forwarded.ts'

/** Creates the HTTP custom handler of a route (its mapping compiled by loadModel). */
export function createHttpCustomIntegration(route: CompiledRoute, api: CompiledApi, model: GatewayModel, deps: GatewayDeps): RouteHandler {
  const mapping = route.mapping!
  const config = route.integration as HttpCustomIntegrationConfig & { timeoutMs: number }
  const accountId = model.settings.accountId

  return async function httpCustomIntegration(req) {
    const scope = mappingScope(req, accountId)
    const body = await readBody(req)
    const mapped = mapRequestBody(mapping, scope, body)
    const params = mapRequestParameters(mapping, scope, body ? utf8Decode(body) : '')
    const url = backendUrl(config.uri, req, params)
    const method = config.method === 'ANY' ? req.method : config.method
    const payload = method === 'GET' || method === 'HEAD' ? null : mapped.kind === 'template' ? utf8Encode(mapped.text) : mapped.bytes
    const headers = outboundHeaders(params, payload ? mapped.contentType : undefined, req, api.id)

    const started = deps.clock.now()
    const answer = await send(deps, { url, method, headers, body: payload, timeoutMs: config.timeoutMs, signal: req.request.signal })
    const bytes = await readAnswer(answer, req.maxPayloadBytes, `${method} ${url}`)
    req.timings.integrationLatency = deps.clock.now() - started
    req.timings.integrationStatus = answer.status

    const subject = String(answer.status)
    const responseHeaders = answer.headers.filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase()))
    const contentType = responseHeaders.find(([k]) => k.toLowerCase() === 'content-type')?.[1]
    return mapResponse(scope, selectResponse(mapping, subject), { headers: responseHeaders, body: utf8Decode(bytes), bytes, contentType }, subject)
  }
}

/** The backend URL: stage variables, {x} from the mapped path values, the mapped query string. */
function backendUrl(uri: string, req: GatewayRequest, params: MappedParameters): string {
  for (const m of uri.matchAll(/\$\{stageVariables\.([A-Za-z0-9_]+)\}/g)) {
    if (req.stage.variables[m[1]!] === undefined) {
      throw new GatewayError('API_CONFIGURATION_ERROR', { detail: `stage ${req.stage.name} has no variable "${m[1]}" for ${uri}` })
    }
  }
  let url = substituteStageVariables(uri, req.stage.variables)
  url = url.replace(/\{([A-Za-z0-9_]+)\+?\}/g, (_m, name: string) => params.path[name] ?? req.pathParameters?.[name] ?? '')
  if (params.query.length) {
    const query = params.query.map(([k, v]) => `${urlEncode(k)}=${urlEncode(v)}`).join('&')
    url += (url.includes('?') ? '&' : '?') + query
  }
  try {
    return new URL(url).href
  } catch {
    throw new GatewayError('API_CONFIGURATION_ERROR', { detail: `integration URI "${url}" is not a valid URL` })
  }
}

function outboundHeaders(params: MappedParameters, contentType: string | undefined, req: GatewayRequest, apiId: string): [string, string][] {
  const mappedNames = new Set(params.headers.map(([k]) => k.toLowerCase()))
  const out: [string, string][] = []
  if (contentType && !mappedNames.has('content-type')) out.push(['Content-Type', contentType])
  if (!mappedNames.has('user-agent')) out.push(['User-Agent', `AmazonAPIGateway_${apiId}`])
  if (!mappedNames.has('x-amzn-trace-id')) out.push(['X-Amzn-Trace-Id', req.traceId])
  // The connection is the gateway's own; a mapping cannot set its framing headers.
  for (const [k, v] of params.headers) if (!HOP_BY_HOP.has(k.toLowerCase()) && k.toLowerCase() !== 'content-length' && k.toLowerCase() !== 'host') out.push([k, v])
  return out
}

async function send(
  deps: GatewayDeps,
  r: { url: string; method: string; headers: [string, string][]; body: Uint8Array | null; timeoutMs: number; signal?: AbortSignal },
): Promise<OutboundResponse> {
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, r.timeoutMs)
  const clientGone = () => controller.abort()
  r.signal?.addEventListener('abort', clientGone, { once: true })
  const body = r.body
    ? new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(r.body!)
          c.close()
        },
      })
    : null
  try {
    return await deps.httpClient.send({ url: r.url, method: r.method, headers: r.headers, body, signal: controller.signal })
  } catch (e) {
    if (timedOut) throw new GatewayError('INTEGRATION_TIMEOUT', { detail: `${r.method} ${r.url}: no response within ${r.timeoutMs} ms` })
    throw new GatewayError('INTEGRATION_FAILURE', { detail: `${r.method} ${r.url}: ${(e as Error)?.message ?? String(e)}`, cause: e })
  } finally {
    clearTimeout(timer)
    r.signal?.removeEventListener('abort', clientGone)
  }
}

/** The whole answer body (templates and selection need it), up to the payload limit. */
async function readAnswer(answer: OutboundResponse, max: number, what: string): Promise<Uint8Array> {
  if (answer.body === null) return new Uint8Array(0)
  if (answer.body instanceof Uint8Array) return answer.body
  const chunks: Uint8Array[] = []
  const reader = answer.body.getReader()
  if (!(await readUpTo(reader, max, chunks))) {
    await reader.cancel().catch(() => {})
    throw new GatewayError('API_CONFIGURATION_ERROR', { detail: `${what}: the answer is larger than ${max} bytes` })
  }
  return concatBytes(chunks)
}
