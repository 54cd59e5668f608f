/**
 * What a Lambda authorizer answered, checked the way API Gateway checks it, and the decision
 * for one method ARN (reference §6.1, §6.5). An answer API Gateway cannot use is an authorizer
 * configuration error (500), never a crash; a policy is evaluated by core/iam-policy.
 */
import type { PolicyStatement } from '../../model/auth-schema.ts'
import { evaluatePolicies, type PolicyDecision } from '../../core/iam-policy.ts'

/** A policy answer (REST, and HTTP APIs without simple responses). JSON-safe: it is cached as is. */
export interface PolicyOutput {
  kind: 'policy'
  principalId?: string
  statements: PolicyStatement[]
  context: Record<string, string | number | boolean>
  usageIdentifierKey?: string
}

/** An HTTP API simple answer (`enableSimpleResponses`). */
export interface SimpleOutput {
  kind: 'simple'
  isAuthorized: boolean
  context: Record<string, unknown>
}

export type AuthorizerOutput = PolicyOutput | SimpleOutput

/** The authorizer's answer is unusable; `message` says why (for the log, not the client). */
export class MalformedOutput extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MalformedOutput'
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * Parses the function's response payload (JSON text).
 * @param opts.simple the authorizer uses HTTP API simple responses
 * @param opts.requirePrincipal REST requires principalId in a policy answer
 * @throws MalformedOutput
 */
