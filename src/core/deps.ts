/**
 * What a gateway needs from its surroundings, injected by the runtime adapter: clock,
 * logger, Lambda invoker, HTTP client, and how to read the client's address.
 */
import type { LambdaInvoker } from '../integrations/lambda/types.ts'
import type { AuthorizerCache, ConnectionHub, KeyStore, QuotaCounter, RateLimiter, ResponseCacheFactory } from '../storage/ports.ts'
import type { WebSocketAcceptor } from '../websocket/types.ts'

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
}

export interface Logger {
  /** One access-log line (already formatted). */
  access(line: string): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

/** An outbound HTTP request of the HTTP proxy integration. */
export interface OutboundRequest {
  url: string
  method: string
  headers: [string, string][]
  body: ReadableStream<Uint8Array> | null
  signal: AbortSignal
}

/**
 * The backend's answer. `body` streams; a client may hand over a small body it has already
 * read whole (as nginx's proxy buffers do), which the runtime then writes in one go.
 */
export interface OutboundResponse {
  status: number
  headers: [string, string][]
  body: ReadableStream<Uint8Array> | Uint8Array | null
}

/** Sends HTTP requests to backends (fetch on Workers and Bun, a keep-alive pool on Node). */
export interface HttpClient {
  send(request: OutboundRequest): Promise<OutboundResponse>
}

/** What the runtime knows about the connection. */
export interface ClientInfo {
  /** Socket peer address. */
  remoteAddress?: string
  /** Header names and values with the client's casing, alternating (Node's rawHeaders). */
  rawHeaders?: string[]
  /** Port the client connected to. */
  localPort?: number
  /** Whether the connection was TLS. */
  encrypted?: boolean
}

/**
 * What clientInfo reads: the request and the runtime's env (Node: {incoming, outgoing}; Bun:
 * the server; Workers: the bindings). A Hono Context has this shape.
 */
export interface ClientInfoSource {
  env: unknown
  req: { raw: Request }
}

export interface GatewayDeps {
  clock: Clock
  logger: Logger
  invoker: LambdaInvoker
  httpClient: HttpClient
  /** Reads connection details from the request and the runtime's env (a Hono Context is one). */
  clientInfo?: (c: ClientInfoSource) => ClientInfo
  /** Environment (process.env, Worker bindings): secrets that config names by variable. */
  env?: Record<string, string | undefined>
  /** fetch for the gateway's own calls (OIDC discovery, JWKS). Default: the global fetch. */
  fetch?: typeof fetch
  /** Shared state; memory stores when absent. */
  stores?: Partial<Stores>
  /** Completes WebSocket handshakes the gateway accepted (Node, Bun, Workers); absent: upgrades answer 501. */
  websocket?: WebSocketAcceptor
}

/** The storage ports features use. */
export interface Stores {
  authorizerCache: AuthorizerCache
  keyStore: KeyStore
  /** Per-stage response caches (memory LRU by default; the Cache API on Workers). */
  responseCache?: ResponseCacheFactory
  rateLimiter: RateLimiter
  quotaCounter: QuotaCounter
  /** WebSocket connections by id (@connections); memory when absent. */
  connectionHub: ConnectionHub
}

/** Deps with every optional port filled in (what features receive). */
export interface ResolvedDeps extends GatewayDeps {
  env: Record<string, string | undefined>
  fetch: typeof fetch
  stores: Stores
}

/** The real clock. */
export const systemClock: Clock = { now: () => Date.now() }

/** Logs to the console: access lines to stdout, the rest to stderr as JSON. */
export function consoleLogger(opts: { quiet?: boolean } = {}): Logger {
  const line = (level: string, message: string, fields?: Record<string, unknown>) =>
    console.error(JSON.stringify({ level, time: new Date().toISOString(), message, ...fields }))
  return {
    access: (l) => {
      if (!opts.quiet) console.log(l)
    },
    info: (m, f) => {
      if (!opts.quiet) line('info', m, f)
    },
    warn: (m, f) => line('warn', m, f),
    error: (m, f) => line('error', m, f),
  }
}

/** A logger that keeps every line, for tests. */
export function memoryLogger(): Logger & { lines: { level: string; message: string; fields?: Record<string, unknown> }[]; accessLines: string[] } {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = []
  const accessLines: string[] = []
  return {
    lines,
    accessLines,
    access: (l) => accessLines.push(l),
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
    error: (message, fields) => lines.push({ level: 'error', message, fields }),
  }
}
