/** Picks the integration handler for a route. */
import type { CompiledApi, CompiledRoute, GatewayModel } from '../model/load.ts'
import type { GatewayDeps } from '../core/deps.ts'
import type { RouteHandler } from '../core/feature.ts'
import { createMockIntegration } from './mock/index.ts'
import { createHttpProxyIntegration } from './http/index.ts'
import { createLambdaIntegration } from './lambda/index.ts'
import { createLambdaCustomIntegration } from './lambda/custom.ts'
import { createHttpCustomIntegration } from './http/custom.ts'

/** The terminal handler of a route's pipeline. */
export function createIntegration(route: CompiledRoute, api: CompiledApi, model: GatewayModel, deps: GatewayDeps): RouteHandler {
  const integration = route.integration
  switch (integration.type) {
    case 'mock':
      return createMockIntegration(integration, route, model)
    case 'http_proxy':
      return createHttpProxyIntegration(route, api, deps)
    case 'lambda':
      return createLambdaIntegration(route, api, model, deps)
    case 'lambda_custom':
      return createLambdaCustomIntegration(route, api, model, deps)
    case 'http':
      return createHttpCustomIntegration(route, api, model, deps)
  }
}
