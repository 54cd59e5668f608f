/**
 * Portico's public API: build a gateway from a config, in any runtime.
 *
 * ```ts
 * import { createGateway, loadModel, defineConfig } from 'portico'
 * ```
 */
import type { PorticoConfigInput } from './model/schema.ts'

export { createGateway, type Gateway, type CreateGatewayOptions } from './gateway.ts'
export { loadModel, ConfigError, formatIssue, type GatewayModel, type LoadResult } from './model/load.ts'
export { configSchema, type PorticoConfig, type PorticoConfigInput } from './model/schema.ts'
export { GatewayError, renderGatewayError, GATEWAY_RESPONSE_TYPES, type GatewayResponseType } from './core/errors.ts'
export { systemClock, consoleLogger, memoryLogger, type GatewayDeps, type Clock, type Logger, type HttpClient } from './core/deps.ts'
export type { Feature, RouteStep, RouteHandler } from './core/feature.ts'
export type { GatewayRequest } from './core/request.ts'
export type { LambdaInvoker, Invocation, InvokeOutcome, FunctionTarget } from './integrations/lambda/types.ts'
export { connections, GoneException, PayloadTooLargeException, type ConnectionsClient } from './websocket/connections.ts'
export type { ConnectionHub, ConnectionInfo } from './storage/ports.ts'

/** Types a config written in TypeScript (portico.config.ts: `export default defineConfig({...})`). */
export function defineConfig(config: PorticoConfigInput): PorticoConfigInput {
  return config
}
