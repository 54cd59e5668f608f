/**
 * Lambda (custom) authorizers: REST TOKEN and REQUEST authorizers and HTTP API Lambda
 * authorizers (payload 1.0 / 2.0, IAM policy or simple responses), reference §6.1 and §6.5.
 *
 * Per request: read the identity sources (401 without invoking when one is missing), look the
 * answer up in the result cache or invoke the function through the gateway's Lambda invoker,
 * check the answer, evaluate it for this method ARN, and hand principalId / context to the
 * integration as requestContext.authorizer.
 */
import { evaluatePolicies } from '../../core/iam-policy.ts'
import type { Feature, RouteStep } from '../../core/feature.ts'
import type { ResolvedDeps } from '../../core/deps.ts'
import type { GatewayRequest } from '../../core/request.ts'
import type { CompiledAuthorizer } from '../../model/load.ts'
import type { LambdaAuthorizerConfig } from '../../model/auth-schema.ts'
import type { FunctionTarget, InvokeOutcome } from '../../integrations/lambda/types.ts'
import { InvokeError } from '../../integrations/lambda/types.ts'
import { GatewayError } from '../../core/errors.ts'
import { methodArn } from '../../core/iam-policy.ts'
import { substituteStageVariables, usesStageVariables } from '../../core/stage-variables.ts'
import { parseIdentitySources, resolveIdentity } from './identity.ts'
import { requestEventV1, requestEventV2, tokenEvent } from './event.ts'
import { connectAuthorizerEvent } from '../../integrations/lambda/event-websocket.ts'
import { MalformedOutput, authorizerContext, decide, isAuthorizerOutput, parseOutput, type AuthorizerOutput } from './decision.ts'
import { authorizerCacheKey } from './cache-key.ts'

/** HTTP API Lambda authorizers must answer within 10 s (reference §6.5, §10). */
export const HTTP_AUTHORIZER_TIMEOUT_MS = 10_000
/** Timeout of an authorizer given as a bare ARN, whose function config is unknown (the schema's default). */
const DEFAULT_FUNCTION_TIMEOUT_S = 6
/** A remote function reports its own timeout; the gateway waits this much longer for that report. */
const REMOTE_TIMEOUT_GRACE_MS = 250

/**
 * The gateway response for an authorizer function that failed with anything but "Unauthorized".
 * Public reports of real API Gateway show `x-amzn-ErrorType: AuthorizerConfigurationException`
 * for a throwing authorizer (reference §3.1); both types answer 500 `{"message": null}`.
 */
const FUNCTION_ERROR_TYPE = 'AUTHORIZER_CONFIGURATION_ERROR'

const EXPLICIT_DENY_MESSAGE = 'User is not authorized to access this resource with an explicit deny'

/** The Lambda authorizer feature: runs first (priority 1400) on routes with a token or request authorizer. */
export const lambdaAuthorizerFeature: Feature = {
  name: 'auth-lambda',
  priority: 1400,
  create({ route, api, model, deps }) {
    const auth = route.authorization
    if (typeof auth !== 'object') return undefined
    const authorizer = auth.authorizer
    const config = authorizer.config
    if (config.type !== 'token' && config.type !== 'request') return undefined
    return createStep(authorizer, config, {
      apiType: api.type,
      region: model.settings.region,
      accountId: model.settings.accountId,
      integrationFormat: route.payloadFormatVersion,
      deps,
    })
  },
}

interface StepOptions {
  apiType: 'REST' | 'HTTP' | 'WEBSOCKET'
  region: string
  accountId: string
  /** Event format of the route's integration: where requestContext.authorizer's data goes. */
  integrationFormat: '1.0' | '2.0'
  deps: ResolvedDeps
}

