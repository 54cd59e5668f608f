/**
 * The gateway's single LambdaInvoker: each target goes to the in-process invoker or to the
 * Invoke API client, depending on how its function is defined.
 */
import { InvokeError, type FunctionTarget, type Invocation, type InvokeOutcome, type LambdaInvoker } from './types.ts'

/**
 * Routes targets with a `handler` to `local` and targets with an ARN (on the target, as for a
 * bare ARN on a route, or in the function config) to `aws`.
 */
export function createInvoker({
  local,
  aws,
  python,
  isPython,
}: {
  local: LambdaInvoker
  aws: LambdaInvoker
  /** Python handlers (Node and Bun), injected so Workers bundles never load child processes. */
  python?: LambdaInvoker
  isPython?: (target: FunctionTarget) => boolean
}): LambdaInvoker {
  return {
    invoke(invocation: Invocation): Promise<InvokeOutcome> {
      const { target } = invocation
      if (target.config?.handler !== undefined) {
        return python && isPython?.(target) ? python.invoke(invocation) : local.invoke(invocation)
      }
      if (target.arn !== undefined || target.config?.arn !== undefined) return aws.invoke(invocation)
      return Promise.reject(new InvokeError(`Function ${target.name} has neither a handler nor an arn`))
    },
  }
}
