/**
 * Invokes remote functions through the Lambda Invoke API (RequestResponse), signed with SigV4.
 * Works against AWS and anything that speaks the same API (LocalStack, serverless-offline).
 * Portable: aws4fetch signs with Web crypto.
 */
import { AwsClient } from 'aws4fetch'
import { InvokeError, type Invocation, type InvokeOutcome, type LambdaInvoker } from './types.ts'

export interface AwsInvokerOptions {
  /** Region used when neither the ARN nor the function config names one (settings.region). */
  region: string
  /** Where credentials and endpoint overrides are read; process.env where there is one. */
  env?: Record<string, string | undefined>
  fetch?: typeof fetch
}

/** What the Invoke API needs from a function reference. */
export interface ParsedFunctionRef {
  /** Path segment: the function name, or the ARN without its qualifier (keeps the account). */
  functionName: string
  qualifier?: string
  /** Region carried by a full ARN. */
  region?: string
}

const FULL_ARN = /^(arn:aws[a-z-]*:lambda:([a-z0-9-]+):\d{12}:function:[^:]+)(?::([^:]+))?$/
const PARTIAL_ARN = /^(\d{12}:function:[^:]+)(?::([^:]+))?$/
const NAME = /^([^:]+)(?::([^:]+))?$/

/**
 * Splits a function name, `name:alias`, partial ARN or full ARN into what the Invoke API takes:
 * the unqualified function reference, the qualifier (sent as `?Qualifier=`) and the ARN's region.
 * Anything else is passed through untouched for the service to judge.
 */
export function parseFunctionRef(ref: string): ParsedFunctionRef {
  let m = FULL_ARN.exec(ref)
  if (m) return { functionName: m[1], region: m[2], qualifier: m[3] }
  m = PARTIAL_ARN.exec(ref)
  if (m) return { functionName: m[1], qualifier: m[2] }
  m = NAME.exec(ref)
  if (m) return { functionName: m[1], qualifier: m[2] }
  return { functionName: ref }
}

/**
 * A LambdaInvoker for functions with an `arn`. Credentials and endpoint overrides are read at
 * each invocation, so a missing credential fails the request that needs it, not the startup.
 */
export function createAwsInvoker(opts: AwsInvokerOptions): LambdaInvoker {
  const fetchFn = opts.fetch ?? ((input, init) => fetch(input, init))
  // Signing keys are derived once per day, region and secret; share the derivations.
  const signingKeys = new Map<string, ArrayBuffer>()

  return {
    async invoke(invocation: Invocation): Promise<InvokeOutcome> {
      const { target, signal } = invocation
      const env = opts.env ?? processEnv()
      const ref = target.arn ?? target.config?.arn
      if (!ref) throw new InvokeError(`Function ${target.name} has no arn to invoke`)

      const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID)
      const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY)
      if (!accessKeyId || !secretAccessKey) {
        throw new InvokeError(
          `Cannot invoke ${ref}: no AWS credentials. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY ` +
            '(and AWS_SESSION_TOKEN for temporary credentials); LocalStack accepts any values, e.g. "test".',
        )
      }

      const parsed = parseFunctionRef(ref)
      const region = parsed.region ?? target.config?.region ?? opts.region
      const endpoint = (
        target.config?.endpoint ??
        nonEmpty(env.AWS_ENDPOINT_URL_LAMBDA) ??
        nonEmpty(env.AWS_ENDPOINT_URL) ??
        defaultEndpoint(region)
      ).replace(/\/+$/, '')
      const query = parsed.qualifier ? `?Qualifier=${encodeURIComponent(parsed.qualifier)}` : ''
      const url = `${endpoint}/2015-03-31/functions/${encodeURIComponent(parsed.functionName)}/invocations${query}`

      const client = new AwsClient({
        accessKeyId,
        secretAccessKey,
        sessionToken: nonEmpty(env.AWS_SESSION_TOKEN),
        service: 'lambda',
        region,
        cache: signingKeys,
        retries: 0,
      })
      let request: Request
      try {
        request = await client.sign(url, {
          method: 'POST',
          headers: { 'X-Amz-Invocation-Type': 'RequestResponse', 'Content-Type': 'application/json' },
          body: JSON.stringify(invocation.event ?? null),
        })
      } catch (cause) {
        // An endpoint from the environment is not validated like the config's.
        const reason = cause instanceof Error ? cause.message : String(cause)
        throw new InvokeError(`Cannot build the Invoke API request for ${ref} at "${endpoint}": ${reason}`, { cause })
      }

      let response: Response
      let text: string
      try {
        response = await fetchFn(request, { signal })
        text = await response.text()
      } catch (cause) {
        if (signal.aborted) {
          throw new InvokeError(`Stopped waiting for ${ref}: the invocation was aborted`, { cause: signal.reason })
        }
        const reason = cause instanceof Error ? cause.message : String(cause)
        throw new InvokeError(`Lambda Invoke API at ${endpoint} could not be reached: ${reason}`, { cause })
      }

      if (response.status < 200 || response.status > 299) {
        throw new InvokeError(serviceErrorMessage(ref, response, text), { status: response.status })
      }
      if (response.headers.has('X-Amz-Function-Error')) {
        const body = parseJsonObject(text)
        return {
          kind: 'function-error',
          payload: text,
          errorType: stringField(body, 'errorType'),
          errorMessage: stringField(body, 'errorMessage'),
        }
      }
      return { kind: 'ok', payload: text }
    },
  }
}

function processEnv(): Record<string, string | undefined> {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {}
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

function defaultEndpoint(region: string): string {
  // China regions live under their own domain.
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'
  return `https://lambda.${region}.${suffix}`
}

/**
 * "Lambda Invoke API answered 404 ResourceNotFoundException for <ref>: Function not found: ..."
 * The code comes from x-amzn-ErrorType (AWS) or `__type`; the message from Lambda's
 * `{"Type","message"}` or the `{"Message"}` other implementations send.
 */
function serviceErrorMessage(ref: string, response: Response, text: string): string {
  const body = parseJsonObject(text)
  const headerType = response.headers.get('x-amzn-ErrorType')?.split(':')[0]
  const bodyType = stringField(body, '__type')?.split('#').pop()
  const code = headerType || bodyType
  const message =
    stringField(body, 'message') ??
    stringField(body, 'Message') ??
    stringField(body, 'errorMessage') ??
    (text.trim() ? text.trim().slice(0, 500) : response.statusText || 'no message')
  return `Lambda Invoke API answered ${response.status}${code ? ' ' + code : ''} for ${ref}: ${message}`
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

function stringField(body: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = body?.[key]
  return typeof value === 'string' ? value : undefined
}
