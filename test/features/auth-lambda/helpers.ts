/** Shared set-up of the Lambda authorizer tests: configs, and invokers that record each call. */
import { FIXTURES, makeGateway } from '../../helpers/gateway.ts'
import { lambdaAuthorizerFeature } from '../../../src/features/auth-lambda/index.ts'
import { createLocalInvoker } from '../../../src/integrations/lambda/invoke-local.ts'
import { nodeModuleLoader } from '../../../src/integrations/lambda/invoke-local-node.ts'
import { createInvoker } from '../../../src/integrations/lambda/invoker.ts'
import type { LambdaInvoker } from '../../../src/integrations/lambda/types.ts'
import type { GatewayDeps } from '../../../src/core/deps.ts'

export const features = [lambdaAuthorizerFeature]

/** A policy answer for `resource` (string or list) with the given effect. */
export function policy(effect: 'Allow' | 'Deny', resource: string | string[], extra: Record<string, unknown> = {}) {
  return {
    principalId: 'user-1',
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
    ...extra,
  }
}

/**
 * An invoker where the function named `auth` answers with `answer(event)` (return
 * `{__error: {errorType, errorMessage}}` for a function error) and every other function
 * echoes its event as a proxy response. Records both sides separately.
 */
export function scripted(answer: (event: any) => unknown | Promise<unknown>) {
  const authEvents: any[] = []
  const integrationEvents: any[] = []
  const invoker: LambdaInvoker = {
    async invoke({ target, event }) {
      if (target.name !== 'auth') {
        integrationEvents.push(event)
        return { kind: 'ok', payload: JSON.stringify({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) }) }
      }
      authEvents.push(event)
      const out = await answer(event)
      if (out && typeof out === 'object' && (out as any).__error) {
        const e = (out as any).__error
        return { kind: 'function-error', payload: JSON.stringify(e), errorType: e.errorType, errorMessage: e.errorMessage }
      }
      if (out && typeof out === 'object' && (out as any).__raw !== undefined) return { kind: 'ok', payload: (out as any).__raw }
      return { kind: 'ok', payload: JSON.stringify(out ?? null) }
    },
  }
  return { invoker, authEvents, integrationEvents }
}

/** The real in-process invoker over test/fixtures, counting invocations per function name. */
export function countingLocalInvoker() {
  const local = createLocalInvoker({ loadModule: nodeModuleLoader(FIXTURES), region: 'us-east-1', accountId: '123456789012' })
  const inner = createInvoker({ local, aws: local })
  const calls: Record<string, number> = {}
  const invoker: LambdaInvoker = {
    invoke(invocation) {
      calls[invocation.target.name] = (calls[invocation.target.name] ?? 0) + 1
      return inner.invoke(invocation)
    },
  }
  return { invoker, calls }
}

/** A REST API (stage prod, one stage variable) with a Lambda authorizer `auth` on every route. */
export function restConfig(authorizer: Record<string, unknown>, routes: { method: string; path: string }[] = [{ method: 'GET', path: '/pets/{id}' }], extra: Record<string, unknown> = {}) {
  return {
    functions: { auth: { handler: 'authorizers/token-jwt.handler' }, echo: { handler: 'echo.handler' } },
    apis: [
      {
        name: 'rest',
        type: 'REST',
        stages: [{ name: 'prod', variables: { tenant: 't-1' } }],
        authorizers: { auth: { function: 'auth', ...authorizer } },
        routes: routes.map((r) => ({ ...r, integration: { type: 'lambda', function: 'echo' }, authorization: { authorizer: 'auth' } })),
        ...extra,
      },
    ],
  }
}

/** An HTTP API ($default stage) with a Lambda authorizer `auth` on every route. */
export function httpConfig(authorizer: Record<string, unknown>, routes: { route: string; payloadFormatVersion?: '1.0' | '2.0' }[] = [{ route: 'GET /pets/{id}' }]) {
  return {
    functions: { auth: { handler: 'authorizers/token-jwt.handler' }, echo: { handler: 'echo.handler' } },
    apis: [
      {
        name: 'http',
        type: 'HTTP',
        authorizers: { auth: { type: 'request', function: 'auth', ...authorizer } },
        routes: routes.map((r) => ({
          route: r.route,
          integration: { type: 'lambda', function: 'echo', payloadFormatVersion: r.payloadFormatVersion ?? '2.0' },
          authorization: { authorizer: 'auth' },
        })),
      },
    ],
  }
}

/** makeGateway with only this feature. */
export function gateway(config: unknown, invoker: LambdaInvoker, deps: Partial<GatewayDeps> = {}) {
  return makeGateway(config, { invoker, deps, gateway: { features } })
}
