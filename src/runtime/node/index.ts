/**
 * Node.js runtime: serves a gateway with @hono/node-server. Local Lambda handlers are
 * imported from disk, remote ones go through the Invoke API, HTTP backends through a
 * keep-alive pool.
 */
import { serve, type HttpBindings } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { createGateway, type Gateway } from '../../gateway.ts'
import { processInvoker } from '../lambda-invoker.ts'
import { consoleLogger, systemClock, type Clock, type ClientInfo, type ClientInfoSource, type GatewayDeps, type Logger, type Stores } from '../../core/deps.ts'
import { cachesResponses, openStores } from '../../storage/open.ts'
import type { GatewayModel } from '../../model/load.ts'
import { loadConfigFile, modelFrom, type LoadFileOptions } from '../../model/load-file.ts'
import { ConfigError, formatIssue } from '../../model/load.ts'
import { watch } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { nodeHttpClient } from './http-client.ts'
import { installCrashGuard } from './crash-guard.ts'
import { nodeWebSockets } from './websocket.ts'
import { memoryConnectionHub } from '../../storage/memory/connection-hub.ts'
import { openConnectionHub } from '../connection-hub.ts'
import type { WebSocketAcceptor } from '../../websocket/types.ts'

/** Connection details from Node's IncomingMessage (client casing of header names included). */
export function nodeClientInfo(c: ClientInfoSource): ClientInfo {
  const incoming = (c.env as HttpBindings | undefined)?.incoming
  if (!incoming) return {}
  const socket = incoming.socket
  return {
    remoteAddress: socket?.remoteAddress,
    rawHeaders: incoming.rawHeaders,
    localPort: socket?.localPort,
    encrypted: Boolean((socket as { encrypted?: boolean } | undefined)?.encrypted),
  }
}

export interface NodeDepsOptions {
  logger?: Logger
  clock?: Clock
  env?: Record<string, string | undefined>
  /** Shared state (from openStores); memory when absent. */
  stores?: Partial<Stores>
  /** Completes WebSocket handshakes (nodeWebSockets); without it upgrades are refused. */
  websocket?: WebSocketAcceptor
}

/** The deps a Node process uses for a model. */
export function nodeDeps(model: GatewayModel, opts: NodeDepsOptions = {}): GatewayDeps & { close(): Promise<void> } {
  const clock = opts.clock ?? systemClock
  const env = opts.env ?? process.env
  const logger = opts.logger ?? consoleLogger({ quiet: env.PORTICO_QUIET === '1' })
  const lambda = processInvoker(model, { env, logger, clock })
  const httpClient = nodeHttpClient()
  return {
    clock,
    logger,
    invoker: lambda.invoker,
    httpClient,
    clientInfo: nodeClientInfo,
    env,
    stores: opts.stores,
    websocket: opts.websocket,
    close: async () => {
      await Promise.all([httpClient.close(), lambda.close()])
    },
  }
}

/** The store to open: --store, else PORTICO_STORE, else the config's settings.store. */
export function storeSpec(model: GatewayModel, given?: string, env: Record<string, string | undefined> = process.env): string {
  return given ?? env.PORTICO_STORE ?? model.settings.store
}

export interface StartOptions {
  /** Config file (YAML, JSON, TS). */
  config?: string
  /** Or an already loaded model. */
  model?: GatewayModel
  port?: number
  hostname?: string
  logger?: Logger
  clock?: Clock
  /** Reload the config and local handlers when files next to the config change. */
  watch?: boolean
  /** Store spec (memory, sqlite:<path>, redis://..., upstash); default PORTICO_STORE, then settings.store. */
  store?: string
  /** How to read the config file (serverless --stage, OpenAPI lambda mapping, ...). */
  load?: LoadFileOptions
}

export interface RunningGateway {
  gateway: Gateway
  server: Server
  /** http://host:port */
  url: string
  port: number
  close(): Promise<void>
  /** The store in use, without credentials. */
  store: string
}

