/**
 * ConnectionHub across gateway instances: each instance holds its own sockets and subscribes to
 * its own Redis channel; a registry hash per connection says which instance holds it. A post
 * to a connection held elsewhere is published to that instance's channel, which writes it to
 * the socket. An instance that died leaves entries that expire (refreshed every minute while
 * the socket is open) and a channel nobody listens to, which reads as "gone".
 */
import type { Logger } from '../../core/deps.ts'
import { DELETE_CLOSE, type ConnectionInfo, type LocalConnection, type LocalConnectionHub } from '../ports.ts'
import { connectRedis, subscribeRedis, type RedisConnection, type RedisSubscription } from './client.ts'
import { newUuid } from '../../core/ids.ts'

/** How long a registry entry outlives its last refresh. */
const ENTRY_TTL_SECONDS = 180
const REFRESH_EVERY_MS = 60_000
/** lastActiveAt is written to Redis at most this often per connection. */
const TOUCH_EVERY_MS = 1000

interface Envelope {
  op: 'post' | 'close'
  id: string
  /** Text frame. */
  text?: string
  /** Binary frame, base64. */
  bytes?: string
}

export interface RedisHubOptions {
  prefix?: string
  logger?: Logger
  /** This instance's name on the bus (default: a random UUID). */
  instanceId?: string
}

/**
 * Opens a hub on the Redis at `url`: one connection for commands, one for the subscription.
 * @throws Error naming the host when Redis cannot be reached
 */
export async function openRedisConnectionHub(url: string, opts: RedisHubOptions = {}): Promise<LocalConnectionHub & { instanceId: string }> {
  const redis = await connectRedis(url, { prefix: opts.prefix, logger: opts.logger })
  const hub = redisConnectionHub(redis, opts)
  let subscription: RedisSubscription
  try {
    subscription = await subscribeRedis(url, hub.channel, { onMessage: (message) => hub.deliver(message), logger: opts.logger })
  } catch (err) {
    await hub.api.close()
    await redis.close()
    throw err
  }
  return {
    ...hub.api,
    instanceId: hub.instanceId,
    async close() {
      await hub.api.close()
      await subscription.close()
      await redis.close()
    },
  }
}

