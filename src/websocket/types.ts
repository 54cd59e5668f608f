/**
 * The contract between the gateway's WebSocket engine (runtime-neutral: route selection,
 * Lambda events, frames) and the runtimes that hold the sockets (Node's ws, Bun.serve, a
 * Durable Object on Workers).
 */
import type { ClientInfoSource } from '../core/deps.ts'
import type { ConnectionMeta } from '../integrations/lambda/event-websocket.ts'

export type { ConnectionMeta } from '../integrations/lambda/event-websocket.ts'

/** One open socket, as the engine writes to it. */
export interface WebSocketPeer {
  /** Sends a text frame (bytes: a binary frame). */
  send(data: string | Uint8Array): void
  /** Closes the connection with this code and reason ($disconnect reports them). */
  close(code: number, reason: string): void
}

/** What a runtime does with a socket's traffic: hand it to the engine. */
export interface WebSocketEngine {
  /** The API's id. */
  readonly apiId: string
  /** Limits the runtime applies before the engine sees a frame (Node's and Bun's max payload). */
  readonly maxMessageBytes: number
  /** idleTimeoutSeconds / maxConnectionSeconds; 0 is off. */
  readonly idleTimeoutMs: number
  readonly maxConnectionMs: number
  /**
   * A message from the client: binary frames close with 1003, oversized ones with 1009; text is
   * routed, its integration invoked, and the answer (route response) or an error frame sent.
   * Never rejects.
   */
  message(meta: ConnectionMeta, data: string | ArrayBuffer | Uint8Array, peer: WebSocketPeer): Promise<void>
  /** The connection closed: $disconnect runs (best effort, never rejects). */
  disconnect(meta: ConnectionMeta, code: number, reason: string): Promise<void>
}

/** A handshake the gateway accepted ($connect's authorizer and integration said yes). */
export interface WebSocketSession {
  meta: ConnectionMeta
  engine: WebSocketEngine
  /** Sec-WebSocket-Protocol the $connect integration answered with (none: no subprotocol). */
  protocol?: string
  /** Further headers of the $connect answer, for the 101 response. */
  headers: [string, string][]
}

/**
 * The runtime's half of a handshake: upgrade the request (with the runtime's env: Node's
 * {incoming}, Bun's server, Worker bindings) and wire the socket to the session.
 */
export interface WebSocketAcceptor {
  accept(source: ClientInfoSource, session: WebSocketSession): Response | Promise<Response>
}