export function parseOutput(payload: string, opts: { simple: boolean; requirePrincipal: boolean }): AuthorizerOutput {
  let value: unknown
  try {
    value = JSON.parse(payload)
  } catch {
    throw new MalformedOutput('the answer is not JSON')
  }
  if (!isObject(value)) throw new MalformedOutput(`the answer is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}, not an object`)

  if (opts.simple) {
    if (typeof value.isAuthorized !== 'boolean') throw new MalformedOutput('a simple response needs isAuthorized: true or false')
    const context = value.context ?? {}
    if (!isObject(context)) throw new MalformedOutput('context is not an object')
    return { kind: 'simple', isAuthorized: value.isAuthorized, context }
  }

  const out: PolicyOutput = { kind: 'policy', statements: parsePolicyDocument(value.policyDocument), context: {} }
  const principal = value.principalId
  if (typeof principal === 'string' || (typeof principal === 'number' && Number.isFinite(principal))) {
    out.principalId = String(principal)
  } else if (principal !== undefined && principal !== null) {
    throw new MalformedOutput('principalId is not a string')
  }
  if (opts.requirePrincipal && !out.principalId) throw new MalformedOutput('principalId is missing')

  if (value.context !== undefined && value.context !== null) {
    if (!isObject(value.context)) throw new MalformedOutput('context is not an object')
    for (const [k, v] of Object.entries(value.context)) {
      // Only scalars: an object, array or null value makes API Gateway refuse the whole answer.
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw new MalformedOutput(`context.${k} is ${v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`}; only strings, numbers and booleans are allowed`)
      }
      setKey(out.context, k, v)
    }
  }
  const key = value.usageIdentifierKey
  if (typeof key === 'string') out.usageIdentifierKey = key
  else if (key !== undefined && key !== null) throw new MalformedOutput('usageIdentifierKey is not a string')
  return out
}

const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'])

/** Checks a policyDocument as IAM's parser would (capitalised element names, known elements only). */
function parsePolicyDocument(doc: unknown): PolicyStatement[] {
  if (!isObject(doc)) throw new MalformedOutput('policyDocument is missing or not an object')
  for (const key of Object.keys(doc)) {
    if (key !== 'Version' && key !== 'Statement' && key !== 'Id') throw new MalformedOutput(`policyDocument has an unknown element "${key}"`)
  }
  if (doc.Version !== undefined && typeof doc.Version !== 'string') throw new MalformedOutput('policyDocument.Version is not a string')
  const raw = doc.Statement
  if (raw === undefined) throw new MalformedOutput('policyDocument.Statement is missing')
  const list = Array.isArray(raw) ? raw : [raw]
  return list.map((s, i) => parseStatement(s, i))
}

function parseStatement(s: unknown, i: number): PolicyStatement {
  const at = `policyDocument.Statement[${i}]`
  if (!isObject(s)) throw new MalformedOutput(`${at} is not an object`)
  for (const key of Object.keys(s)) if (!STATEMENT_KEYS.has(key)) throw new MalformedOutput(`${at} has an unknown element "${key}"`)
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new MalformedOutput(`${at}.Effect is not Allow or Deny`)
  if ((s.Action === undefined) === (s.NotAction === undefined)) throw new MalformedOutput(`${at} needs exactly one of Action or NotAction`)
  if ((s.Resource === undefined) === (s.NotResource === undefined)) throw new MalformedOutput(`${at} needs exactly one of Resource or NotResource`)
  if (s.Sid !== undefined && typeof s.Sid !== 'string') throw new MalformedOutput(`${at}.Sid is not a string`)
  const statement: PolicyStatement = { Effect: s.Effect }
  if (s.Sid !== undefined) statement.Sid = s.Sid as string
  for (const key of ['Action', 'NotAction', 'Resource', 'NotResource'] as const) {
    if (s[key] !== undefined) statement[key] = stringList(s[key], `${at}.${key}`)
  }
  if (s.Condition !== undefined) statement.Condition = parseCondition(s.Condition, `${at}.Condition`)
  return statement
}

function stringList(v: unknown, at: string): string | string[] {
  if (typeof v === 'string' && v !== '') return v
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x !== '')) return v as string[]
  throw new MalformedOutput(`${at} is not a string or a list of strings`)
}

/**
 * Only aws:SourceIp conditions are understood. Any other condition is refused rather than
 * ignored: ignoring it would turn a conditional Allow into an unconditional one.
 */
function parseCondition(v: unknown, at: string): PolicyStatement['Condition'] {
  if (!isObject(v)) throw new MalformedOutput(`${at} is not an object`)
  const out: Partial<NonNullable<PolicyStatement['Condition']>> = {}
  for (const [operator, body] of Object.entries(v)) {
    if (operator !== 'IpAddress' && operator !== 'NotIpAddress') throw new MalformedOutput(`${at}: the ${operator} operator is not supported`)
    if (!isObject(body) || Object.keys(body).some((k) => k !== 'aws:SourceIp') || body['aws:SourceIp'] === undefined) {
      throw new MalformedOutput(`${at}.${operator}: only aws:SourceIp is supported`)
    }
    out[operator] = { 'aws:SourceIp': stringList(body['aws:SourceIp'], `${at}.${operator}.aws:SourceIp`) }
  }
  // The schema types both operators as present; evaluatePolicies reads only the ones given.
  return out as PolicyStatement['Condition']
}

/**
 * The decision for one request. A policy is evaluated against `methodArn` (a cached answer is
 * evaluated anew for each method); a simple answer is its own verdict.
 */
export function decide(output: AuthorizerOutput, methodArn: string, sourceIp: string): PolicyDecision {
  if (output.kind === 'simple') return output.isAuthorized ? 'ALLOW' : 'IMPLICIT_DENY'
  return evaluatePolicies([{ Statement: output.statements }], { action: 'execute-api:Invoke', resource: methodArn, sourceIp })
}

/**
 * `requestContext.authorizer` as the integration receives it. Payload 1.0 (REST, and HTTP APIs
 * with 1.0 integrations): flat, principalId first, every context value a string, then
 * integrationLatency. Payload 2.0: the context, types kept, under `lambda`.
 * @param latencyMs how long the authorizer took (0 when the answer came from the cache)
 */
export function authorizerContext(output: AuthorizerOutput, format: '1.0' | '2.0', latencyMs: number): Record<string, unknown> {
  if (format === '2.0') {
    const lambda: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(output.context)) setKey(lambda, k, v)
    return { lambda }
  }
  const out: Record<string, unknown> = {}
  if (output.kind === 'policy' && output.principalId !== undefined) out.principalId = output.principalId
  for (const [k, v] of Object.entries(output.context)) {
    // The gateway's own keys are not the authorizer's to overwrite.
    if (k === 'principalId' || k === 'integrationLatency') continue
    setKey(out, k, typeof v === 'string' ? v : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))
  }
  out.integrationLatency = latencyMs
  return out
}

/** Checks a cache entry is one this module wrote (a shared store may hold anything). */
export function isAuthorizerOutput(v: unknown): v is AuthorizerOutput {
  if (!isObject(v) || !isObject(v.context)) return false
  if (v.kind === 'simple') return typeof v.isAuthorized === 'boolean'
  return v.kind === 'policy' && Array.isArray(v.statements)
}

/** An own, enumerable key, even for `__proto__` (context keys come from user code). */
function setKey<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true })
}
