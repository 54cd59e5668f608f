/**
 * Parameter mapping expressions of REST non-proxy integrations: where an integration request
 * parameter or a method response header takes its value from (reference §8.3). Parsed at load
 * time; resolved per request. A source that resolves to nothing leaves the parameter out.
 */
import { MappingError } from './errors.ts'
import { compilePath, evaluatePath } from './jsonpath.ts'
import type { MappingScope } from './variables.ts'
import { parseBody } from './variables.ts'
import { isMap, javaString, type VtlMap } from './values.ts'

/** Where a value comes from. */
export type ValueSource =
  | { kind: 'static'; value: string }
  | { kind: 'request'; in: 'path' | 'querystring' | 'header'; name: string; multi: boolean }
  | { kind: 'request-body'; path: string | null }
  | { kind: 'response-header'; name: string; multi: boolean }
  | { kind: 'response-body'; path: string | null }
  | { kind: 'context'; keys: string[] }
  | { kind: 'stage-variable'; name: string }

/** What a source is resolved against besides the request: the integration's answer. */
export interface IntegrationAnswer {
  headers: [string, string][]
  body: string
}

/**
 * Parses a mapping expression. `side` says which sources exist: request parameters read the
 * method request, response parameters the integration response. Throws MappingError.
 */
export function parseSource(expression: string, side: 'request' | 'response'): ValueSource {
  const quoted = /^'(.*)'$/s.exec(expression)
  if (quoted) return { kind: 'static', value: quoted[1]! }
  const ctx = /^context\.([A-Za-z0-9_.-]+)$/.exec(expression)
  if (ctx) return { kind: 'context', keys: ctx[1]!.split('.') }
  const sv = /^stageVariables\.([A-Za-z0-9_]+)$/.exec(expression)
  if (sv) return { kind: 'stage-variable', name: sv[1]! }
  if (side === 'request') {
    const m = /^method\.request\.(path|querystring|header|multivaluequerystring|multivalueheader)\.(.+)$/.exec(expression)
    if (m) {
      const multi = m[1]!.startsWith('multivalue')
      return { kind: 'request', in: m[1]!.replace('multivalue', '') as 'path' | 'querystring' | 'header', name: m[2]!, multi }
    }
    const body = /^method\.request\.body(?:\.(.+))?$/.exec(expression)
    if (body) return { kind: 'request-body', path: bodyPath(body[1]) }
    throw new MappingError(
      `${JSON.stringify(expression)} is not a request parameter source: method.request.{path,querystring,header,multivaluequerystring,multivalueheader}.X, method.request.body[.a.b], context.X, stageVariables.X or 'static'`,
    )
  }
  const header = /^integration\.response\.(header|multivalueheader)\.(.+)$/.exec(expression)
  if (header) return { kind: 'response-header', name: header[2]!.toLowerCase(), multi: header[1] === 'multivalueheader' }
  const body = /^integration\.response\.body(?:\.(.+))?$/.exec(expression)
  if (body) return { kind: 'response-body', path: bodyPath(body[1]) }
  throw new MappingError(
    `${JSON.stringify(expression)} is not a response parameter source: integration.response.header.X, integration.response.multivalueheader.X, integration.response.body[.a.b], context.X, stageVariables.X or 'static'`,
  )
}

/** `a.b[0]` → `$.a.b[0]`, checked now so a bad path is a load-time error. */
function bodyPath(rest: string | undefined): string | null {
  if (rest === undefined) return null
  const path = '$.' + rest
  compilePath(path)
  return path
}

/** The value of a source, or undefined when there is none (the parameter is then left out). */
export function resolveSource(source: ValueSource, scope: MappingScope, answer?: IntegrationAnswer, requestBody?: string): string | string[] | undefined {
  switch (source.kind) {
    case 'static':
      return source.value
    case 'stage-variable':
      return scope.req.stage.variables[source.name]
    case 'context': {
      let value: unknown = scope.context
      for (const key of source.keys) {
        if (!isMap(value)) return undefined
        value = (value as VtlMap)[key]
      }
      return value === null || value === undefined ? undefined : javaString(value)
    }
    case 'request': {
      if (source.in === 'path') {
        const v = scope.params.path[source.name]
        return typeof v === 'string' ? v : undefined
      }
      if (source.in === 'querystring') {
        const values = scope.multi.querystring.get(source.name)
        if (!values) return undefined
        return source.multi ? values : values[values.length - 1]
      }
      const header = scope.multi.header.get(source.name.toLowerCase())
      if (!header) return undefined
      return source.multi ? header.values : header.values[header.values.length - 1]
    }
    case 'request-body':
      return bodyValue(requestBody ?? '', source.path)
    case 'response-header': {
      const values = (answer?.headers ?? []).filter(([k]) => k.toLowerCase() === source.name).map(([, v]) => v)
      if (!values.length) return undefined
      return source.multi ? values.join(',') : values[values.length - 1]
    }
    case 'response-body':
      return bodyValue(answer?.body ?? '', source.path)
  }
}

/** The body, or a JSONPath value in it: strings as they are, other JSON as JSON text. */
function bodyValue(body: string, path: string | null): string | undefined {
  if (path === null) return body
  const value = evaluatePath(parseBody(body), path)
  if (value === null || value === undefined) return undefined
  return typeof value === 'string' ? value : JSON.stringify(value)
}