function createStep(authorizer: CompiledAuthorizer, config: LambdaAuthorizerConfig, opts: StepOptions): RouteStep {
  const { deps, accountId } = opts
  const isHttp = opts.apiType === 'HTTP'
  const sources = parseIdentitySources(config, opts.apiType)
  // Java's Matcher.matches(): the whole token must match (API Gateway runs on the JVM).
  const validation = config.type === 'token' && config.identityValidationExpression !== undefined
    ? new RegExp(`^(?:${config.identityValidationExpression})$`)
    : undefined
  const eventFormat = isHttp ? (config.payloadFormatVersion ?? '2.0') : '1.0'
  const simple = isHttp && eventFormat === '2.0' && config.enableSimpleResponses
  const isWebSocket = opts.apiType === 'WEBSOCKET'
  // API Gateway caches authorizer results for REST and HTTP APIs, not for WebSocket APIs.
  const ttl = sources.length > 0 && !isWebSocket ? config.resultTtlInSeconds : 0
  const integrationFormat = isHttp ? opts.integrationFormat : '1.0'
  const arnText = authorizer.function ? authorizer.function.config.arn : config.function
  const staticTarget = arnText && usesStageVariables(arnText) ? undefined : authorizerTarget(authorizer, config)

  return async function lambdaAuthorizer(req, next) {
    const identity = resolveIdentity(req, sources, { joinRepeated: isHttp, accountId })
    if (identity === null) {
      throw new GatewayError('UNAUTHORIZED', { detail: `authorizer ${authorizer.name}: an identity source is missing or empty` })
    }
    if (validation && !validation.test(identity[0]!)) {
      throw new GatewayError('UNAUTHORIZED', { detail: `authorizer ${authorizer.name}: the token does not match identityValidationExpression` })
    }
    // The request path with its actual values (reference §6.1, §6.3), without the stage;
    // a WebSocket handshake's ends in its route key, $connect (§6.6).
    const arn = req.connection
      ? `arn:aws:execute-api:${opts.region}:${accountId}:${req.api.id}/${req.stage.name}/${req.route.routeKey}`
      : methodArn(opts.region, accountId, req.api.id, req.stage.name, req.method, req.path)

    const key = ttl > 0 ? await authorizerCacheKey(req.api.id, req.stage.name, authorizer.name, identity) : undefined
    let output = key ? await cacheGet(deps, key, authorizer.name) : undefined
    let latency = 0
    if (!output) {
      const event = config.type === 'token'
        ? tokenEvent(identity[0]!, arn)
        : req.connection
          ? connectAuthorizerEvent(req, arn, req.connection.id, req.connection.connectedAt)
          : eventFormat === '2.0'
          ? requestEventV2(req, arn, { accountId, identity })
          : requestEventV1(req, arn, { accountId, identity })
      const target = staticTarget ?? authorizerTarget(authorizer, config, req)
      const started = deps.clock.now()
      const outcome = await invoke(deps, target, event, timeoutFor(target, isHttp), authorizer.name)
      latency = deps.clock.now() - started
      output = interpret(outcome, { simple, requirePrincipal: !isHttp, name: authorizer.name })
      // Denials are cached too (a cached Deny stays denied); failures are not.
      if (key) await cacheSet(deps, key, output, ttl, authorizer.name)
    }

    const decision = decide(output, arn, req.sourceIp)
    if (decision === 'EXPLICIT_DENY') {
      throw new GatewayError('ACCESS_DENIED', { message: EXPLICIT_DENY_MESSAGE, detail: `authorizer ${authorizer.name}: explicit Deny for ${arn}` })
    }
    if (decision === 'IMPLICIT_DENY') {
      throw new GatewayError('ACCESS_DENIED', {
        detail: output.kind === 'simple' ? `authorizer ${authorizer.name}: isAuthorized is false` : `authorizer ${authorizer.name}: no Allow for ${arn}`,
      })
    }
    req.authorizer = authorizerContext(output, integrationFormat, latency)
    if (output.kind === 'policy') {
      if (output.usageIdentifierKey !== undefined) req.usageIdentifierKey = output.usageIdentifierKey
      // The same policy decides whether Cache-Control: max-age=0 may refresh a cached answer.
      const invalidate = evaluatePolicies([{ Statement: output.statements }], { action: 'execute-api:InvalidateCache', resource: arn, sourceIp: req.sourceIp })
      req.invalidateCacheAllowed = invalidate === 'ALLOW'
    }
    return next()
  }
}

/**
 * The function an authorizer calls, as the Lambda integration resolves its own: a named
 * function (local handler or its ARN), or a bare ARN; stage variables resolve per request.
 */
function authorizerTarget(authorizer: CompiledAuthorizer, config: LambdaAuthorizerConfig, req?: GatewayRequest): FunctionTarget {
  const vars = req?.stage.variables ?? {}
  const fn = authorizer.function
  if (fn) {
    if (fn.config.arn) return { name: fn.name, config: fn.config, arn: substituteStageVariables(fn.config.arn, vars) }
    return { name: fn.name, config: fn.config }
  }
  const arn = substituteStageVariables(config.function, vars)
  return { name: arn.split(':function:')[1]?.split(':')[0] ?? arn, arn }
}

