/**
 * One Durable Object per WebSocket connection (named after the connection id), holding the
 * socket with the hibernation API: the object may be evicted while the client stays
 * connected, and wakes for the next message, a @connections call or its alarm.
 *
 * The Worker runs $connect, then forwards the upgrade here (fetch) with the connection's meta;
 * messages and the close go to the API's engine (webSocketMessage, webSocketClose); the
 * @connections API calls post / info / disconnect over RPC. The idle and maximum-duration
 * limits are an alarm. The meta lives in the object's storage (an attachment is capped at
 * 2 KB, and a handshake's headers may be larger); activity times live in the attachment.
 */
import { DurableObjectClass } from './runtime.ts'
import type { HibernatableWebSocketLike } from './types.ts'
import { DELETE_CLOSE, type ConnectionInfo } from '../ports.ts'
import type { ConnectionMeta, WebSocketEngine, WebSocketPeer } from '../../websocket/types.ts'

/** The request header the Worker passes the session in (URI-encoded JSON). */
export const SESSION_HEADER = 'x-portico-websocket-session'

/** What the Worker forwards with the upgrade. */
export interface ForwardedSession {
  meta: ConnectionMeta
  protocol?: string
  headers: [string, string][]
}

interface Attachment {
  /** Last message from the client (GetConnection's lastActiveAt), ms. */
  lastActiveAt: number
  /** Last frame either way (the idle timer), ms. */
  lastTrafficAt: number
  /** Closed by the gateway (DeleteConnection, a limit): gone for @connections from then on. */
  closing?: boolean
  /** The code and reason the gateway closed with: what $disconnect reports, whatever the client answers. */
  closeCode?: number
  closeReason?: string
}

declare const WebSocketPair: { new (): { 0: HibernatableWebSocketLike; 1: HibernatableWebSocketLike } }

/** Close codes an endpoint may send (1005, 1006 and 1015 only ever describe a close). */
function sendableCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)
}

/**
 * The object. Abstract over how it finds the engine: the Worker module makes the concrete class
 * (createWebSocketHub), which builds the gateway from its bundled config.
 */
export abstract class WebSocketHubObject extends DurableObjectClass {
  private meta: ConnectionMeta | undefined

  /** The engine of a WebSocket API, from the Worker's gateway. */
  protected abstract engineFor(apiId: string): WebSocketEngine | undefined

