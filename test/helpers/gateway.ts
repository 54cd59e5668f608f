/** Builds gateways for tests: memory logger, fake clock, and a real local invoker. */
import { fileURLToPath } from 'node:url'
import { dirname, resolve } from 'node:path'
import { createGateway, type CreateGatewayOptions } from '../../src/gateway.ts'
import { loadModel } from '../../src/model/load.ts'
import { memoryLogger, type GatewayDeps } from '../../src/core/deps.ts'
import { createLocalInvoker } from '../../src/integrations/lambda/invoke-local.ts'
import { nodeModuleLoader } from '../../src/integrations/lambda/invoke-local-node.ts'
import { createInvoker } from '../../src/integrations/lambda/invoker.ts'
import type { LambdaInvoker } from '../../src/integrations/lambda/types.ts'
import { fetchHttpClient } from '../../src/integrations/http/index.ts'

export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures')

/** A clock tests move by hand. */
export function fakeClock(start = Date.UTC(2026, 0, 15, 12, 0, 0)) {
  let t = start
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms
    },
    set: (ms: number) => {
      t = ms
    },
  }
}

/** An invoker whose function answers are given by the test; records every event. */
export function scriptedInvoker(answer: (event: any, target: any) => unknown | Promise<unknown>) {
  const events: any[] = []
  const invoker: LambdaInvoker = {
    async invoke({ event, target }) {
      events.push(event)
      const out = await answer(event, target)
      if (out && typeof out === 'object' && (out as any).__raw !== undefined) return { kind: 'ok', payload: (out as any).__raw }
      if (out && typeof out === 'object' && (out as any).__error) {
        const e = (out as any).__error
        return { kind: 'function-error', payload: JSON.stringify(e), errorType: e.errorType, errorMessage: e.errorMessage }
      }
      return { kind: 'ok', payload: JSON.stringify(out ?? null) }
    },
  }
  return { invoker, events }
}

/** Loads `config` and builds a gateway around it; defaults: access log on, memory logger. */
export function makeGateway(
  config: unknown,
  opts: { invoker?: LambdaInvoker; deps?: Partial<GatewayDeps>; baseDir?: string; gateway?: CreateGatewayOptions } = {},
) {
  const { model, warnings } = loadModel(config, { baseDir: opts.baseDir ?? FIXTURES })
  const logger = memoryLogger()
  const clock = fakeClock()
  const local = createLocalInvoker({
    loadModule: nodeModuleLoader(model.baseDir!),
    region: model.settings.region,
    accountId: model.settings.accountId,
    now: clock.now,
  })
  const deps: GatewayDeps = {
    clock,
    logger,
    invoker: opts.invoker ?? createInvoker({ local, aws: local }),
    httpClient: fetchHttpClient(),
    ...opts.deps,
  }
  const gateway = createGateway(model, deps, opts.gateway)
  return { gateway, app: gateway.app, model, warnings, logger, clock, deps }
}

/** A REST API config with the given routes on stage prod. */
export function restApi(routes: unknown[], extra: Record<string, unknown> = {}) {
  return { apis: [{ name: 'rest', type: 'REST', stages: [{ name: 'prod', variables: { v: 'x' } }], routes, ...extra }] }
}

/** An HTTP API config with the given routes on $default. */
export function httpApi(routes: unknown[], extra: Record<string, unknown> = {}) {
  return { apis: [{ name: 'http', type: 'HTTP', routes, ...extra }] }
}

export const mock = (body: string, statusCode = 200) => ({ type: 'mock', statusCode, body })
