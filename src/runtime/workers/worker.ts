/**
 * Cloudflare Workers runtime (`wrangler dev`, `wrangler deploy`). The config and the local
 * handler modules come from the entry `portico build` generates, since workerd cannot read
 * files at run time; remote functions go through the Invoke API with credentials from the
 * Worker's vars and secrets; HTTP backends through fetch.
 */
import type { ExecutionContext } from 'hono'
import { createGateway, type Gateway } from '../../gateway.ts'
import { consoleLogger, systemClock, type ClientInfo, type ClientInfoSource, type GatewayDeps, type Logger } from '../../core/deps.ts'
import { loadModel, type GatewayModel } from '../../model/load.ts'
import { applyFunctionEnvironment, createLocalInvoker } from '../../integrations/lambda/invoke-local.ts'
import { createAwsInvoker } from '../../integrations/lambda/invoke-aws.ts'
import { createInvoker } from '../../integrations/lambda/invoker.ts'
import { fetchHttpClient } from '../../integrations/http/index.ts'
import { durableObjectStores, type NamespaceLike } from '../../storage/durable-object/index.ts'
import { durableObjectConnectionHub, durableObjectWebSocketAcceptor, WEBSOCKET_HUB_BINDING, type WebSocketHubStub } from '../../storage/durable-object/websocket-hub.ts'
import { WebSocketHubObject } from '../../storage/durable-object/websocket-hub.object.ts'
import { memoryConnectionHub } from '../../storage/memory/connection-hub.ts'
import { isolateWebSocketAcceptor } from './websocket.ts'
import type { WebSocketEngine } from '../../websocket/types.ts'

// Durable Object classes wrangler.toml binds (usage plans' shared state).
export { PorticoRateLimiter } from '../../storage/durable-object/rate-limiter.object.ts'
export { PorticoQuotaCounter } from '../../storage/durable-object/quota-counter.object.ts'
export { PorticoKeyStore } from '../../storage/durable-object/key-store.object.ts'

/** The Worker's bindings: vars and secrets are strings (AWS_ACCESS_KEY_ID, PORTICO_QUIET, ...). */
export type WorkerEnv = Record<string, unknown>

/** Client address from the edge's CF-Connecting-IP; scheme and port from the URL. */
export function workersClientInfo(c: ClientInfoSource): ClientInfo {
  const raw = c.req.raw
  const url = new URL(raw.url)
  const https = url.protocol === 'https:'
  return {
    remoteAddress: raw.headers.get('cf-connecting-ip') ?? undefined,
    localPort: url.port ? Number(url.port) : https ? 443 : 80,
    encrypted: https,
  }
}

/** The deps a Worker isolate uses for a model; `env` is the Worker's bindings. */
export function workersDeps(model: GatewayModel, env: WorkerEnv, logger: Logger, entry: WorkerEntry): GatewayDeps {
  const { modules, source } = entry
  const clock = systemClock
  const local = createLocalInvoker({
    loadModule: async (modulePath) => {
      const mod = modules[modulePath]
      if (!mod) {
        throw new Error(`module "${modulePath}" is not in the Worker bundle built from ${source}; run "portico build" again`)
      }
      return mod
    },
    region: model.settings.region,
    accountId: model.settings.accountId,
    now: () => clock.now(),
  })
  const bindings = stringBindings(env)
  const aws = createAwsInvoker({ region: model.settings.region, env: bindings })
  const stores = durableObjectStores(env, clock)
  // WebSockets: one hibernating Durable Object per connection when the hub is bound, else
  // sockets held by the isolate that accepted them.
  const hubNamespace = env?.[WEBSOCKET_HUB_BINDING] as NamespaceLike<WebSocketHubStub> | undefined
  let websocket
  if (hubNamespace && typeof hubNamespace.idFromName === 'function') {
    stores.connectionHub = durableObjectConnectionHub(hubNamespace)
    websocket = durableObjectWebSocketAcceptor(hubNamespace)
  } else {
    const hub = memoryConnectionHub()
    stores.connectionHub = hub
    websocket = isolateWebSocketAcceptor(hub, { clock, logger })
  }
  return {
    clock,
    logger,
    invoker: createInvoker({ local, aws }),
    httpClient: fetchHttpClient(),
    clientInfo: workersClientInfo,
    env: bindings,
    stores,
    websocket,
  }
}

function stringBindings(env: WorkerEnv): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {}
  for (const [key, value] of Object.entries(env ?? {})) if (typeof value === 'string') out[key] = value
  return out
}

/**
 * Local functions' `environment` can only reach handlers through process.env, which exists
 * with the nodejs_compat flag; without it the variables are reported as not applied.
 */
function applyEnvironment(model: GatewayModel, logger: Logger): void {
  const processEnv = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
  if (!processEnv) {
    const names = Object.values(model.functions).filter((f) => f.config.handler && Object.keys(f.config.environment).length)
    for (const fn of names) {
      logger.warn(`function "${fn.name}": environment not applied (handlers read process.env, which needs the nodejs_compat flag in wrangler.toml)`)
    }
    return
  }
  // Functions share one isolate, as they share one process on Node.
  for (const warning of applyFunctionEnvironment(model.functions, processEnv)) logger.warn(warning)
}

/** What `portico build` generates: the config, the local handler modules, the config's path. */
export interface WorkerEntry {
  config: unknown
  modules: Record<string, Record<string, unknown>>
  source: string
}

// One gateway per entry and isolate, shared by the Worker and the Durable Objects of the entry.
const gateways = new WeakMap<WorkerEntry, Gateway>()

/** The entry's gateway in this isolate, built on first use (the env bindings arrive with it). */
function gatewayFor(entry: WorkerEntry, env: WorkerEnv): Gateway {
  let gateway = gateways.get(entry)
  {
    if (!gateway) {
      const logger = consoleLogger({ quiet: env?.PORTICO_QUIET === '1' })
      const { model, warnings } = loadModel(entry.config, { source: entry.source })
      // Backstop for bundles built before portico build refused them.
      for (const fn of Object.values(model.functions)) {
        if (fn.config.runtime?.startsWith('python')) {
          throw new Error(`function "${fn.name}": Python handlers need Node or Bun (portico start, or bun); Cloudflare Workers cannot start a Python process`)
        }
      }
      for (const warning of warnings) logger.warn(warning)
      applyEnvironment(model, logger)
      gateway = createGateway(model, workersDeps(model, env, logger, entry))
      gateways.set(entry, gateway)
    }
  }
  return gateway
}

/**
 * The Worker for a generated entry: one gateway per isolate, built at the first request (the
 * env bindings arrive with it).
 */
export function createWorker(entry: WorkerEntry): { fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Response | Promise<Response> } {
  return {
    fetch(request, env, ctx) {
      return gatewayFor(entry, env).fetch(request, env, ctx)
    },
  }
}

/**
 * The WebSocket hub Durable Object class for a generated entry (bind it as PORTICO_WEBSOCKETS):
 * its sockets' messages go to the engines of the entry's gateway.
 */
export function createWebSocketHub(entry: WorkerEntry) {
  return class PorticoWebSocketHub extends WebSocketHubObject {
    protected engineFor(apiId: string): WebSocketEngine | undefined {
      return gatewayFor(entry, this.env as WorkerEnv).websocket(apiId)
    }
  }
}
