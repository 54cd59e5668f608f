/**
 * Bun runtime: serves a gateway with Bun.serve. Local Lambda handlers are imported from disk
 * (Bun runs TypeScript handlers as they are), remote ones go through the Invoke API, HTTP
 * backends through Bun's fetch, which keeps connections alive per origin.
 *
 *   bun src/runtime/bun/index.ts [--config portico.yaml] [--port 8787] [--host 127.0.0.1]
 */
import { parseArgs } from 'node:util'
import { createGateway } from '../../gateway.ts'
import { processInvoker } from '../lambda-invoker.ts'
import { consoleLogger, systemClock, type Clock, type ClientInfo, type ClientInfoSource, type GatewayDeps, type Logger, type Stores } from '../../core/deps.ts'
import { ConfigError, formatIssue, type GatewayModel } from '../../model/load.ts'
import { modelFrom } from '../../model/load-file.ts'
import { installCrashGuard } from '../node/crash-guard.ts'
import { storeSpec, type RunningGateway, type StartOptions } from '../node/index.ts'
import { cachesResponses, openStores } from '../../storage/open.ts'
import { fetchHttpClient } from '../../integrations/http/index.ts'
import { formatTable, routeTable } from '../../cli/routes.ts'
import { openConnectionHub } from '../connection-hub.ts'
import { localSession, type LocalSessionHandlers } from '../../websocket/local.ts'
import type { WebSocketAcceptor } from '../../websocket/types.ts'
import type { LocalConnectionHub } from '../../storage/ports.ts'

/** The parts of Bun's Server this module uses (declared here: bun-types is not a dependency). */
export interface BunServer {
  readonly port: number
  readonly hostname: string
  requestIP(request: Request): { address: string; family: string; port: number } | null
  stop(closeActiveConnections?: boolean): Promise<void> | void
  /** Upgrades to a WebSocket; `data` becomes the socket's `data`. False when the request is not an upgrade. */
  upgrade(request: Request, options: { headers?: HeadersInit; data: BunSocketData }): boolean
}

/** What a socket carries from its handshake: the session's handlers. */
interface BunSocketData {
  handlers: LocalSessionHandlers
}

/** Bun's ServerWebSocket, the parts used here. */
interface BunServerWebSocket {
  data: BunSocketData
  send(data: string | Uint8Array): number
  close(code?: number, reason?: string): void
}

interface BunServeOptions {
  port: number
  hostname: string
  fetch(request: Request, server: BunServer): Response | Promise<Response>
  idleTimeout?: number
  development?: boolean
  websocket?: {
    maxPayloadLength?: number
    idleTimeout?: number
    perMessageDeflate?: boolean
    open(ws: BunServerWebSocket): void
    message(ws: BunServerWebSocket, message: string | Uint8Array): void
    close(ws: BunServerWebSocket, code: number, reason: string): void
  }
}

declare const Bun: { serve(options: BunServeOptions): BunServer }

/** Client address from Bun's socket; the server is the Hono env (Bun passes it to fetch). */
export function bunClientInfo(c: ClientInfoSource): ClientInfo {
  const server = c.env as BunServer | undefined
  if (!server?.requestIP) return {}
  return {
    remoteAddress: server.requestIP(c.req.raw)?.address,
    localPort: server.port,
  }
}

/**
 * Bun's fetch, told not to decompress: by default it asks backends for gzip/br/zstd and
 * decodes the body but keeps Content-Encoding, so the client would get a plain body labelled
 * gzip. The proxy passes bodies through as encoded, and Accept-Encoding as the client sent it.
 */
const passThroughFetch: typeof fetch = (input, init) => fetch(input, { ...init, decompress: false } as RequestInit)

export interface BunDepsOptions {
  logger?: Logger
  clock?: Clock
  env?: Record<string, string | undefined>
  /** Completes WebSocket handshakes (bunWebSocketAcceptor); without it upgrades are refused. */
  websocket?: WebSocketAcceptor
}

/**
 * WebSockets on Bun: the gateway has run $connect; this upgrades with Bun.serve and wires the
 * socket (see bunWebSocketHandlers) to the engine and the hub.
 */
export function bunWebSocketAcceptor(hub: LocalConnectionHub, deps: { clock: Clock; logger: Logger }): WebSocketAcceptor {
  return {
    accept(source, session) {
      const server = source.env as BunServer
      const raw = source.req.raw
      const headers = new Headers(session.headers)
      // Bun would echo the client's first subprotocol; API Gateway echoes only the one $connect
      // returned. An empty value makes a client that asked for one fail, as it would on AWS.
      if (session.protocol) headers.set('Sec-WebSocket-Protocol', session.protocol)
      else if (raw.headers.get('sec-websocket-protocol')) headers.set('Sec-WebSocket-Protocol', '')
      const handlers = localSession(session, hub, deps)
      if (!server.upgrade(raw, { headers, data: { handlers } })) {
        return new Response(JSON.stringify({ message: 'Bad Request' }), { status: 400, headers: { 'content-type': 'application/json' } })
      }
      // Bun answers the upgrade itself; this response is not sent.
      return new Response(null)
    },
  }
}

/** Bun.serve's websocket handlers, dispatching to each socket's session. */
export function bunWebSocketHandlers(maxMessageBytes: number): NonNullable<BunServeOptions['websocket']> {
  return {
    // Past Bun's own limit the client sees 1009 but the server a bare 1006; up to twice the
    // gateway's limit, the engine closes with 1009 itself and $disconnect sees 1009.
    maxPayloadLength: maxMessageBytes * 2,
    // The gateway keeps its own idle timer (settings.websocket.idleTimeoutSeconds).
    idleTimeout: 0,
    perMessageDeflate: false,
    open(ws) {
      ws.data.handlers.open({ send: (d) => void ws.send(d), close: (code, reason) => ws.close(code, reason) })
    },
    message(ws, message) {
      ws.data.handlers.message(message)
    },
    close(ws, code, reason) {
      ws.data.handlers.close(code, reason)
    },
  }
}

