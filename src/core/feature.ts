/**
 * The feature contract: a pipeline stage (authorizer, API key, throttle, cache, ...) is a
 * factory that, given a route, returns a step for it, or nothing when the route does not use
 * the feature. All one-time work happens in `create`; the step runs per request.
 */
import type { CompiledApi, CompiledRoute, GatewayModel } from '../model/load.ts'
import type { ResolvedDeps } from './deps.ts'
import type { GatewayRequest } from './request.ts'

/** Handles a resolved request and answers (the integration, or a chain ending in it). */
export type RouteHandler = (req: GatewayRequest) => Promise<Response>

/** One feature's per-request work; call `next()` to continue down the chain. */
export type RouteStep = (req: GatewayRequest, next: () => Promise<Response>) => Promise<Response>

export interface FeatureContext {
  route: CompiledRoute
  api: CompiledApi
  model: GatewayModel
  deps: ResolvedDeps
}

export interface Feature {
  /** kebab-case name, same as its folder under src/features. */
  name: string
  /** Higher runs earlier (API Gateway's order: auth, API key, throttle, validation, cache). */
  priority: number
  /** Returns the step for this route, or undefined when the route does not use the feature. */
  create(ctx: FeatureContext): RouteStep | undefined
  /**
   * One-time asynchronous set-up (e.g. storing config API keys hashed). Runs before the first
   * request; a rejection stops the gateway from starting.
   */
  init?(ctx: { model: GatewayModel; deps: ResolvedDeps }): Promise<void>
}
