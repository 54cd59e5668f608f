/** Picks the integration handler for a route. */
import type { CompiledApi, CompiledRoute, GatewayModel } from '../model/load.ts'
import type { GatewayDeps } from '../core/deps.ts'
import type { RouteHandler } from '../core/feature.ts'
import { createMockIntegration } from './mock/index.ts'
import { createHttpProxyIntegration } from './http/index.ts'
import { createLambdaIntegration } from './lambda/index.ts'

/** The terminal handler of a route's pipeline. */
export function createIntegration(route: CompiledRoute, api: CompiledApi, model: GatewayModel, deps: GatewayDeps): RouteHandler {
  const integration = route.integration
  switch (integration.type) {
    case 'mock':
      return createMockIntegration(integration)
    case 'http_proxy':
      return createHttpProxyIntegration(route, api, deps)
    case 'lambda':
      return createLambdaIntegration(route, api, model, deps)
  }
}
