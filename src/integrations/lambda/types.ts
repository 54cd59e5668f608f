/**
 * The Lambda invoker port: how the gateway calls a function, whether it is a module in this
 * process, a Python worker, or a function behind the AWS Lambda Invoke API.
 */
import type { FunctionConfig } from '../../model/schema.ts'

/** The function to call, resolved from the route (stage variables already substituted). */
export interface FunctionTarget {
  /** Name of the entry in `functions`, or the function part of the ARN. */
  name: string
  /** Config of a named function; absent for a bare ARN on the route. */
  config?: FunctionConfig
  /** Remote function name or ARN for the Invoke API; absent for local handlers. */
  arn?: string
}

/**
 * A signal that never aborts, for callers that never stop waiting (an in-process function
 * whose own timeout comes first): invokers skip listening to it, which costs per call.
 */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal

export interface Invocation {
  target: FunctionTarget
  /** The event object (API Gateway proxy event, authorizer event, ...). */
  event: unknown
  /** Aborted when the gateway stops waiting (integration timeout, client gone). */
  signal: AbortSignal
  /**
   * The event was built for this call alone and nothing else holds it, so an in-process
   * function may receive it without the JSON copy Lambda semantics otherwise need.
   */
  fresh?: boolean
}

/**
 * What the function answered. `payload` is the response payload text exactly as the Lambda
 * service would return it (JSON text), so response parsing can apply AWS's rules to it.
 */
export type InvokeOutcome =
  | {
      kind: 'ok'
      payload: string
      /**
       * An in-process function's result when it is plain JSON data (what JSON.parse(payload)
       * would give back): the caller may skip the text. `payload` is then computed on demand.
       */
      value?: unknown
    }
  /**
   * The function failed (X-Amz-Function-Error). Payload as the runtime reports it: Node's
   * `{"errorType","errorMessage","trace"}`, Python's `stackTrace`, timeouts without a trace.
   */
  | { kind: 'function-error'; payload: string; errorType?: string; errorMessage?: string }

/** The invocation itself failed (permissions, throttling, unknown function, network). */
export class InvokeError extends Error {
  /** HTTP status of the Invoke API answer, when there was one. */
  readonly status?: number
  constructor(message: string, opts: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: opts.cause })
    this.name = 'InvokeError'
    this.status = opts.status
  }
}

export interface LambdaInvoker {
  /** Invokes synchronously (RequestResponse). Throws InvokeError when the invocation fails. */
  invoke(invocation: Invocation): Promise<InvokeOutcome>
}
