/**
 * REST API models (JSON Schema draft 4, reference §7.1) turned into validators with
 * @cfworker/json-schema, which interprets schemas instead of generating code (ajv's `new
 * Function` is forbidden on workerd), so the same validator runs on Node, Bun and Workers.
 *
 * Models refer to each other with `$ref`. API Gateway writes its model URL
 * (`https://apigateway.amazonaws.com/restapis/{apiId}/models/{Name}`), OpenAPI documents
 * `#/components/schemas/{Name}`, and Portico configs may write the bare name; all three are
 * rewritten to the model URL of this API, under which every model is registered.
 */
import { Validator, type Schema } from '@cfworker/json-schema'
import { isStandardSchema, type ModelConfig } from './validation-schema.ts'

/** The models API Gateway creates with every REST API (used unless the config redefines them). */
export const BUILTIN_MODELS: Record<string, Record<string, unknown>> = {
  Empty: { $schema: 'http://json-schema.org/draft-04/schema#', title: 'Empty Schema', type: 'object' },
  Error: {
    $schema: 'http://json-schema.org/draft-04/schema#',
    title: 'Error Schema',
    type: 'object',
    properties: { message: { type: 'string' } },
  },
}

const AWS_MODEL_URL = /^https:\/\/apigateway\.amazonaws\.com\/restapis\/[^/]+\/models\/([^/#]+)(#.*)?$/
const COMPONENTS_REF = /^#\/components\/schemas\/([^/]+)(\/.*)?$/
/** Keywords whose values are data, not schemas: a `$ref` key inside them is not a reference. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'example', 'examples'])

/** The URL API Gateway gives a model; every model is registered under it. */
export function modelUrl(apiId: string, name: string): string {
  return `https://apigateway.amazonaws.com/restapis/${apiId}/models/${name}`
}

/**
 * The model a `$ref` names and the fragment inside it, or undefined for a reference within
 * the same schema (`#/definitions/x`). Throws for references Portico cannot follow.
 */
export function referencedModel(ref: string): { name: string; fragment: string } | undefined {
  const aws = AWS_MODEL_URL.exec(ref)
  if (aws) return { name: decodeURIComponent(aws[1]!), fragment: aws[2] ?? '' }
  const components = COMPONENTS_REF.exec(ref)
  if (components) return { name: decodeURIComponent(components[1]!), fragment: components[2] ? `#${components[2]}` : '' }
  if (ref.startsWith('#')) return undefined
  if (/^[A-Za-z0-9]+$/.test(ref)) return { name: ref, fragment: '' }
  throw new Error(`"${ref}" is not a reference to a model (a model name, #/components/schemas/Name or https://apigateway.amazonaws.com/restapis/{apiId}/models/Name)`)
}

/** One problem with a model: where in it, and what. */
export interface ModelProblem {
  model: string
  path: (string | number)[]
  message: string
}

/** An API's models, ready to build validators from. */
export interface ModelSet {
  apiId: string
  /** JSON Schema models with references rewritten to model URLs (never given to a validator as is: it annotates what it reads). */
  json: Map<string, Record<string, unknown>>
  /** Standard Schema models (zod), from TypeScript configs. */
  standard: Map<string, ModelConfig>
}

/** A body check: `errors` is empty when the value matches the model. */
export type ModelCheck = (value: unknown) => Promise<string[]>

/**
 * Prepares an API's models (its own and the built-in Empty and Error): references rewritten
 * and checked. `problems` lists references to unknown models and schemas the validator
 * refuses; the set is usable for the models without problems.
 */
export function prepareModels(apiId: string, models: Record<string, ModelConfig>): { set: ModelSet; problems: ModelProblem[] } {
  const set: ModelSet = { apiId, json: new Map(), standard: new Map() }
  const problems: ModelProblem[] = []
  const all: Record<string, ModelConfig> = { ...BUILTIN_MODELS, ...models }
  for (const [name, model] of Object.entries(all)) {
    if (isStandardSchema(model)) set.standard.set(name, model)
  }
  for (const [name, model] of Object.entries(all)) {
    if (isStandardSchema(model)) continue
    const schema = rewriteRefs(model as Record<string, unknown>, [], (ref, path) => {
      if (typeof ref !== 'string') {
        problems.push({ model: name, path, message: 'a CloudFormation function is not resolved by Portico: refer to the model by its name' })
        return ref
      }
      let target: { name: string; fragment: string } | undefined
      try {
        target = referencedModel(ref)
      } catch (e) {
        problems.push({ model: name, path, message: (e as Error).message })
        return ref
      }
      if (!target) {
        if (!resolvePointer(model, ref)) problems.push({ model: name, path, message: `"${ref}" points to nothing in this model` })
        return ref
      }
      if (set.standard.has(target.name)) {
        problems.push({ model: name, path, message: `model "${target.name}" is a zod schema; a JSON Schema model cannot refer to it` })
        return ref
      }
      if (!(target.name in all)) {
        const known = Object.keys(all).join(', ')
        problems.push({ model: name, path, message: `no model "${target.name}" (models: ${known})` })
        return ref
      }
      return modelUrl(apiId, target.name) + target.fragment
    }) as Record<string, unknown>
    set.json.set(name, schema)
  }
  // A schema the validator cannot take (duplicate ids, ...) fails here, not on a request.
  for (const name of set.json.keys()) {
    if (problems.some((p) => p.model === name)) continue
    try {
      jsonValidator(set, name)
    } catch (e) {
      problems.push({ model: name, path: [], message: `not a usable JSON Schema: ${(e as Error).message}` })
    }
  }
  return { set, problems }
}

/**
 * A check of values against one model: JSON Schema draft 4 through @cfworker/json-schema,
 * or the model's own Standard Schema validate.
 */
export function modelCheck(set: ModelSet, name: string): ModelCheck {
  const standard = set.standard.get(name)
  if (standard && isStandardSchema(standard)) {
    return async (value) => {
      const result = await standard['~standard'].validate(value)
      if (!result.issues) return []
      return result.issues.map((issue) => {
        const path = (issue.path ?? []).map((p) => String(typeof p === 'object' && p !== null ? p.key : p))
        return path.length ? `${path.join('.')}: ${issue.message}` : issue.message
      })
    }
  }
  const validator = jsonValidator(set, name)
  return async (value) => {
    const result = validator.validate(value)
    if (result.valid) return []
    // The keywords that only say "something below failed" add nothing to the leaf errors.
    const leaves = result.errors.filter((e) => !['properties', 'items', '$ref', 'allOf', 'false', 'patternProperties', 'dependencies'].includes(e.keyword))
    return (leaves.length ? leaves : result.errors).map((e) => `${e.instanceLocation}: ${e.error}`)
  }
}

/** A draft-4 validator for one model, with every other JSON model registered for its $refs. */
function jsonValidator(set: ModelSet, name: string): Validator {
  const own = set.json.get(name)
  if (!own) throw new Error(`no model "${name}"`)
  // The validator annotates the schemas it is given: give it copies.
  const validator = new Validator({ ...structuredClone(own), $id: modelUrl(set.apiId, name) } as Schema, '4', false)
  for (const [other, schema] of set.json) {
    if (other !== name) validator.addSchema(structuredClone(schema) as Schema, modelUrl(set.apiId, other))
  }
  return validator
}

/**
 * A copy of a JSON Schema model whose references to other models are written
 * `#/components/schemas/Name` (OpenAPI's form, which API Gateway's exports use); other
 * references are kept.
 */
export function componentsRefs(schema: Record<string, unknown>): Record<string, unknown> {
  return rewriteRefs(schema, [], (ref) => {
    let target: { name: string; fragment: string } | undefined
    try {
      target = referencedModel(ref)
    } catch {
      return ref
    }
    return target ? `#/components/schemas/${target.name}${target.fragment ? target.fragment.slice(1) : ''}` : ref
  }) as Record<string, unknown>
}

/**
 * A model name (letters and digits, as AWS requires) from free text, each word capitalised
 * and `{param}` written as the Serverless Framework names resources (`{id}` → IdVar):
 * "/users/{id} post application/json model" → UsersIdVarPostApplicationJsonModel.
 */
export function modelNameFrom(text: string): string {
  const words = text.replace(/\{([^}+]+)\+?\}/g, '$1 Var').split(/[^A-Za-z0-9]+/).filter(Boolean)
  return words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('').slice(0, 128) || 'Model'
}

/** A copy of `value` with every `$ref` string replaced by `rewrite(ref, path)`. */
function rewriteRefs(value: unknown, path: (string | number)[], rewrite: (ref: string, path: (string | number)[]) => unknown): unknown {
  if (Array.isArray(value)) return value.map((v, i) => rewriteRefs(v, [...path, i], rewrite))
  if (typeof value !== 'object' || value === null) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    if (k === '$ref' && (typeof v === 'string' || isCloudFormation(v))) out[k] = rewrite(v as string, [...path, k])
    else if (DATA_KEYWORDS.has(k)) out[k] = v
    else out[k] = rewriteRefs(v, [...path, k], rewrite)
  }
  return out
}

/** `{Ref: ...}` / `{"Fn::Join": ...}`: what serverless.yml files write for a model's URL. */
function isCloudFormation(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const keys = Object.keys(v)
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))
}

/** Whether a local reference (`#/definitions/x`) points into `schema`. */
function resolvePointer(schema: unknown, ref: string): boolean {
  if (ref === '#') return true
  if (!ref.startsWith('#/')) return false
  let target: unknown = schema
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~')
    if (typeof target !== 'object' || target === null) return false
    target = (target as Record<string, unknown>)[key]
    if (target === undefined) return false
  }
  return true
}
