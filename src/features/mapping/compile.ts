/**
 * A route's mapping, compiled once at load time: templates parsed, selection patterns and
 * parameter expressions checked. Every problem is reported with the path of the field at
 * fault, so a template that does not parse is a config error naming its route and template.
 */
import { MappingError } from './errors.ts'
import { javaRegex } from './java.ts'
import { parseSource, type ValueSource } from './parameters.ts'
import { compileTemplate, type CompiledTemplate } from './vtl.ts'

export type PassthroughBehavior = 'WHEN_NO_MATCH' | 'WHEN_NO_TEMPLATES' | 'NEVER'

/** An integration response, ready to select and apply. */
export interface CompiledResponse {
  /** Whole-string selection pattern; undefined for the default response. */
  pattern?: RegExp
  statusCode: number
  /** Response templates by lowercased media type, in configured order. */
  templates: [string, CompiledTemplate][]
  /** Method response headers and where their values come from. */
  headers: [string, ValueSource][]
}

/** A mapped integration request parameter. */
export interface CompiledRequestParameter {
  in: 'header' | 'querystring' | 'path'
  name: string
  /** Several values (multivalueheader / multivaluequerystring targets). */
  multi: boolean
  source: ValueSource
}

/** What a non-proxy route maps, compiled. */
export interface CompiledMapping {
  /** Request templates by lowercased media type. */
  templates: Map<string, CompiledTemplate>
  passthrough: PassthroughBehavior
  parameters: CompiledRequestParameter[]
  responses: CompiledResponse[]
}

/** The mapping fields an integration may have, as the model gives them. */
export interface MappingConfig {
  requestTemplates?: Record<string, string>
  passthroughBehavior?: PassthroughBehavior
  requestParameters?: Record<string, string>
  responses?: { selectionPattern?: string; statusCode: number; responseTemplates: Record<string, string>; responseParameters: Record<string, string> }[]
}

/**
 * Compiles the mapping of an integration. `report` receives each problem with the path of its
 * field relative to the integration; the result is only meaningful when none was reported.
 */
export function compileMapping(config: MappingConfig, report: (path: (string | number)[], message: string) => void): CompiledMapping {
  const templates = new Map<string, CompiledTemplate>()
  for (const [type, source] of Object.entries(config.requestTemplates ?? {})) {
    const key = type.toLowerCase()
    if (templates.has(key)) report(['requestTemplates', type], `a second template for ${key}`)
    const t = template(source, ['requestTemplates', type], report)
    if (t) templates.set(key, t)
  }

  const parameters: CompiledRequestParameter[] = []
  for (const [target, expression] of Object.entries(config.requestParameters ?? {})) {
    const m = /^integration\.request\.(header|querystring|path|multivalueheader|multivaluequerystring)\.(.+)$/.exec(target)!
    try {
      const source = parseSource(expression, 'request')
      const place = m[1]!.replace('multivalue', '') as CompiledRequestParameter['in']
      parameters.push({ in: place, name: m[2]!, multi: m[1]!.startsWith('multivalue'), source })
    } catch (e) {
      report(['requestParameters', target], (e as Error).message)
    }
  }

  const responses: CompiledResponse[] = []
  let defaultAt: number | undefined
  const patterns = new Map<string, number>()
  ;(config.responses ?? []).forEach((r, i) => {
    const at = (...p: (string | number)[]) => ['responses', i, ...p]
    let pattern: RegExp | undefined
    if (r.selectionPattern === undefined || r.selectionPattern === '') {
      if (defaultAt !== undefined) report(at('selectionPattern'), `responses[${defaultAt}] is already the default response (no selectionPattern)`)
      defaultAt = i
    } else {
      const prior = patterns.get(r.selectionPattern)
      if (prior !== undefined) report(at('selectionPattern'), `the same selectionPattern as responses[${prior}]`)
      patterns.set(r.selectionPattern, i)
      try {
        pattern = javaRegex(`^(?:${r.selectionPattern})$`, '')
      } catch (e) {
        report(at('selectionPattern'), (e as Error).message)
      }
    }
    const compiled: CompiledResponse = { pattern, statusCode: r.statusCode, templates: [], headers: [] }
    const seen = new Set<string>()
    for (const [type, source] of Object.entries(r.responseTemplates)) {
      const key = type.toLowerCase()
      if (seen.has(key)) report(at('responseTemplates', type), `a second template for ${key}`)
      seen.add(key)
      const t = template(source, at('responseTemplates', type), report)
      if (t) compiled.templates.push([key, t])
    }
    for (const [param, expression] of Object.entries(r.responseParameters)) {
      try {
        compiled.headers.push([param.slice('method.response.header.'.length), parseSource(expression, 'response')])
      } catch (e) {
        report(at('responseParameters', param), (e as Error).message)
      }
    }
    responses.push(compiled)
  })

  return { templates, passthrough: config.passthroughBehavior ?? 'WHEN_NO_MATCH', parameters, responses }
}

function template(source: string, path: (string | number)[], report: (path: (string | number)[], message: string) => void): CompiledTemplate | undefined {
  try {
    return compileTemplate(source)
  } catch (e) {
    report(path, e instanceof MappingError ? e.message : String(e))
    return undefined
  }
}
