/**
 * WebSockets on Node: @hono/node-server's upgrade support over a `ws` server. The gateway has
 * already run $connect when `accept` is called; this completes the handshake (with the
 * subprotocol $connect chose, or none) and wires the socket to the engine and the local hub.
 */
import { upgradeWebSocket, type HttpBindings } from '@hono/node-server'
import { WebSocketServer, type WebSocket } from 'ws'
import type { IncomingMessage } from 'node:http'
import type { Context } from 'hono'
import type { Clock, Logger } from '../../core/deps.ts'
import type { LocalConnectionHub } from '../../storage/ports.ts'
import type { WebSocketAcceptor } from '../../websocket/types.ts'
import { localSession } from '../../websocket/local.ts'

export interface NodeWebSockets {
  acceptor: WebSocketAcceptor
  /** The ws server to give @hono/node-server's serve({ websocket: { server } }). */
  server: WebSocketServer
  /** Closes every open socket with 1001 (their $disconnect runs) and the ws server. */
  close(): Promise<void>
}

/**
 * The WebSocket side of a Node gateway.
 * @param maxMessageBytes larger messages close the connection with 1009 (ws enforces it while reading)
 */
export function nodeWebSockets(hub: LocalConnectionHub, opts: { clock: Clock; logger: Logger; maxMessageBytes: number }): NodeWebSockets {
  // The subprotocol $connect answered with, per handshake; none means the server selects none.
  const chosen = new WeakMap<IncomingMessage, string | undefined>()
  const server = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxMessageBytes,
    // API Gateway does not negotiate compression.
    perMessageDeflate: false,
    // ws would pick the client's first subprotocol; API Gateway only echoes the one $connect returned.
    handleProtocols: (_offered, request) => chosen.get(request) ?? false,
  })
  const acceptor: WebSocketAcceptor = {
    async accept(source, session) {
      const incoming = (source.env as HttpBindings | undefined)?.incoming
      if (incoming) chosen.set(incoming, session.protocol)
      const handlers = localSession(session, hub, opts)
      // @hono/node-server's helper reads these of a Hono Context (the gateway serves without one).
      const raw = source.req.raw
      const c = { env: source.env, req: { raw, url: raw.url, header: (name: string) => raw.headers.get(name) ?? undefined } } as unknown as Context
      await upgradeWebSocket(c, {
        onOpen(_event, ws) {
          const raw = ws.raw as WebSocket
          handlers.open({
            send: (data) => raw.send(data),
            close: (code, reason) => raw.close(code, reason),
          })
        },
        onMessage(event) {
          handlers.message(event.data as string | ArrayBuffer)
        },
        onClose(event) {
          handlers.close(event.code, event.reason)
        },
      }, { onError: (e) => opts.logger.error('WebSocket handler failed', { connectionId: session.meta.connectionId, error: String(e) }) })
      // @hono/node-server adds these headers to the 101 answer.
      return new Response(null, { headers: session.headers })
    },
  }
  return {
    acceptor,
    server,
    async close() {
      for (const client of server.clients) client.close(1001, 'Going away')
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      // A client that does not answer the close frame is cut off after a second, not ws's 30.
      const grace = new Promise<void>((resolve) => setTimeout(resolve, 1000).unref())
      await Promise.race([closed, grace])
      for (const client of server.clients) client.terminate()
      await closed
    },
  }
}
