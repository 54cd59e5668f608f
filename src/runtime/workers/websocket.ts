/**
 * WebSockets in a Worker isolate without the hub's Durable Object binding: the socket is
 * accepted in the isolate that ran $connect (no hibernation), and @connections reaches the
 * sockets of that isolate only. With PORTICO_WEBSOCKETS bound, the Durable Object hub is used
 * instead (src/storage/durable-object/websocket-hub.ts).
 */
import type { Clock, Logger } from '../../core/deps.ts'
import type { LocalConnectionHub } from '../../storage/ports.ts'
import type { WebSocketAcceptor } from '../../websocket/types.ts'
import { localSession } from '../../websocket/local.ts'

interface IsolateWebSocket {
  accept(): void
  send(data: string | ArrayBuffer | Uint8Array): void
  close(code?: number, reason?: string): void
  addEventListener(type: 'message', listener: (event: { data: string | ArrayBuffer }) => void): void
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void
  addEventListener(type: 'error', listener: () => void): void
}
declare const WebSocketPair: { new (): { 0: IsolateWebSocket; 1: IsolateWebSocket } }

/** Accepts sockets in this isolate, registered in `hub`. */
export function isolateWebSocketAcceptor(hub: LocalConnectionHub, deps: { clock: Clock; logger: Logger }): WebSocketAcceptor {
  return {
    accept(_source, session) {
      const pair = new WebSocketPair()
      const client = pair[0]
      const server = pair[1]
      server.accept()
      const handlers = localSession(session, hub, deps)
      handlers.open({ send: (data) => server.send(data), close: (code, reason) => server.close(code, reason) })
      server.addEventListener('message', (event) => handlers.message(event.data))
      server.addEventListener('close', (event) => {
        handlers.close(event.code, event.reason)
        try {
          server.close(event.code >= 3000 || (event.code >= 1000 && event.code <= 1003) ? event.code : 1000, event.reason)
        } catch {
          // Already closed.
        }
      })
      server.addEventListener('error', () => handlers.close(1006, ''))
      const headers = new Headers(session.headers)
      if (session.protocol) headers.set('Sec-WebSocket-Protocol', session.protocol)
      return new Response(null, { status: 101, webSocket: client, headers } as ResponseInit)
    },
  }
}
