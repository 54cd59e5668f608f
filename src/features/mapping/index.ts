/**
 * Request and response mapping of REST non-proxy integrations (reference §8.2, §8.3), used by
 * the lambda_custom, http and templated mock integrations:
 * - request: the template is chosen by the request's Content-Type (application/json when
 *   absent); without one, passthroughBehavior passes the body through or answers 415;
 * - response: the integration response is selected by its pattern (against a Lambda error's
 *   message or a status code), its template by the request's Accept; its parameters set the
 *   method response's headers; `$context.responseOverride` has the last word.
 * Rendering failures are API_CONFIGURATION_ERROR (500, no detail to the client).
 */
import { GatewayError } from '../../core/errors.ts'
import { lastHeader } from '../../core/request.ts'
import { mediaTypeEssence, utf8Decode, utf8Encode } from '../../integrations/lambda/body-encoding.ts'
import type { CompiledMapping, CompiledResponse } from './compile.ts'
import { resolveSource, type IntegrationAnswer } from './parameters.ts'
import { templateVariables, type MappingScope } from './variables.ts'
import { isMap, javaString } from './values.ts'
import { renderTemplate, type CompiledTemplate } from './vtl.ts'

export { compileMapping, type CompiledMapping, type MappingConfig } from './compile.ts'
export { mappingScope, type MappingScope } from './variables.ts'
export type { IntegrationAnswer } from './parameters.ts'

/** The integration request body: a rendered template, or the method request's body as is. */
export type MappedBody =
  | { kind: 'template'; text: string; contentType: string }
  | { kind: 'passthrough'; bytes: Uint8Array | null; contentType: string }

/**
 * Maps the request body: renders the template for its Content-Type, or passes the body
 * through when passthroughBehavior allows it; otherwise 415 UNSUPPORTED_MEDIA_TYPE.
 */
export function mapRequestBody(mapping: CompiledMapping, scope: MappingScope, body: Uint8Array | null): MappedBody {
  const declared = lastHeader(scope.req, 'content-type')
  const contentType = (declared && mediaTypeEssence(declared)) || 'application/json'
  const template = mapping.templates.get(contentType)
  if (template) {
    const text = render(template, scope, body ? utf8Decode(body) : '', 'request template for ' + contentType)
    return { kind: 'template', text, contentType }
  }
  const passes = mapping.passthrough === 'WHEN_NO_MATCH' || (mapping.passthrough === 'WHEN_NO_TEMPLATES' && mapping.templates.size === 0)
  if (!passes) {
    throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', { detail: `no request template for ${contentType} (passthroughBehavior ${mapping.passthrough})` })
  }
  return { kind: 'passthrough', bytes: body, contentType: declared ?? 'application/json' }
}

/** Integration request parameters: headers, query string and path values, after overrides. */
export interface MappedParameters {
  headers: [string, string][]
  query: [string, string][]
  path: Record<string, string>
}

/**
 * Resolves the integration request parameters, then applies `$context.requestOverride`
 * (which the request template may have set).
 */
export function mapRequestParameters(mapping: CompiledMapping, scope: MappingScope, requestBody: string): MappedParameters {
  const out: MappedParameters = { headers: [], query: [], path: {} }
  for (const p of mapping.parameters) {
    const value = resolveSource(p.source, scope, undefined, requestBody)
    if (value === undefined) continue
    const values = Array.isArray(value) ? (p.multi ? value : [value.join(',')]) : [value]
    if (p.in === 'path') out.path[p.name] = values.join(',')
    else if (p.in === 'querystring') for (const v of values) out.query.push([p.name, v])
    else for (const v of values) out.headers.push([p.name, v])
  }
  const override = scope.context.requestOverride
  if (isMap(override)) {
    for (const [name, value] of overrides(override.header)) {
      out.headers = out.headers.filter(([k]) => k.toLowerCase() !== name.toLowerCase())
      out.headers.push([name, value])
    }
    for (const [name, value] of overrides(override.querystring)) {
      out.query = out.query.filter(([k]) => k !== name)
      out.query.push([name, value])
    }
    for (const [name, value] of overrides(override.path)) out.path[name] = value
  }
  return out
}

function overrides(map: unknown): [string, string][] {
  if (!isMap(map)) return []
  return Object.entries(map)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => [k, javaString(v)])
}

/**
 * The integration response that answers: the first whose pattern matches `subject` (a Lambda
 * error's message, "" for a success, or a status code), else the default one.
 */
export function selectResponse(mapping: CompiledMapping, subject: string): CompiledResponse | undefined {
  let fallback: CompiledResponse | undefined
  for (const r of mapping.responses) {
    if (!r.pattern) fallback ??= r
    else if (r.pattern.test(subject)) return r
  }
  return fallback
}

/**
 * The response template for the request's Accept: an exact match on its first media type,
 * else application/json, else the first template (reference §8.3).
 */
export function chooseResponseTemplate(response: CompiledResponse, accept: string | undefined): [string, CompiledTemplate] | undefined {
  if (!response.templates.length) return undefined
  const wanted = accept ? mediaTypeEssence(accept.split(',')[0] ?? '') : ''
  return (
    response.templates.find(([type]) => type === wanted) ??
    response.templates.find(([type]) => type === 'application/json') ??
    response.templates[0]
  )
}

/**
 * Builds the method response from the integration's answer and the selected integration
 * response; none selected (no match, no default) is API_CONFIGURATION_ERROR.
 */
export function mapResponse(
  scope: MappingScope,
  selected: CompiledResponse | undefined,
  answer: IntegrationAnswer & { bytes?: Uint8Array; contentType?: string },
  subject: string,
): Response {
  if (!selected) {
    throw new GatewayError('API_CONFIGURATION_ERROR', { detail: `no integration response matches ${JSON.stringify(subject)} and there is no default response` })
  }
  const req = scope.req
  const chosen = chooseResponseTemplate(selected, lastHeader(req, 'accept'))
  let body: Uint8Array
  let contentType: string
  if (chosen) {
    body = utf8Encode(render(chosen[1], scope, answer.body, 'response template for ' + chosen[0]))
    contentType = chosen[0]
  } else {
    body = answer.bytes ?? utf8Encode(answer.body)
    contentType = answer.contentType ?? 'application/json'
  }
  const headers = new Headers({ 'content-type': contentType })
  for (const [name, source] of selected.headers) {
    const value = resolveSource(source, scope, answer)
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(',') : value)
  }
  let status = selected.statusCode
  const override = scope.context.responseOverride
  if (isMap(override)) {
    for (const [name, value] of overrides(override.header)) headers.set(name, value)
    // An override status that is not an integer from 100 to 599 is ignored (reference §8.1).
    const s = typeof override.status === 'string' && /^\d+$/.test(override.status) ? Number(override.status) : override.status
    if (typeof s === 'number' && Number.isInteger(s) && s >= 100 && s <= 599) status = s
  }
  const noBody = status === 204 || status === 304 || status < 200
  headers.set('content-length', String(noBody ? 0 : body.byteLength))
  return new Response(noBody || req.method === 'HEAD' ? null : (body as Uint8Array<ArrayBuffer>), { status, headers })
}

function render(template: CompiledTemplate, scope: MappingScope, body: string, what: string): string {
  try {
    return renderTemplate(template, templateVariables(scope, body))
  } catch (e) {
    throw new GatewayError('API_CONFIGURATION_ERROR', { detail: `${what} of ${scope.req.route.routeKey}: ${(e as Error).message}`, cause: e })
  }
}
