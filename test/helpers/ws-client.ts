/**
 * WebSocket clients for tests over real sockets: Node's global WebSocket (what browsers
 * offer), and the `ws` client where a test needs what browsers hide (a refused handshake's
 * status, binary frames of a chosen size, the server's close frame as sent).
 */
import WebSocketClient from 'ws'

export interface TestSocket {
  socket: WebSocket
  /** Frames received so far (text). */
  messages: string[]
  /** The next frame not yet taken by next(); rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<string>
  /** Resolves once the connection closed, with the close code and reason the client saw. */
  closed: Promise<{ code: number; reason: string }>
  send(text: string): void
  close(code?: number, reason?: string): void
}

/** Opens a socket with Node's global WebSocket; rejects when the handshake fails. */
export function openSocket(url: string, protocols?: string | string[]): Promise<TestSocket> {
  const socket = new WebSocket(url, protocols)
  const messages: string[] = []
  let taken = 0
  const waiters: (() => void)[] = []
  socket.addEventListener('message', (e) => {
    messages.push(typeof e.data === 'string' ? e.data : `<binary ${(e.data as ArrayBuffer).byteLength ?? '?'}>`)
    for (const w of waiters.splice(0)) w()
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason }))
  })
  const client: TestSocket = {
    socket,
    messages,
    next(timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const take = () => {
          if (taken < messages.length) {
            clearTimeout(timer)
            resolve(messages[taken++]!)
            return true
          }
          return false
        }
        const timer = setTimeout(() => reject(new Error(`no frame within ${timeoutMs} ms (got ${JSON.stringify(messages)})`)), timeoutMs)
        if (take()) return
        const wait = () => {
          if (!take()) waiters.push(wait)
        }
        waiters.push(wait)
      })
    },
    closed,
    send: (text) => socket.send(text),
    close: (code, reason) => socket.close(code, reason),
  }
  socket.binaryType = 'arraybuffer'
  return new Promise((resolve, reject) => {
    socket.addEventListener('open', () => resolve(client), { once: true })
    socket.addEventListener('error', () => reject(new Error(`handshake with ${url} failed`)), { once: true })
  })
}

/** No frame arrives within `ms` (after what was already taken). */
export async function expectNoFrame(client: TestSocket, ms = 300): Promise<void> {
  const before = client.messages.length
  await new Promise((r) => setTimeout(r, ms))
  if (client.messages.length !== before) throw new Error(`unexpected frame(s): ${JSON.stringify(client.messages.slice(before))}`)
}

/** The HTTP status of a handshake the server refuses (101 when it accepts; the socket is then closed). */
export function handshakeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocketClient(url, { headers })
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      res.resume()
      ws.terminate()
    })
    ws.on('open', () => {
      resolve(101)
      ws.close()
    })
    ws.on('error', (e) => reject(e))
  })
}

/** A `ws` client, for frames browsers cannot send (binary, oversized). */
export function openRawSocket(url: string): Promise<{ ws: WebSocketClient; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocketClient(url)
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, closed }))
    ws.once('error', reject)
  })
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined) return value
    if (Date.now() > until) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}
