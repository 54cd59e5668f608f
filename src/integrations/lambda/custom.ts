/**
 * Lambda custom (non-proxy) integration (AWS, reference §8): the event is the request
 * template's output (or the body passed through), parsed as JSON as the Invoke API would; the
 * function's answer, or its error, goes through the integration response selected by
 * matching the error's errorMessage ("" for a success) against the selection patterns. An
 * error no pattern matches takes the default response, carrying the error payload (200 with
 * {errorMessage, errorType, ...} unless the default says otherwise).
 */
import type { CompiledApi, CompiledRoute, GatewayModel } from '../../model/load.ts'
import type { LambdaCustomIntegrationConfig } from '../../model/schema.ts'
import type { GatewayDeps } from '../../core/deps.ts'
import type { RouteHandler } from '../../core/feature.ts'
import { GatewayError } from '../../core/errors.ts'
import { readBody } from '../../core/body.ts'
import { usesStageVariables } from '../../core/stage-variables.ts'
import { mappingScope, mapRequestBody, mapResponse, selectResponse } from '../../features/mapping/index.ts'
import { utf8Decode } from './body-encoding.ts'
import { functionTarget, invokeWithTimeout } from './index.ts'

/** Creates the Lambda custom handler of a route (its mapping compiled by loadModel). */
export function createLambdaCustomIntegration(route: CompiledRoute, _api: CompiledApi, model: GatewayModel, deps: GatewayDeps): RouteHandler {
  const mapping = route.mapping!
  const config = route.integration as LambdaCustomIntegrationConfig & { timeoutMs: number }
  const accountId = model.settings.accountId
  const arnText = route.function?.config.arn ?? (route.function ? undefined : config.function)
  const staticTarget = arnText && usesStageVariables(arnText) ? undefined : functionTarget(route)

  return async function lambdaCustomIntegration(req) {
    const scope = mappingScope(req, accountId)
    const mapped = mapRequestBody(mapping, scope, await readBody(req))
    const text = mapped.kind === 'template' ? mapped.text : mapped.bytes ? utf8Decode(mapped.bytes) : ''
    const event = parseEvent(text)
    const target = staticTarget ?? functionTarget(route, req)
    const started = deps.clock.now()
    // An in-process function that times out before the integration does answers first.
    const localTimeoutMs = target.config?.handler ? target.config.timeout * 1000 : Infinity
    const outcome = await invokeWithTimeout(deps, target, event, localTimeoutMs < config.timeoutMs ? undefined : config.timeoutMs)
    req.timings.integrationLatency = deps.clock.now() - started
    req.timings.integrationStatus = 200
    let subject = ''
    if (outcome.kind === 'function-error') {
      subject = outcome.errorMessage ?? ''
      req.timings.integrationError = outcome.errorMessage
    }
    return mapResponse(scope, selectResponse(mapping, subject), { headers: [], body: outcome.payload }, subject)
  }
}

/**
 * The event as Lambda receives it: JSON, or an empty object for an empty payload. Text that
 * is not JSON is refused before invoking, as API Gateway does ("Could not parse request body
 * into json", 400).
 */
function parseEvent(text: string): unknown {
  if (text.trim() === '') return {}
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new GatewayError('DEFAULT_4XX', {
      message: `Could not parse request body into json: ${(e as Error).message}`,
      detail: 'the integration request is not JSON',
    })
  }
}
