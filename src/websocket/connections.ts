/**
 * The @connections API in process: what `POST/GET/DELETE /{stage}/@connections/{id}` does,
 * callable from code running next to the gateway (tests, and local Lambda handlers through
 * `connections(event.requestContext)`), without HTTP or signatures.
 */
import type { ConnectionHub, ConnectionInfo } from '../storage/ports.ts'

/** The connection does not exist (any more): what AWS answers with 410 GoneException. */
export class GoneException extends Error {
  readonly statusCode = 410
  constructor(connectionId: string) {
    super(`Connection ${connectionId} is gone`)
    this.name = 'GoneException'
  }
}

/** The data is larger than a WebSocket message may be: 413 PayloadTooLargeException on AWS. */
export class PayloadTooLargeException extends Error {
  readonly statusCode = 413
  constructor(max: number) {
    super(`Request payload exceeds the maximum of ${max} bytes`)
    this.name = 'PayloadTooLargeException'
  }
}

/** PostToConnection, GetConnection and DeleteConnection. */
export interface ConnectionsClient {
  /** Sends `data` as one frame (a string: text; bytes: binary). Throws GoneException, PayloadTooLargeException. */
  post(connectionId: string, data: string | Uint8Array): Promise<void>
  /** The connection's details. Throws GoneException. */
  get(connectionId: string): Promise<ConnectionInfo>
  /** Closes the connection. Throws GoneException. */
  delete(connectionId: string): Promise<void>
}

/** The in-process client over a hub. */
export function connectionsClient(hub: ConnectionHub, maxMessageBytes: number): ConnectionsClient {
  return {
    async post(id, data) {
      const size = typeof data === 'string' ? new TextEncoder().encode(data).byteLength : data.byteLength
      if (size > maxMessageBytes) throw new PayloadTooLargeException(maxMessageBytes)
      if (!(await hub.post(id, data))) throw new GoneException(id)
    },
    async get(id) {
      const info = await hub.info(id)
      if (!info) throw new GoneException(id)
      return info
    },
    async delete(id) {
      if (!(await hub.disconnect(id))) throw new GoneException(id)
    },
  }
}

// The clients of the gateways in this process (or Worker isolate), by API id. A local handler
// runs in the same process as the gateway that invoked it, so it can find it here. Kept on
// globalThis: a handler may load its own copy of this module (another path, a bundle).
const REGISTRY = Symbol.for('portico.websocket.connections')
const registry: Map<string, ConnectionsClient> = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??= new Map()) as Map<string, ConnectionsClient>

/** Makes a gateway's client findable by its WebSocket APIs' ids (the latest gateway wins). */
export function registerConnections(apiId: string, client: ConnectionsClient): void {
  registry.set(apiId, client)
}

/**
 * The @connections API of the WebSocket API an event came from, for handlers that run in the
 * gateway's process: `await connections(event.requestContext).post(id, 'hi')`. Deployed to AWS,
 * use the ApiGatewayManagementApi client with `https://{domainName}/{stage}` instead.
 * @throws Error when no gateway in this process serves that API
 */
export function connections(requestContext: { apiId: string }): ConnectionsClient {
  const client = registry.get(requestContext?.apiId)
  if (!client) throw new Error(`no Portico gateway in this process serves WebSocket API "${requestContext?.apiId}"`)
  return client
}
