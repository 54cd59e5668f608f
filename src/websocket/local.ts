/**
 * A connection whose socket this process holds (Node, Bun): registered in the local hub while
 * open, its messages handed to the engine, its idle and maximum-duration timers (reference
 * §9.4), and $disconnect once it closed. The runtimes adapt their socket objects to this.
 */
import type { Clock, Logger } from '../core/deps.ts'
import type { ConnectionInfo, LocalConnectionHub } from '../storage/ports.ts'
import type { WebSocketPeer, WebSocketSession } from './types.ts'
import { CLOSE_GOING_AWAY } from './engine.ts'

/** A runtime's socket, as this module needs it. */
export interface LocalSocket {
  send(data: string | Uint8Array): void
  close(code: number, reason: string): void
}

/** The three events a runtime reports for a socket. */
export interface LocalSessionHandlers {
  open(socket: LocalSocket): void
  message(data: string | ArrayBuffer | Uint8Array): void
  close(code: number, reason: string): void
}

/**
 * Wires one accepted session to a socket the runtime is about to open.
 * @param hub where @connections calls find the socket
 */
export function localSession(session: WebSocketSession, hub: LocalConnectionHub, deps: { clock: Clock; logger: Logger }): LocalSessionHandlers {
  const { meta, engine } = session
  const id = meta.connectionId
  let socket: LocalSocket | undefined
  let closed = false
  // The code and reason the gateway closed with, reported by $disconnect whatever the client answers.
  let closedBy: { code: number; reason: string } | undefined
  let idleTimer: ReturnType<typeof setTimeout> | undefined
  let maxTimer: ReturnType<typeof setTimeout> | undefined
  const info: ConnectionInfo = {
    apiId: meta.apiId,
    stage: meta.stage,
    connectedAt: meta.connectedAt,
    lastActiveAt: meta.connectedAt,
    sourceIp: meta.sourceIp,
    ...(meta.userAgent !== undefined ? { userAgent: meta.userAgent } : {}),
  }

  const closeSocket = (code: number, reason: string) => {
    if (!socket || closedBy) return
    closedBy = { code, reason }
    socket.close(code, reason)
  }
  const goAway = () => closeSocket(CLOSE_GOING_AWAY, 'Going away')
  const resetIdle = () => {
    if (engine.idleTimeoutMs <= 0 || closed) return
    if (idleTimer !== undefined) clearTimeout(idleTimer)
    idleTimer = setTimeout(goAway, engine.idleTimeoutMs)
    unref(idleTimer)
  }
  const send = (data: string | Uint8Array) => {
    if (closed || !socket) return
    socket.send(data)
    resetIdle()
  }
  const peer: WebSocketPeer = { send, close: closeSocket }

  return {
    open(s) {
      socket = s
      void hub.add(id, { info, send, close: closeSocket }).catch((e: unknown) => {
        deps.logger.error('WebSocket connection could not be registered', { connectionId: id, error: String(e) })
      })
      resetIdle()
      if (engine.maxConnectionMs > 0) {
        maxTimer = setTimeout(goAway, engine.maxConnectionMs)
        unref(maxTimer)
      }
    },
    message(data) {
      if (closed) return
      hub.touch(id, deps.clock.now())
      resetIdle()
      void engine.message(meta, data, peer)
    },
    close(code, reason) {
      if (closed) return
      closed = true
      if (idleTimer !== undefined) clearTimeout(idleTimer)
      if (maxTimer !== undefined) clearTimeout(maxTimer)
      void hub.remove(id).catch((e: unknown) => deps.logger.error('WebSocket connection could not be unregistered', { connectionId: id, error: String(e) }))
      void engine.disconnect(meta, closedBy?.code ?? code, closedBy ? closedBy.reason : reason)
    },
  }
}

/** Timers must not keep a stopping process alive (Node; Bun's timers have unref too). */
function unref(timer: ReturnType<typeof setTimeout>): void {
  ;(timer as { unref?: () => void }).unref?.()
}
