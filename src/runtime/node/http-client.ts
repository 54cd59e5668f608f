/**
 * The HTTP proxy's client on Node: undici's request() over a keep-alive Agent that pools
 * connections per backend origin. Bodies stream both ways as web streams.
 */
import { Readable } from 'node:stream'
import { Agent, request } from 'undici'
import type { HttpClient } from '../../core/deps.ts'

export interface NodeHttpClientOptions {
  /** Connections kept per origin (undici's default is unlimited). */
  connectionsPerOrigin?: number
  /** How long an idle connection is kept, ms. */
  keepAliveTimeoutMs?: number
}

/** Largest answer (by Content-Length) read whole instead of streamed. */
const BUFFER_LIMIT = 64 * 1024

/** Creates a pooled client; call `close()` on shutdown. */
export function nodeHttpClient(opts: NodeHttpClientOptions = {}): HttpClient & { close(): Promise<void> } {
  const agent = new Agent({
    connections: opts.connectionsPerOrigin ?? 128,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 30_000,
    // The gateway applies its own integration timeout; these only stop undici's defaults
    // (300 s) from cutting a slow but allowed backend.
    headersTimeout: 0,
    bodyTimeout: 0,
  })
  return {
    async send(r) {
      const headers: Record<string, string | string[]> = {}
      for (const [name, value] of r.headers) {
        const prior = headers[name]
        headers[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value]
      }
      const res = await request(r.url, {
        method: r.method as 'GET',
        headers,
        body: r.body ? Readable.fromWeb(r.body as import('node:stream/web').ReadableStream) : null,
        signal: r.signal,
        dispatcher: agent,
      })
      const out: [string, string][] = []
      for (const [name, value] of Object.entries(res.headers)) {
        if (value === undefined) continue
        if (Array.isArray(value)) for (const v of value) out.push([name, v])
        else out.push([name, value])
      }
      // Small answers of known length are read whole and written in one go, as nginx's proxy
      // buffers do; anything larger, or of unknown length, streams through.
      const length = Number(res.headers['content-length'])
      if (Number.isFinite(length) && length <= BUFFER_LIMIT) {
        return { status: res.statusCode, headers: out, body: new Uint8Array(await res.body.arrayBuffer()) }
      }
      const body = Readable.toWeb(res.body) as unknown as ReadableStream<Uint8Array>
      return { status: res.statusCode, headers: out, body }
    },
    close: () => agent.close(),
  }
}
