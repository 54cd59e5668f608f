/**
 * The HTTP proxy's client on Node: undici's dispatcher over a keep-alive Agent that pools
 * connections per backend origin. Bodies stream both ways as web streams.
 */
import { Readable } from 'node:stream'
import { Agent, util, type Dispatcher } from 'undici'
import type { HttpClient, OutboundResponse } from '../../core/deps.ts'

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
    send(r) {
      const headers: Record<string, string | string[]> = {}
      for (const [name, value] of r.headers) {
        const prior = headers[name]
        headers[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value]
      }
      const url = splitHref(r.url)
      return new Promise<OutboundResponse>((resolve, reject) => {
        // agent.dispatch with a handler of our own, rather than request(): no Node Readable
        // per answer, and no Readable.toWeb() between undici and the web stream.
        agent.dispatch(
          {
            origin: url.origin,
            path: url.path,
            method: r.method as 'GET',
            headers,
            body: r.body ? Readable.fromWeb(r.body as import('node:stream/web').ReadableStream) : null,
          },
          // undici's types list only its newer handler shape; it runs this (legacy) one natively.
          new AnswerHandler(resolve, reject, r.signal) as unknown as Dispatcher.DispatchHandler,
        )
      })
    },
    close: () => agent.close(),
  }
}

/**
 * Origin and path + query of an absolute URL. The proxy hands over URLs WHATWG URL has
 * already serialised (scheme://host[:port]/path?query), so slicing is enough; anything else
 * goes through URL.
 */
function splitHref(href: string): { origin: string; path: string } {
  const hostStart = href.indexOf('://') + 3
  const slash = hostStart > 2 ? href.indexOf('/', hostStart) : -1
  // Userinfo (user:pass@) is not part of an origin: URL drops it.
  if (slash > 0 && !href.includes('#') && href.lastIndexOf('@', slash) < hostStart) return { origin: href.slice(0, slash), path: href.slice(slash) }
  const url = new URL(href)
  return { origin: url.origin, path: url.pathname + url.search }
}

/**
 * Receives one backend answer from undici (its dispatch handler interface). Small answers of
 * known length are read whole and handed over as bytes, written in one go as nginx's proxy
 * buffers do; anything larger, or of unknown length, streams through a web ReadableStream
 * that pauses the socket when the reader falls behind.
 */
class AnswerHandler {
  private abort: ((reason?: unknown) => void) | undefined
  private status = 0
  private headers: [string, string][] = []
  /** Buffering: the chunks so far. */
  private chunks: Buffer[] | undefined
  /** Streaming: the stream's controller once the answer has started. */
  private stream: ReadableStreamDefaultController<Uint8Array> | undefined
  private resumeSocket: (() => void) | undefined
  private settled = false
  private readonly resolve: (answer: OutboundResponse) => void
  private readonly reject: (error: unknown) => void
  private readonly signal: AbortSignal
  private readonly onAbort = () => this.abort?.(this.signal.reason)

  constructor(resolve: (answer: OutboundResponse) => void, reject: (error: unknown) => void, signal: AbortSignal) {
    this.resolve = resolve
    this.reject = reject
    this.signal = signal
    // Until the answer is handed over (buffered bodies included), aborting stops it.
    if (!signal.aborted) signal.addEventListener('abort', this.onAbort, { once: true })
  }

  onConnect(abort: (reason?: unknown) => void): void {
    this.abort = abort
    if (this.signal.aborted) abort(this.signal.reason)
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // Informational answers (100 Continue) are not the answer.
    if (statusCode < 200) return true
    this.status = statusCode
    const parsed = util.parseHeaders(rawHeaders) as Record<string, string | string[] | undefined>
    for (const [name, value] of Object.entries(parsed)) {
      if (value === undefined) continue
      if (Array.isArray(value)) for (const v of value) this.headers.push([name, v])
      else this.headers.push([name, value])
    }
    const length = Number(parsed['content-length'])
    if (Number.isFinite(length) && length <= BUFFER_LIMIT) {
      this.chunks = []
      return true
    }
    this.resumeSocket = resume
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.stream = controller
      },
      pull: () => this.resumeSocket?.(),
      cancel: (reason) => this.abort?.(reason ?? new Error('the response body was cancelled')),
    })
    this.handOver(body)
    return true
  }

  onData(chunk: Buffer): boolean {
    if (this.chunks) {
      this.chunks.push(chunk)
      return true
    }
    const stream = this.stream
    if (!stream) return true
    stream.enqueue(chunk)
    // false pauses the socket until pull() resumes it.
    return (stream.desiredSize ?? 1) > 0
  }

  onComplete(): void {
    if (this.chunks) {
      const chunks = this.chunks
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
      this.handOver(new Uint8Array(body.buffer, body.byteOffset, body.byteLength))
      return
    }
    try {
      this.stream?.close()
    } catch {
      // Already cancelled by the reader.
    }
  }

  onError(error: unknown): void {
    if (!this.settled) {
      this.settled = true
      this.signal.removeEventListener('abort', this.onAbort)
      this.reject(error)
      return
    }
    try {
      this.stream?.error(error)
    } catch {
      // Already closed or cancelled.
    }
  }

  private handOver(body: OutboundResponse['body']): void {
    this.settled = true
    this.signal.removeEventListener('abort', this.onAbort)
    this.resolve({ status: this.status, headers: this.headers, body })
  }
}