/** The hub over a command connection; `deliver` is fed the messages of `channel`. */
export function redisConnectionHub(redis: RedisConnection, opts: RedisHubOptions = {}) {
  const instanceId = opts.instanceId ?? newUuid()
  const prefix = redis.prefix
  const channelOf = (instance: string) => `${prefix}ws:instance:${instance}`
  const keyOf = (id: string) => `${prefix}ws:conn:${id}`
  const local = new Map<string, LocalConnection & { touchedAt: number }>()
  const logger = opts.logger

  const refresh = setInterval(() => {
    const ids = [...local.keys()]
    if (ids.length === 0) return
    redis.multi(ids.map((id) => ['EXPIRE', keyOf(id), String(ENTRY_TTL_SECONDS)])).catch((e: unknown) => {
      logger?.warn('redis connection hub refresh failed', { error: String(e) })
    })
  }, REFRESH_EVERY_MS)
  ;(refresh as { unref?: () => void }).unref?.()

  /** Sends to `instance`'s channel; false when no instance listens there (it is gone). */
  const publish = async (instance: string, envelope: Envelope): Promise<boolean> => {
    const receivers = await redis.command<number>(['PUBLISH', channelOf(instance), JSON.stringify(envelope)])
    return Number(receivers) > 0
  }

  /** The instance holding `id`, or undefined. */
  const holder = async (id: string): Promise<string | undefined> => {
    const instance = await redis.command<string | null>(['HGET', keyOf(id), 'instance'])
    return instance ?? undefined
  }

  const api: LocalConnectionHub = {
    async add(id, connection) {
      local.set(id, { ...connection, info: connection.info, touchedAt: 0 })
      const i = connection.info
      const fields = ['instance', instanceId, 'apiId', i.apiId, 'stage', i.stage, 'connectedAt', String(i.connectedAt), 'lastActiveAt', String(i.lastActiveAt), 'sourceIp', i.sourceIp]
      if (i.userAgent !== undefined) fields.push('userAgent', i.userAgent)
      await redis.multi([['HSET', keyOf(id), ...fields], ['EXPIRE', keyOf(id), String(ENTRY_TTL_SECONDS)]])
    },
    async remove(id) {
      if (!local.delete(id)) return
      await redis.command(['DEL', keyOf(id)])
    },
    touch(id, at) {
      const c = local.get(id)
      if (!c) return
      c.info.lastActiveAt = at
      if (at - c.touchedAt < TOUCH_EVERY_MS) return
      c.touchedAt = at
      redis.command(['HSET', keyOf(id), 'lastActiveAt', String(at)]).catch((e: unknown) => {
        logger?.warn('redis connection hub touch failed', { connectionId: id, error: String(e) })
      })
    },
    async post(id, data) {
      const c = local.get(id)
      if (c) {
        c.send(data)
        return true
      }
      const instance = await holder(id)
      if (!instance) return false
      const envelope: Envelope = typeof data === 'string' ? { op: 'post', id, text: data } : { op: 'post', id, bytes: Buffer.from(data).toString('base64') }
      if (await publish(instance, envelope)) return true
      // Its instance is gone, and the socket with it.
      await redis.command(['DEL', keyOf(id)])
      return false
    },
    async info(id) {
      const c = local.get(id)
      if (c) return { ...c.info }
      const raw = await redis.command<unknown>(['HGETALL', keyOf(id)])
      const h = hashObject(raw)
      if (!h.instance || !h.apiId || !h.stage) return undefined
      const info: ConnectionInfo = {
        apiId: h.apiId,
        stage: h.stage,
        connectedAt: Number(h.connectedAt),
        lastActiveAt: Number(h.lastActiveAt),
        sourceIp: h.sourceIp ?? '',
      }
      if (h.userAgent !== undefined) info.userAgent = h.userAgent
      return info
    },
    async disconnect(id) {
      const c = local.get(id)
      if (c) {
        local.delete(id)
        c.close(DELETE_CLOSE.code, DELETE_CLOSE.reason)
        await redis.command(['DEL', keyOf(id)])
        return true
      }
      const instance = await holder(id)
      if (!instance) return false
      if (await publish(instance, { op: 'close', id })) return true
      await redis.command(['DEL', keyOf(id)])
      return false
    },
    async close() {
      clearInterval(refresh)
      // This instance's sockets go with it; their entries would otherwise linger until expiry.
      const ids = [...local.keys()]
      local.clear()
      if (ids.length) await redis.command(['DEL', ...ids.map(keyOf)]).catch(() => {})
    },
  }

  return {
    api,
    instanceId,
    channel: channelOf(instanceId),
    /** A message published to this instance's channel. */
    deliver(message: string) {
      let envelope: Envelope
      try {
        envelope = JSON.parse(message) as Envelope
      } catch {
        logger?.warn('redis connection hub: unreadable message on the channel')
        return
      }
      const c = local.get(envelope.id)
      if (!c) return
      try {
        if (envelope.op === 'close') {
          local.delete(envelope.id)
          c.close(DELETE_CLOSE.code, DELETE_CLOSE.reason)
          redis.command(['DEL', keyOf(envelope.id)]).catch(() => {})
        } else if (envelope.text !== undefined) c.send(envelope.text)
        else if (envelope.bytes !== undefined) c.send(new Uint8Array(Buffer.from(envelope.bytes, 'base64')))
      } catch (e) {
        logger?.warn('redis connection hub: delivery failed', { connectionId: envelope.id, error: String(e) })
      }
    },
  }
}

/** HGETALL's reply as an object (RESP2 gives a flat list, RESP3 a map). */
function hashObject(raw: unknown): Record<string, string> {
  if (Array.isArray(raw)) {
    const out: Record<string, string> = {}
    for (let i = 0; i + 1 < raw.length; i += 2) out[String(raw[i])] = String(raw[i + 1])
    return out
  }
  if (raw instanceof Map) return Object.fromEntries([...raw].map(([k, v]) => [String(k), String(v)]))
  if (raw && typeof raw === 'object') return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]))
  return {}
}
