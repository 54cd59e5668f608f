/**
 * The ConnectionHub a Node or Bun instance uses for WebSocket connections, from the store spec:
 * Redis pub/sub when the instances share a Redis (a post on one reaches a socket on another),
 * else this process's memory.
 */
import type { Logger } from '../core/deps.ts'
import type { LocalConnectionHub } from '../storage/ports.ts'
import { memoryConnectionHub } from '../storage/memory/connection-hub.ts'
import { splitRedisOptions, storeKind } from '../storage/open.ts'

/**
 * Opens the hub for `spec` (memory, sqlite:..., redis://..., upstash).
 * @throws Error when Redis cannot be reached
 */
export async function openConnectionHub(spec: string, opts: { env: Record<string, string | undefined>; logger?: Logger }): Promise<LocalConnectionHub> {
  const kind = storeKind(spec.trim())
  if (kind === 'redis') {
    const { url, prefix } = splitRedisOptions(spec.trim())
    const { openRedisConnectionHub } = await import('../storage/redis/connection-hub.ts')
    return openRedisConnectionHub(url, { prefix: prefix ?? opts.env.PORTICO_STORE_PREFIX ?? undefined, logger: opts.logger })
  }
  if (kind === 'upstash') {
    // Upstash's REST API has no subscriptions to deliver a post to another instance.
    opts.logger?.warn('WebSocket connections are kept per instance with the upstash store (no pub/sub over REST): @connections calls reach only the sockets of the instance they arrive at')
  }
  return memoryConnectionHub()
}