/** Loads the config (when given a file), builds the gateway and listens. */
export async function startNode(opts: StartOptions): Promise<RunningGateway> {
  const model = await modelFrom(opts, (w) => (opts.logger ?? consoleLogger()).warn(w))
  const clock = opts.clock ?? systemClock
  const spec = storeSpec(model, opts.store)
  const opened = await openStores(spec, { clock, env: process.env, logger: opts.logger ?? consoleLogger(), cachesResponses: cachesResponses(model) })
  const logger = opts.logger ?? consoleLogger({ quiet: process.env.PORTICO_QUIET === '1' })
  // WebSocket connections: in this process, or across instances through Redis pub/sub.
  const hub = model.apis.some((a) => a.type === 'WEBSOCKET') ? await openConnectionHub(spec, { env: process.env, logger }) : memoryConnectionHub()
  const sockets = nodeWebSockets(hub, { clock, logger, maxMessageBytes: model.settings.websocket.maxMessageBytes })
  const stores: Partial<Stores> = { ...opened.stores, connectionHub: hub }
  const deps = nodeDeps(model, { logger: opts.logger, clock, stores, websocket: sockets.acceptor })
  installCrashGuard(deps.logger)
  const gateway = createGateway(model, deps)
  await gateway.ready
  // Requests go to whichever gateway is current; a reload swaps it, in-flight requests finish
  // on the one they started with.
  const current = { gateway, deps }
  const hostname = opts.hostname ?? '127.0.0.1'
  const server = await new Promise<Server>((resolveServer, reject) => {
    // Node's own header limit (16 KiB) must not undercut the gateway's configurable one.
    // Past this Node answers a bare 431 itself, so leave room for the gateway's own answer.
    const maxHeaderSize = Math.max(65_536, model.settings.maxHeaderBytes * 2)
    const s = serve(
      {
        fetch: (req, env) => current.gateway.fetch(req, env),
        port: opts.port ?? 8787,
        hostname,
        serverOptions: { maxHeaderSize },
        websocket: { server: sockets.server },
      },
      () => resolveServer(s as Server),
    ) as Server
    s.once('error', reject)
  })
  // Keep-alive sockets outlive a benchmark run otherwise; the header limit is the gateway's job.
  server.keepAliveTimeout = 65_000
  // A client that sends its request and then closes its side (shutdown(SHUT_WR), `curl` with
  // a body piped in, some proxies) still gets its answer: Node's default aborts the request and
  // ends the socket at once, so any answer that waited on I/O was lost. With this Node ends
  // the socket after the answer instead (httpAllowHalfOpen: set by Node's own http.Server, not
  // an option of createServer).
  ;(server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true
  const port = (server.address() as AddressInfo).port
  const stopWatching = opts.watch && opts.config ? watchConfig(opts.config, current, { ...opts, clock }, stores, sockets.acceptor) : () => {}
  return {
    get gateway() {
      return current.gateway
    },
    server,
    port,
    url: `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}`,
    async close() {
      stopWatching()
      // Open sockets first: their $disconnect still has the invoker.
      await sockets.close()
      await new Promise<void>((r) => {
        server.close(() => r())
        server.closeAllConnections?.()
      })
      await current.deps.close()
      await hub.close()
      await opened.close()
    },
    store: opened.description,
  }
}

/**
 * --watch: on a change next to the config, load it again (handlers imported afresh), build a
 * new gateway and swap it in. A config that no longer loads keeps the running one and says why.
 */
function watchConfig(
  config: string,
  current: { gateway: Gateway; deps: ReturnType<typeof nodeDeps> },
  opts: StartOptions,
  stores: Partial<Stores>,
  websocket: WebSocketAcceptor,
): () => void {
  const logger = current.deps.logger
  let version = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  const reload = async () => {
    version += 1
    try {
      const { model, warnings } = await loadConfigFile(config, { ...opts.load, version })
      for (const w of warnings) logger.warn(w)
      // The stores stay: keys, counters and caches outlive a reload.
      const deps = nodeDeps(model, { logger: opts.logger, clock: opts.clock, stores, websocket })
      const gateway = createGateway(model, deps)
      await gateway.ready
      const old = current.deps
      current.gateway = gateway
      current.deps = deps
      // Give in-flight requests on the old gateway time to finish before closing its pool.
      setTimeout(() => void old.close(), 30_000).unref()
      logger.info(`reloaded ${config}`, { routes: model.apis.reduce((n, a) => n + a.routes.length, 0) })
    } catch (e) {
      logger.error(`reload of ${config} failed; still serving the previous version`, {
        error: e instanceof ConfigError ? e.issues.map(formatIssue).join('; ') : String(e),
      })
    }
  }
  const watcher = watch(dirname(resolve(config)), { recursive: true }, (_event, name) => {
    if (name && /(^|\/)(node_modules|\.git|\.portico)(\/|$)/.test(String(name))) return
    clearTimeout(timer)
    timer = setTimeout(() => void reload(), 150)
  })
  return () => {
    clearTimeout(timer)
    watcher.close()
  }
}
