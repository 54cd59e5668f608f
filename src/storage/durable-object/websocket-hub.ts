/**
 * The Worker's side of the Durable Object WebSocket hub (websocket-hub.object.ts): the
 * ConnectionHub port over RPC to the connection's object, and the acceptor that forwards an
 * accepted handshake to it. The object is named after the connection id, so any isolate
 * reaches a connection's socket knowing only its id. Nothing here imports from Cloudflare.
 */
import type { ConnectionHub, ConnectionInfo } from '../ports.ts'
import type { WebSocketAcceptor } from '../../websocket/types.ts'
import type { NamespaceLike } from './index.ts'
import { SESSION_HEADER, type ForwardedSession } from './websocket-hub.object.ts'

/** The binding name wrangler.toml declares for the hub. */
export const WEBSOCKET_HUB_BINDING = 'PORTICO_WEBSOCKETS'

/** The hub object's RPC surface, as its stub exposes it. */
export interface WebSocketHubStub {
  fetch(request: Request): Promise<Response>
  post(data: string | ArrayBuffer): Promise<boolean>
  info(): Promise<ConnectionInfo | undefined>
  disconnect(): Promise<boolean>
}

const stubOf = (ns: NamespaceLike<WebSocketHubStub>, connectionId: string) => ns.get(ns.idFromName(connectionId) as never)

/** ConnectionHub over the hub objects, one per connection. */
export function durableObjectConnectionHub(ns: NamespaceLike<WebSocketHubStub>): ConnectionHub {
  return {
    post(id, data) {
      // RPC carries ArrayBuffers; a view is copied out of whatever buffer it sits in.
      const payload = typeof data === 'string' ? data : data.slice().buffer
      return stubOf(ns, id).post(payload)
    },
    info: (id) => stubOf(ns, id).info(),
    disconnect: (id) => stubOf(ns, id).disconnect(),
  }
}

/** Completes a handshake by forwarding the upgrade, with the session, to the connection's object. */
export function durableObjectWebSocketAcceptor(ns: NamespaceLike<WebSocketHubStub>): WebSocketAcceptor {
  return {
    accept(source, session) {
      const forwarded: ForwardedSession = { meta: session.meta, protocol: session.protocol, headers: session.headers }
      const headers = new Headers(source.req.raw.headers)
      headers.set(SESSION_HEADER, encodeURIComponent(JSON.stringify(forwarded)))
      return stubOf(ns, session.meta.connectionId).fetch(new Request('https://portico.websocket/connect', { headers }))
    },
  }
}
