/**
 * REST request validation (reference §7.1): a route's request validator checks, after
 * authorization, the API key and throttling and before the cache and the integration:
 * 1. with validateRequestParameters, that every required query string parameter and header is
 *    present and not blank: 400 BAD_REQUEST_PARAMETERS
 *    `{"message": "Missing required request parameters: [a, b]"}`, names in declaration order
 *    (path parameters cannot be missing: the route would not have matched);
 * 2. with validateRequestBody, that the body matches the model for its Content-Type (or the
 *    `$default` model): 400 BAD_REQUEST_BODY `{"message": "Invalid request body"}`, whatever
 *    failed (schema, invalid JSON). A Content-Type without a model is not checked, as AWS
 *    documents.
 * The findings are `$context.error.validationErrorString` (gateway response templates, access
 * log), `[...]` around them as on AWS; the wording is the validator's, not AWS's Java one.
 *
 * Choices where AWS is unconfirmed:
 * - A request without Content-Type is checked as application/json (API Gateway's assumption
 *   for mapping templates).
 * - An empty body is checked as `{}` (LocalStack's reading), so a model with required
 *   properties refuses it and `{"type": "object"}` accepts it.
 * - A parameter given several times counts as present when its last value is not blank (the
 *   last value is what the single-value maps of the event carry).
 */
import type { Feature, RouteStep } from '../../core/feature.ts'
import { GatewayError } from '../../core/errors.ts'
import { lastHeader, type GatewayRequest } from '../../core/request.ts'
import { readBody } from '../../core/body.ts'
import { parseQueryString } from '../../integrations/lambda/event-v1.ts'
import type { RequestParameter } from '../../model/compile-request.ts'
import { modelCheck, prepareModels, type ModelCheck } from '../../model/models.ts'

/** Request validation: after usage plans (900), before the cache (100). */
export const validateFeature: Feature = {
  name: 'validate',
  priority: 500,

  create({ route, api }): RouteStep | undefined {
    const validator = route.request.validator
    if (api.type !== 'REST' || !validator) return undefined
    const required = validator.validateRequestParameters ? route.request.parameters.filter((p) => p.required) : []
    const checks = new Map<string, ModelCheck>()
    if (validator.validateRequestBody) {
      // The loader reported model problems; a model that still fails here is not used.
      const { set } = prepareModels(api.id, api.models)
      for (const [contentType, model] of Object.entries(route.request.models)) checks.set(contentType, modelCheck(set, model))
    }
    if (!required.length && !checks.size) return undefined

    return async (req, next) => {
      if (required.length) {
        const missing = missingParameters(req, required)
        if (missing.length) {
          const message = `Missing required request parameters: [${missing.join(', ')}]`
          throw new GatewayError('BAD_REQUEST_PARAMETERS', {
            message,
            body: `{"message": ${JSON.stringify(message)}}`,
            validationErrorString: message,
            detail: message,
          })
        }
      }
      if (checks.size) {
        const check = checks.get(mediaType(lastHeader(req, 'content-type'))) ?? checks.get('$default')
        if (check) {
          const errors = await checkBody(req, check)
          if (errors.length) {
            const found = `[${errors.join(', ')}]`
            throw new GatewayError('BAD_REQUEST_BODY', { validationErrorString: found, detail: `request body does not match its model: ${found}` })
          }
        }
      }
      return next()
    }
  },
}

/** The required parameters the request lacks or sends blank, in declaration order. */
function missingParameters(req: GatewayRequest, required: RequestParameter[]): string[] {
  let query: Map<string, string> | undefined
  const missing: string[] = []
  for (const param of required) {
    let value: string | undefined
    if (param.in === 'header') value = lastHeader(req, param.name)
    else if (param.in === 'querystring') {
      query ??= new Map(parseQueryString(req.rawQueryString))
      value = query.get(param.name)
    } else continue
    if (value === undefined || value.trim() === '') missing.push(param.name)
  }
  return missing
}

/** `application/json; charset=utf-8` → `application/json`; absent → `application/json`. */
function mediaType(contentType: string | undefined): string {
  const type = contentType?.split(';')[0]!.trim().toLowerCase()
  return type || 'application/json'
}

/** Reads the body from a clone (the integration reads the original) and checks it. */
async function checkBody(req: GatewayRequest, check: ModelCheck): Promise<string[]> {
  const bytes = req.request.body === null ? null : await readBody({ ...req, request: req.request.clone() })
  let value: unknown = {}
  if (bytes && bytes.byteLength) {
    let text: string
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
    } catch {
      return ['the body is not UTF-8 text']
    }
    if (text.trim() !== '') {
      try {
        value = JSON.parse(text)
      } catch (e) {
        return [`the body is not valid JSON: ${(e as Error).message}`]
      }
    }
  }
  try {
    return await check(value)
  } catch (e) {
    // A schema the validator could not follow: the API's configuration is at fault, not the client.
    throw new GatewayError('API_CONFIGURATION_ERROR', { detail: `body model check failed: ${String(e)}`, cause: e })
  }
}