  /** The upgrade forwarded by the Worker's gateway once $connect accepted it. */
  async fetch(request: Request): Promise<Response> {
    const raw = request.headers.get(SESSION_HEADER)
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket' || !raw) {
      return new Response('a Portico WebSocket hub takes upgrades forwarded by the gateway only', { status: 400 })
    }
    const session = JSON.parse(decodeURIComponent(raw)) as ForwardedSession
    const pair = new WebSocketPair()
    const client = pair[0]
    const server = pair[1]
    this.ctx.acceptWebSocket(server)
    const attachment: Attachment = { lastActiveAt: session.meta.connectedAt, lastTrafficAt: Date.now() }
    server.serializeAttachment(attachment)
    this.meta = session.meta
    await this.ctx.storage.put('meta', session.meta)
    await this.scheduleLimits(attachment)
    const headers = new Headers(session.headers)
    if (session.protocol) headers.set('Sec-WebSocket-Protocol', session.protocol)
    return new Response(null, { status: 101, webSocket: client, headers } as ResponseInit)
  }

  async webSocketMessage(ws: HibernatableWebSocketLike, message: string | ArrayBuffer): Promise<void> {
    const meta = await this.loadMeta()
    const attachment = this.attachment(ws)
    if (!meta || attachment.closing) return
    const now = Date.now()
    attachment.lastActiveAt = now
    attachment.lastTrafficAt = now
    ws.serializeAttachment(attachment)
    const engine = this.engineFor(meta.apiId)
    if (!engine) {
      ws.close(1011, 'Internal error')
      return
    }
    await engine.message(meta, message, this.peer(ws))
  }

  async webSocketClose(ws: HibernatableWebSocketLike, code: number, reason: string): Promise<void> {
    const attachment = this.attachment(ws)
    // Answer the client's close (older compatibility dates do not do it for us).
    if (!attachment.closing && sendableCode(code)) {
      try {
        ws.close(code, reason)
      } catch {
        // Already closed from this side.
      }
    }
    // A close the gateway started is reported as the gateway sent it.
    await this.finish(attachment.closeCode ?? code, attachment.closeCode !== undefined ? (attachment.closeReason ?? '') : reason)
  }

  async webSocketError(): Promise<void> {
    await this.finish(1006, '')
  }

  /** The idle or maximum-duration limit passed: close with 1001, as API Gateway does. */
  async alarm(): Promise<void> {
    const ws = this.ctx.getWebSockets()[0]
    const meta = await this.loadMeta()
    if (!ws || !meta) return
    const attachment = this.attachment(ws)
    if (attachment.closing) return
    const deadline = this.deadline(meta, attachment)
    if (deadline === undefined) return
    if (Date.now() < deadline) {
      await this.ctx.storage.setAlarm(deadline)
      return
    }
    attachment.closing = true
    attachment.closeCode = 1001
    attachment.closeReason = 'Going away'
    ws.serializeAttachment(attachment)
    ws.close(1001, 'Going away')
  }

  /** PostToConnection. False when the connection is gone. */
  async post(data: string | ArrayBuffer): Promise<boolean> {
    const ws = this.ctx.getWebSockets()[0]
    if (!ws) return false
    const attachment = this.attachment(ws)
    if (attachment.closing) return false
    ws.send(data)
    attachment.lastTrafficAt = Date.now()
    ws.serializeAttachment(attachment)
    return true
  }

  /** GetConnection. Undefined when the connection is gone. */
  async info(): Promise<ConnectionInfo | undefined> {
    const ws = this.ctx.getWebSockets()[0]
    const meta = await this.loadMeta()
    if (!ws || !meta) return undefined
    const attachment = this.attachment(ws)
    if (attachment.closing) return undefined
    const info: ConnectionInfo = {
      apiId: meta.apiId,
      stage: meta.stage,
      connectedAt: meta.connectedAt,
      lastActiveAt: attachment.lastActiveAt,
      sourceIp: meta.sourceIp,
    }
    if (meta.userAgent !== undefined) info.userAgent = meta.userAgent
    return info
  }

  /** DeleteConnection (1000, as AWS). False when the connection is gone. */
  async disconnect(): Promise<boolean> {
    const ws = this.ctx.getWebSockets()[0]
    if (!ws) return false
    const attachment = this.attachment(ws)
    if (attachment.closing) return false
    attachment.closing = true
    attachment.closeCode = DELETE_CLOSE.code
    attachment.closeReason = DELETE_CLOSE.reason
    ws.serializeAttachment(attachment)
    ws.close(DELETE_CLOSE.code, DELETE_CLOSE.reason)
    return true
  }

  private peer(ws: HibernatableWebSocketLike): WebSocketPeer {
    return {
      send: (data) => {
        ws.send(data)
        const attachment = this.attachment(ws)
        attachment.lastTrafficAt = Date.now()
        ws.serializeAttachment(attachment)
      },
      close: (code, reason) => {
        const attachment = this.attachment(ws)
        attachment.closing = true
        attachment.closeCode = code
        attachment.closeReason = reason
        ws.serializeAttachment(attachment)
        ws.close(code, reason)
      },
    }
  }

  /** $disconnect once, then nothing is left of the connection. */
  private async finish(code: number, reason: string): Promise<void> {
    const meta = await this.loadMeta()
    if (!meta) return
    this.meta = undefined
    await this.ctx.storage.deleteAlarm()
    await this.ctx.storage.deleteAll()
    await this.engineFor(meta.apiId)?.disconnect(meta, code, reason)
  }

  private async loadMeta(): Promise<ConnectionMeta | undefined> {
    this.meta ??= await this.ctx.storage.get<ConnectionMeta>('meta')
    return this.meta
  }

  private attachment(ws: HibernatableWebSocketLike): Attachment {
    return (ws.deserializeAttachment() as Attachment | null) ?? { lastActiveAt: 0, lastTrafficAt: Date.now() }
  }

  private deadline(meta: ConnectionMeta, attachment: Attachment): number | undefined {
    const engine = this.engineFor(meta.apiId)
    if (!engine) return undefined
    const deadlines: number[] = []
    if (engine.idleTimeoutMs > 0) deadlines.push(attachment.lastTrafficAt + engine.idleTimeoutMs)
    if (engine.maxConnectionMs > 0) deadlines.push(meta.connectedAt + engine.maxConnectionMs)
    return deadlines.length ? Math.min(...deadlines) : undefined
  }

  private async scheduleLimits(attachment: Attachment): Promise<void> {
    const deadline = this.meta && this.deadline(this.meta, attachment)
    if (deadline !== undefined) await this.ctx.storage.setAlarm(deadline)
  }
}
