/**
 * Node.js runtime: serves a gateway with @hono/node-server. Local Lambda handlers are
 * imported from disk, remote ones go through the Invoke API, HTTP backends through a
 * keep-alive pool.
 */
import { serve, type HttpBindings } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import type { Context } from 'hono'
import { createGateway, type Gateway } from '../../gateway.ts'
import { consoleLogger, systemClock, type Clock, type ClientInfo, type GatewayDeps, type Logger } from '../../core/deps.ts'
import type { GatewayModel } from '../../model/load.ts'
import { modelFrom } from '../../model/load-file.ts'
import { createLocalInvoker } from '../../integrations/lambda/invoke-local.ts'
import { applyFunctionEnvironment, nodeModuleLoader } from '../../integrations/lambda/invoke-local-node.ts'
import { createAwsInvoker } from '../../integrations/lambda/invoke-aws.ts'
import { createInvoker } from '../../integrations/lambda/invoker.ts'
import { nodeHttpClient } from './http-client.ts'
import { installCrashGuard } from './crash-guard.ts'

/** Connection details from Node's IncomingMessage (client casing of header names included). */
export function nodeClientInfo(c: Context): ClientInfo {
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
}

/** The deps a Node process uses for a model. */
export function nodeDeps(model: GatewayModel, opts: NodeDepsOptions = {}): GatewayDeps & { close(): Promise<void> } {
  const clock = opts.clock ?? systemClock
  const env = opts.env ?? process.env
  const logger = opts.logger ?? consoleLogger({ quiet: env.PORTICO_QUIET === '1' })
  for (const warning of applyFunctionEnvironment(model.functions)) logger.warn(warning)
  const local = createLocalInvoker({
    loadModule: nodeModuleLoader(model.baseDir ?? process.cwd()),
    region: model.settings.region,
    accountId: model.settings.accountId,
    now: () => clock.now(),
  })
  const aws = createAwsInvoker({ region: model.settings.region, env })
  const httpClient = nodeHttpClient()
  return {
    clock,
    logger,
    invoker: createInvoker({ local, aws }),
    httpClient,
    clientInfo: nodeClientInfo,
    env,
    close: () => httpClient.close(),
  }
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
}

export interface RunningGateway {
  gateway: Gateway
  server: Server
  /** http://host:port */
  url: string
  port: number
  close(): Promise<void>
}

/** Loads the config (when given a file), builds the gateway and listens. */
export async function startNode(opts: StartOptions): Promise<RunningGateway> {
  const model = await modelFrom(opts, (w) => (opts.logger ?? consoleLogger()).warn(w))
  const deps = nodeDeps(model, { logger: opts.logger, clock: opts.clock })
  installCrashGuard(deps.logger)
  const gateway = createGateway(model, deps)
  await gateway.ready
  const hostname = opts.hostname ?? '127.0.0.1'
  const server = await new Promise<Server>((resolveServer, reject) => {
    // Node's own header limit (16 KiB) must not undercut the gateway's configurable one.
    // Past this Node answers a bare 431 itself, so leave room for the gateway's own answer.
    const maxHeaderSize = Math.max(65_536, model.settings.maxHeaderBytes * 2)
    const s = serve(
      { fetch: gateway.fetch, port: opts.port ?? 8787, hostname, serverOptions: { maxHeaderSize } },
      () => resolveServer(s as Server),
    ) as Server
    s.once('error', reject)
  })
  // Keep-alive sockets outlive a benchmark run otherwise; the header limit is the gateway's job.
  server.keepAliveTimeout = 65_000
  const port = (server.address() as AddressInfo).port
  return {
    gateway,
    server,
    port,
    url: `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}`,
    async close() {
      await new Promise<void>((r) => {
        server.close(() => r())
        server.closeAllConnections?.()
      })
      await deps.close()
    },
  }
}
