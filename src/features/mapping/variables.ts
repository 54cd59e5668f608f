/**
 * What templates see: `$input` (the body, JSONPath over it, the method request's parameters),
 * `$context` (built once per request from the GatewayRequest and shared by the request and
 * response templates, so overrides set in one reach the integration and the answer), `$util`
 * and `$stageVariables` (reference §8.1).
 */
import type { GatewayRequest } from '../../core/request.ts'
import { requestContextBase, requestIdentity } from '../../core/request.ts'
import { integrationHeaders } from '../../integrations/forwarded.ts'
import { groupQuery, LAMBDA_DROPPED_HEADERS, parseQueryString } from '../../integrations/lambda/event-v1.ts'
import { evaluatePath } from './jsonpath.ts'
import { vtlUtil } from './util.ts'
import { hostObject, javaString, jsonText, mapOf, parseJsonDocument, type VtlMap } from './values.ts'

/** Headers the method request parameters leave out (as the REST proxy event does). */
const DROPPED_HEADERS: ReadonlySet<string> = new Set([...LAMBDA_DROPPED_HEADERS, 'content-length'])

/** The per-request state templates share. */
export interface MappingScope {
  req: GatewayRequest
  /** `$context`, with requestOverride / responseOverride for the templates to fill. */
  context: VtlMap
  /** `$input.params()`: {path, querystring, header}, last values. */
  params: { path: VtlMap; querystring: VtlMap; header: VtlMap }
  /** Every value of each query string parameter and header, for multivalue mappings. */
  multi: { querystring: Map<string, string[]>; header: Map<string, { name: string; values: string[] }> }
}

/** Builds the scope of a request: its parameters and `$context`. */
export function mappingScope(req: GatewayRequest, accountId: string): MappingScope {
  const query = groupQuery(parseQueryString(req.rawQueryString))
  const headers = new Map<string, { name: string; values: string[] }>()
  for (const [name, value] of integrationHeaders(req, DROPPED_HEADERS)) {
    const lower = name.toLowerCase()
    const entry = headers.get(lower)
    if (entry) entry.values.push(value)
    else headers.set(lower, { name, values: [value] })
  }
  const params = {
    path: mapOf(Object.entries(req.pathParameters ?? {})),
    querystring: mapOf([...query].map(([k, values]) => [k, values[values.length - 1]!])),
    header: mapOf([...headers.values()].map((h) => [h.name, h.values[h.values.length - 1]!])),
  }
  return { req, context: buildContext(req, accountId), params, multi: { querystring: query, header: headers } }
}

function buildContext(req: GatewayRequest, accountId: string): VtlMap {
  const identity = mapOf(Object.entries(requestIdentity(req)))
  return mapOf(
    Object.entries({
      ...requestContextBase(req, accountId),
      authorizer: mapOf(Object.entries(req.authorizer ?? {})),
      awsEndpointRequestId: req.requestId,
      identity,
      path: req.stagePath,
      resourceId: req.route.resourceId,
      xrayTraceId: /Root=([^;]+)/.exec(req.traceId)?.[1] ?? req.traceId,
      requestOverride: mapOf([
        ['header', {}],
        ['path', {}],
        ['querystring', {}],
      ]),
      responseOverride: mapOf([['header', {}]]),
    }),
  )
}

/**
 * The variables of one rendering: `body` is the payload the template maps (the method
 * request's body on the request side, the integration's answer on the response side).
 */
export function templateVariables(scope: MappingScope, body: string): VtlMap {
  let root: unknown
  let parsed = false
  const document = () => {
    if (!parsed) {
      root = parseBody(body)
      parsed = true
    }
    return root
  }
  const input = hostObject({
    body,
    json: (path?: unknown) => jsonText(evaluatePath(document(), pathText(path))),
    path: (path?: unknown) => evaluatePath(document(), pathText(path)),
    params: (name?: unknown) => (name === undefined ? scope.params : lookupParam(scope, javaString(name))),
  })
  return {
    input,
    context: scope.context,
    util: vtlUtil(),
    stageVariables: mapOf(Object.entries(scope.req.stage.variables)),
  }
}

/**
 * The document JSONPath runs on: the body's JSON; an empty body is an empty object (AWS's
 * `$input.json('$')` gives `{}` for a GET); a body that is not JSON is the text itself.
 */
export function parseBody(body: string): unknown {
  if (body.trim() === '') return {}
  try {
    return parseJsonDocument(body)
  } catch {
    return body
  }
}

function pathText(path: unknown): string {
  return path === undefined || path === null ? '$' : javaString(path)
}

/** `$input.params('x')`: path, then query string, then header (headers case-insensitively). */
function lookupParam(scope: MappingScope, name: string): string {
  const { path, querystring } = scope.params
  if (Object.hasOwn(path, name)) return path[name] as string
  if (Object.hasOwn(querystring, name)) return querystring[name] as string
  const header = scope.multi.header.get(name.toLowerCase())
  // Not found: an empty string, which prints as nothing (as a missing value does).
  return header ? header.values[header.values.length - 1]! : ''
}