/** The deps a Bun process uses for a model. */
export function bunDeps(model: GatewayModel, opts: BunDepsOptions = {}): GatewayDeps & { close(): Promise<void> } {
  const clock = opts.clock ?? systemClock
  const env = opts.env ?? process.env
  const logger = opts.logger ?? consoleLogger({ quiet: env.PORTICO_QUIET === '1' })
  const lambda = processInvoker(model, { env, logger, clock })
  return {
    clock,
    logger,
    invoker: lambda.invoker,
    httpClient: fetchHttpClient(passThroughFetch),
    clientInfo: bunClientInfo,
    env,
    websocket: opts.websocket,
    close: () => lambda.close(),
  }
}

/** Same options as the Node entry's startNode (port 0 picks a free port). */
export type BunStartOptions = StartOptions

/** What startBun returns: the Node entry's shape, with Bun's server. */
export type RunningBunGateway = Omit<RunningGateway, 'server'> & { server: BunServer }

/** Loads the config (when given a file), builds the gateway and listens. */
export async function startBun(opts: BunStartOptions): Promise<RunningBunGateway> {
  const model = await modelFrom(opts, (w) => (opts.logger ?? consoleLogger()).warn(w))
  const clock = opts.clock ?? systemClock
  const spec = storeSpec(model, opts.store)
  const opened = await openStores(spec, { clock, env: process.env, logger: opts.logger ?? consoleLogger(), cachesResponses: cachesResponses(model) })
  const logger = opts.logger ?? consoleLogger({ quiet: process.env.PORTICO_QUIET === '1' })
  // WebSocket connections: in this process, or across instances through Redis pub/sub.
  const hub = await openConnectionHub(model.apis.some((a) => a.type === 'WEBSOCKET') ? spec : 'memory', { env: process.env, logger })
  const stores: Partial<Stores> = { ...opened.stores, connectionHub: hub }
  const deps = { ...bunDeps(model, { logger: opts.logger, clock, websocket: bunWebSocketAcceptor(hub, { clock, logger }) }), stores }
  installCrashGuard(deps.logger)
  const gateway = createGateway(model, deps)
  await gateway.ready
  const hostname = opts.hostname ?? '127.0.0.1'
  const server = Bun.serve({
    port: opts.port ?? 8787,
    hostname,
    // The server is the Hono env, so bunClientInfo can ask it for the peer address.
    fetch: (request, srv) => gateway.fetch(request, srv),
    idleTimeout: idleTimeoutFor(model),
    // Bun's development mode answers unhandled errors with an HTML page; the gateway renders its own.
    development: false,
    websocket: bunWebSocketHandlers(model.settings.websocket.maxMessageBytes),
  })
  const port = server.port
  return {
    gateway,
    server,
    port,
    url: `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}`,
    async close() {
      await server.stop(true)
      await deps.close()
      await hub.close()
      await opened.close()
    },
    store: opened.description,
  }
}

/**
 * Bun's idle timeout (default 10 s) also runs while a response is pending, so it must outlast
 * the longest integration timeout; past Bun's 255 s maximum it is turned off (0). Otherwise
 * idle keep-alive connections are closed after 65 s, as on Node.
 */
function idleTimeoutFor(model: GatewayModel): number {
  let longestMs = 0
  for (const api of model.apis) for (const route of api.routes) longestMs = Math.max(longestMs, route.integration.timeoutMs)
  const needed = Math.ceil(longestMs / 1000) + 5
  return needed > 255 ? 0 : Math.max(65, needed)
}

/**
 * The Bun command line: `--config <file>` (default: PORTICO_CONFIG, then portico.yaml),
 * `--port <n>` (PORT, 8787), `--host <h>` (HOST, 127.0.0.1), `--quiet` (no access log).
 * Resolves to an exit code, or -1 while serving.
 */
export async function main(argv: string[]): Promise<number> {
  let values: { config?: string; port?: string; host?: string; quiet?: boolean }
  try {
    values = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
      },
      strict: true,
    }).values
  } catch (e) {
    console.error(`portico (bun): ${(e as Error).message}\nUsage: bun src/runtime/bun/index.ts [--config <file>] [--port 8787] [--host 127.0.0.1] [--quiet]`)
    return 1
  }
  const config = values.config ?? process.env.PORTICO_CONFIG ?? 'portico.yaml'
  const port = Number(values.port ?? process.env.PORT ?? 8787)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`portico (bun): --port must be a port number, not "${values.port ?? process.env.PORT}"`)
    return 1
  }
  if (values.quiet) process.env.PORTICO_QUIET = '1'
  let running: RunningBunGateway
  try {
    running = await startBun({ config, port, hostname: values.host ?? process.env.HOST })
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message.split('\n')[0])
      for (const issue of e.issues) console.error(`  ${formatIssue(issue)}`)
      return 1
    }
    if ((e as { code?: string }).code === 'EADDRINUSE') {
      console.error(`portico (bun): port ${port} is already in use; pick another with --port`)
      return 1
    }
    throw e
  }
  console.error(`\n${formatTable(routeTable(running.gateway.model, running.url))}\n`)
  // Tests and scripts wait for this line.
  console.error(`Portico (bun) listening at ${running.url}`)
  const stop = () => {
    running.close().then(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  return -1
}

if ((import.meta as { main?: boolean }).main) {
  const code = await main(process.argv.slice(2))
  if (code >= 0) process.exit(code)
}
