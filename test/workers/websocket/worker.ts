/** The WebSocket test Worker: the fixture config's generated entry and the hub class. */
import * as entry from '../../../.portico/websocket-entry.generated.ts'
import { createWebSocketHub, createWorker } from '../../../src/runtime/workers/worker.ts'

export const PorticoWebSocketHub = createWebSocketHub(entry)

export default createWorker(entry)