/**
 * How long the gateway waits. HTTP APIs: 10 s. REST: the function's own timeout. A local
 * handler that times out first needs no gateway timer (its own timeout answers); a remote one
 * gets a short grace so Lambda's timeout report arrives before the gateway gives up.
 */
function timeoutFor(target: FunctionTarget, isHttp: boolean): number | undefined {
  const fnTimeoutMs = (target.config?.timeout ?? DEFAULT_FUNCTION_TIMEOUT_S) * 1000
  const local = target.config?.handler !== undefined
  if (isHttp) return local && fnTimeoutMs < HTTP_AUTHORIZER_TIMEOUT_MS ? undefined : HTTP_AUTHORIZER_TIMEOUT_MS
  return local ? undefined : fnTimeoutMs + REMOTE_TIMEOUT_GRACE_MS
}

async function invoke(deps: ResolvedDeps, target: FunctionTarget, event: unknown, timeoutMs: number | undefined, name: string): Promise<InvokeOutcome> {
  const controller = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  const attempt = deps.invoker.invoke({ target, event, signal: controller.signal, fresh: true }).catch((e: unknown) => {
    if (e instanceof InvokeError) {
      // Missing permissions to call the function is the API's configuration; anything else
      // (throttling, network, unknown function) a failure to reach the authorizer.
      const permissions = e.status === 401 || e.status === 403
      throw new GatewayError(permissions ? 'AUTHORIZER_CONFIGURATION_ERROR' : 'AUTHORIZER_FAILURE', {
        detail: `authorizer ${name}: invoking ${target.name} failed: ${e.message}`,
        cause: e,
      })
    }
    throw e
  })
  if (timeoutMs === undefined) return attempt
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort()
      reject(new GatewayError('AUTHORIZER_FAILURE', { detail: `authorizer ${name}: ${target.name} did not answer within ${timeoutMs} ms` }))
    }, timeoutMs)
  })
  try {
    return await Promise.race([attempt, timeout])
  } finally {
    if (timer !== undefined) clearTimeout(timer)
    // The losing promise must not surface as an unhandled rejection.
    attempt.catch(() => {})
  }
}

/** Turns the function's outcome into an answer, or the gateway error API Gateway would give. */
function interpret(outcome: InvokeOutcome, opts: { simple: boolean; requirePrincipal: boolean; name: string }): AuthorizerOutput {
  if (outcome.kind === 'function-error') {
    // Only this exact message means "deny with 401" (context.fail('Unauthorized'),
    // throw new Error('Unauthorized'), raise Exception('Unauthorized')).
    if (outcome.errorMessage === 'Unauthorized') {
      throw new GatewayError('UNAUTHORIZED', { detail: `authorizer ${opts.name}: the function answered Unauthorized` })
    }
    throw new GatewayError(FUNCTION_ERROR_TYPE, {
      detail: `authorizer ${opts.name}: the function failed (${outcome.errorType ?? 'Error'}: ${(outcome.errorMessage ?? '').slice(0, 200)})`,
    })
  }
  try {
    return parseOutput(outcome.payload, opts)
  } catch (e) {
    if (e instanceof MalformedOutput) {
      throw new GatewayError('AUTHORIZER_CONFIGURATION_ERROR', { detail: `authorizer ${opts.name}: unusable answer: ${e.message}` })
    }
    throw e
  }
}

/** A cache that fails is a miss: the authorizer is invoked, so nothing is let through unchecked. */
async function cacheGet(deps: ResolvedDeps, key: string, name: string): Promise<AuthorizerOutput | undefined> {
  try {
    const value = await deps.stores.authorizerCache.get(key)
    return isAuthorizerOutput(value) ? value : undefined
  } catch (e) {
    deps.logger.warn('authorizer cache read failed', { authorizer: name, error: String(e) })
    return undefined
  }
}

async function cacheSet(deps: ResolvedDeps, key: string, value: AuthorizerOutput, ttl: number, name: string): Promise<void> {
  try {
    await deps.stores.authorizerCache.set(key, value, ttl)
  } catch (e) {
    deps.logger.warn('authorizer cache write failed', { authorizer: name, error: String(e) })
  }
}
