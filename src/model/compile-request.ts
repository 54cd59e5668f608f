/**
 * Load-time compilation of REST request validation: a route's validator, declared request
 * parameters and body models are checked against its API (the validator and models exist,
 * path parameters are the route's own, model references resolve) and kept in the compiled
 * route in the order they were declared.
 */
import type { ConfigIssue } from './load.ts'
import { BUILTIN_MODELS, prepareModels } from './models.ts'
import { REQUEST_PARAMETER, type ModelConfig, type RequestValidatorConfig } from './validation-schema.ts'

/** One declared request parameter: `method.request.querystring.q` → {in: 'querystring', name: 'q'}. */
export interface RequestParameter {
  in: 'querystring' | 'header' | 'path'
  name: string
  required: boolean
}

/** A route's request validation, as declared. */
export interface CompiledRequestValidation {
  /** The validator checking this route, with its name; undefined when none is attached. */
  validator?: { name: string } & RequestValidatorConfig
  /** Query string and header parameters, in declaration order (path parameters are the template's). */
  parameters: RequestParameter[]
  /** Body model name by content type (`$default` for any other). */
  models: Record<string, string>
}

type At = (...path: (string | number)[]) => (string | number)[]

interface RouteRequestInput {
  requestValidator?: string
  requestParameters?: Record<string, boolean>
  requestModels?: Record<string, string>
}

/** Checks an API's models; problems become issues at `models.<name>...`. */
export function checkModels(apiId: string, models: Record<string, ModelConfig>, issues: ConfigIssue[], at: At): void {
  const { problems } = prepareModels(apiId, models)
  for (const p of problems) issues.push({ path: at('models', p.model, ...p.path), message: p.message })
}

/**
 * Compiles a route's validation declarations. `paramNames` are the route template's path
 * parameters; `restApi` is false for HTTP APIs, which have no request validation on AWS.
 */
export function compileRouteRequest(
  route: RouteRequestInput,
  api: { type: string; models: Record<string, ModelConfig>; requestValidators: Record<string, RequestValidatorConfig> },
  paramNames: string[],
  issues: ConfigIssue[],
  path: At,
): CompiledRequestValidation {
  const out: CompiledRequestValidation = { parameters: [], models: {} }
  if (api.type !== 'REST') {
    for (const key of ['requestValidator', 'requestParameters', 'requestModels'] as const) {
      if (route[key] !== undefined) issues.push({ path: path(key), message: 'request validation exists on REST APIs only (as on AWS)' })
    }
    return out
  }
  if (route.requestValidator !== undefined) {
    const validator = api.requestValidators[route.requestValidator]
    if (!validator) {
      const known = Object.keys(api.requestValidators)
      issues.push({
        path: path('requestValidator'),
        message: `no request validator "${route.requestValidator}" in this API's requestValidators${known.length ? ` (known: ${known.join(', ')})` : ''}`,
      })
    } else out.validator = { name: route.requestValidator, ...validator }
  }
  for (const [key, required] of Object.entries(route.requestParameters ?? {})) {
    const m = REQUEST_PARAMETER.exec(key)!
    const where = m[1] as RequestParameter['in']
    const name = m[2]!
    if (where === 'path') {
      // A route only matches with all its path parameters, so they cannot be missing.
      if (!paramNames.includes(name)) issues.push({ path: path('requestParameters', key), message: `{${name}} is not a path parameter of this route` })
      continue
    }
    out.parameters.push({ in: where, name, required })
  }
  for (const [contentType, model] of Object.entries(route.requestModels ?? {})) {
    if (!(model in api.models) && !(model in BUILTIN_MODELS)) {
      const known = [...new Set([...Object.keys(api.models), ...Object.keys(BUILTIN_MODELS)])]
      issues.push({ path: path('requestModels', contentType), message: `no model "${model}" in this API's models (known: ${known.join(', ')})` })
      continue
    }
    out.models[contentType.toLowerCase()] = model
  }
  return out
}
