/**
 * Lambda proxy integration (AWS_PROXY): build the 1.0 or 2.0 event, invoke the function
 * within the integration timeout, and turn its answer into the client's response by AWS's
 * rules. Function errors and malformed answers become REST 502 / HTTP API 500.
 */
import type { CompiledApi, CompiledRoute, GatewayModel } from '../../model/load.ts'
import type { LambdaIntegrationConfig } from '../../model/schema.ts'
import type { GatewayDeps } from '../../core/deps.ts'
import type { RouteHandler } from '../../core/feature.ts'
import type { GatewayRequest } from '../../core/request.ts'
import { GatewayError } from '../../core/errors.ts'
import { readBody } from '../../core/body.ts'
import { gatewayHeaders } from '../../core/response-headers.ts'
import { lastHeader } from '../../core/request.ts'
import { substituteStageVariables, usesStageVariables } from '../../core/stage-variables.ts'
import { buildEventV1 } from './event-v1.ts'
import { buildEventV2 } from './event-v2.ts'
import { parseProxyResponseV1, parseProxyResponseV2 } from './response.ts'
import { InvokeError, NEVER_ABORTED, type FunctionTarget, type InvokeOutcome } from './types.ts'

/** Resolves the function a route calls; ARNs with stage variables resolve per request. */
export function functionTarget(route: CompiledRoute, req?: GatewayRequest): FunctionTarget {
  return functionTargetFor(route, req?.stage.variables)
}

/** The function a route calls, with `variables` (a stage's) substituted into its ARN when given. */
export function functionTargetFor(route: CompiledRoute, variables?: Record<string, string>): FunctionTarget {
  const config = route.integration as LambdaIntegrationConfig
  if (route.function) {
    const fn = route.function
    if (fn.config.arn) {
      const arn = variables ? substituteStageVariables(fn.config.arn, variables) : fn.config.arn
      return { name: fn.name, config: fn.config, arn }
    }
    return { name: fn.name, config: fn.config }
  }
  const arn = variables ? substituteStageVariables(config.function, variables) : config.function
  return { name: arn.split(':function:')[1]?.split(':')[0] ?? arn, arn }
}

/** Creates the Lambda proxy handler of a route. */
export function createLambdaIntegration(route: CompiledRoute, api: CompiledApi, model: GatewayModel, deps: GatewayDeps): RouteHandler {
  const accountId = model.settings.accountId
  const timeoutMs = route.integration.timeoutMs
  const arnText = route.function?.config.arn ?? (route.function ? undefined : (route.integration as LambdaIntegrationConfig).function)
  const staticTarget = arnText && usesStageVariables(arnText) ? undefined : functionTarget(route)
  const v2 = route.payloadFormatVersion === '2.0'
  const isRest = api.type === 'REST'

  return async function lambdaIntegration(req) {
    const body = await readBody(req)
    const event = v2 ? buildEventV2(req, body, { accountId }) : buildEventV1(req, body, { accountId })
    const target = staticTarget ?? functionTarget(route, req)
    const started = deps.clock.now()
    // An in-process function that times out before the integration does needs no second timer:
    // its own timeout always answers first.
    const localTimeoutMs = target.config?.handler ? target.config.timeout * 1000 : Infinity
    const outcome = await invokeWithTimeout(deps, target, event, localTimeoutMs < timeoutMs ? undefined : timeoutMs)
    req.timings.integrationLatency = deps.clock.now() - started
    if (outcome.kind === 'function-error') {
      req.timings.integrationStatus = 200
      req.timings.integrationError = outcome.errorMessage
      throw new GatewayError('LAMBDA_ERROR', {
        detail: `function ${target.name} failed: ${outcome.errorType ?? 'Error'}: ${outcome.errorMessage ?? ''}`,
      })
    }
    req.timings.integrationStatus = 200
    const added = gatewayHeaders(req)
    // An in-process function's plain-data result is used as it is: its JSON text would parse
    // back to the same thing.
    const value = outcome.value
    const response = v2
      ? parseProxyResponseV2(value === undefined ? outcome.payload : () => outcome.payload, added, value)
      : parseProxyResponseV1(value === undefined ? outcome.payload : undefined, {
          apiType: isRest ? 'REST' : 'HTTP',
          accept: lastHeader(req, 'accept') ?? null,
          binaryMediaTypes: api.binaryMediaTypes,
          gatewayHeaders: added,
          value,
        })
    if (added?.bodyLength !== undefined && req.method !== 'HEAD') req.timings.responseLength = added.bodyLength
    // HEAD answers carry the GET answer's headers (Content-Length included) and no body.
    return req.method === 'HEAD' ? new Response(null, { status: response.status, headers: response.headers }) : response
  }
}

// Plain functions returning promises rather than async ones: each async layer costs the
// request a promise and extra microtask turns.
/** Invokes within the integration timeout (504 past it), invoke failures mapped as AWS maps them. */
export function invokeWithTimeout(deps: GatewayDeps, target: FunctionTarget, event: unknown, timeoutMs: number | undefined): Promise<InvokeOutcome> {
  if (timeoutMs === undefined) return invokeMapped(deps, target, event, NEVER_ABORTED)
  return invokeRacing(deps, target, event, timeoutMs)
}

async function invokeRacing(deps: GatewayDeps, target: FunctionTarget, event: unknown, timeoutMs: number): Promise<InvokeOutcome> {
  const controller = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined = undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort()
      reject(new GatewayError('INTEGRATION_TIMEOUT', { detail: `function ${target.name}: no answer within ${timeoutMs} ms` }))
    }, timeoutMs)
  })
  try {
    return await Promise.race([invokeMapped(deps, target, event, controller.signal), timeout])
  } finally {
    if (timer !== undefined) clearTimeout(timer)
  }
}

/** Invokes, turning invoke failures into the gateway errors AWS answers with. */
function invokeMapped(deps: GatewayDeps, target: FunctionTarget, event: unknown, signal: AbortSignal): Promise<InvokeOutcome> {
  const mapError = (e: unknown): never => {
    if (e instanceof InvokeError) {
      // Permission problems are the API's configuration (500); other invoke failures 502.
      const permissions = e.status === 401 || e.status === 403
      throw new GatewayError(permissions ? 'API_CONFIGURATION_ERROR' : 'LAMBDA_ERROR', {
        detail: `invoking ${target.name}: ${e.message}`,
        cause: e,
      })
    }
    throw e
  }
  try {
    return deps.invoker.invoke({ target, event, signal, fresh: true }).catch(mapError)
  } catch (e) {
    // An invoker that throws instead of rejecting.
    return Promise.reject(e).catch(mapError)
  }
}
