/**
 * REST request validation in the gateway model, in API Gateway's terms (reference §7.1): an
 * API's models (JSON Schema draft 4) and request validators; a route's validator, its
 * declared request parameters (`method.request.querystring.q: true` = required) and its body
 * model per content type. A TypeScript config may give a model as a zod schema (any Standard
 * Schema validator) instead of JSON Schema.
 */
import { z } from 'zod'

/**
 * A validator implementing Standard Schema (zod 3.24+ and 4, valibot, arktype): what a
 * TypeScript config may give as a model. Only its `~standard.validate` is used.
 */
export interface StandardSchemaModel {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    readonly validate: (value: unknown) => StandardResult | Promise<StandardResult>
  }
}

/** What a Standard Schema validator answers. */
export type StandardResult =
  | { readonly value: unknown; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<{ readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> }> }

/** Whether a model value is a Standard Schema validator (a zod schema) rather than JSON Schema. */
export function isStandardSchema(value: unknown): value is StandardSchemaModel {
  if (typeof value !== 'object' || value === null) return false
  const std = (value as { '~standard'?: { validate?: unknown } })['~standard']
  return typeof std === 'object' && std !== null && typeof std.validate === 'function'
}

/**
 * A model: a JSON Schema object or a Standard Schema validator, taken as given (z.record would
 * copy a zod schema into a plain object and lose it).
 */
export const modelSchema = z
  .custom<Record<string, unknown> | StandardSchemaModel>(
    (v) => isStandardSchema(v) || (typeof v === 'object' && v !== null && !Array.isArray(v)),
    { message: 'a model is a JSON Schema object (or, in a TypeScript config, a zod schema)' },
  )
  .meta({ type: 'object' })
  .describe(
    'A model: a JSON Schema (draft 4) object, which may $ref another model by name, as "#/components/schemas/Name" or by AWS\'s URL (https://apigateway.amazonaws.com/restapis/{apiId}/models/Name); or, in a TypeScript config, a zod schema.',
  )

export const requestValidatorSchema = z
  .strictObject({
    validateRequestBody: z.boolean().default(false).describe('Check the body against the route\'s model for its Content-Type (400 Invalid request body).'),
    validateRequestParameters: z
      .boolean()
      .default(false)
      .describe('Check that the route\'s required request parameters are present and not blank (400 Missing required request parameters).'),
  })
  .describe('A request validator.')

/** `method.request.querystring.q`, `method.request.header.X-Trace`, `method.request.path.id`. */
export const REQUEST_PARAMETER = /^method\.request\.(querystring|header|path)\.(.+)$/

export const requestParametersSchema = z
  .record(
    z.string().regex(REQUEST_PARAMETER, 'a request parameter is method.request.querystring.X, method.request.header.X or method.request.path.X'),
    z.boolean(),
  )
  .describe(
    'REST: request parameters the route declares, true when required: { "method.request.querystring.q": true }. A validator with validateRequestParameters enforces the required ones, in this order.',
  )

/** A media type (`application/json`) or `$default`, the key of a body model. */
const modelContentType = z
  .string()
  .regex(/^(\$default|[!#$%&'*+\-.^_`|~0-9A-Za-z]+\/[!#$%&'*+\-.^_`|~0-9A-Za-z]+)$/, 'a media type such as application/json, or $default')

/** Model names as API Gateway allows them: letters and digits. */
export const modelName = z.string().regex(/^[A-Za-z0-9]{1,128}$/, 'model names are letters and digits (as on AWS)')

export const requestModelsSchema = z
  .record(modelContentType, modelName)
  .describe(
    'REST: the model the body must match, by request Content-Type ($default: any other type). A body whose type has no model is not checked, as on AWS.',
  )

export type RequestValidatorConfig = z.output<typeof requestValidatorSchema>
export type ModelConfig = z.output<typeof modelSchema>
