/**
 * Cloudflare Workers entry (`wrangler dev`, `wrangler deploy`) of this repository: the Worker
 * for the entry `portico build` generates (the config and its local handler modules, which
 * workerd cannot read from disk at run time), plus the Durable Object classes of the stores.
 */
import * as entry from '../../../.portico/entry.generated.ts'
import { createWebSocketHub, createWorker } from './worker.ts'

export { PorticoRateLimiter, PorticoQuotaCounter, PorticoKeyStore, createWorker, createWebSocketHub, workersDeps, workersClientInfo, type WorkerEnv } from './worker.ts'

/** The WebSocket hub (binding PORTICO_WEBSOCKETS): one hibernating object per connection. */
export const PorticoWebSocketHub = createWebSocketHub(entry)

export default createWorker(entry)
