/**
 * A connection to Redis (node-redis over TCP, TLS for rediss://) with what the stores need:
 * raw commands, MULTI, and Lua scripts run by EVALSHA with an EVAL fallback.
 */
import { createHash } from 'node:crypto'
import { createClient, RESP_TYPES } from 'redis'
import type { Logger } from '../../core/deps.ts'
import { Deadlines } from '../../core/deadlines.ts'

/** A command argument (binary values as Buffers). */
export type RedisArg = string | Buffer

/** A Lua script and its SHA-1, the name Redis caches it under. */
export interface LuaScript {
  source: string
  sha: string
}

/** Declares a script (hashed once, loaded into Redis on first use). */
export function luaScript(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') }
}

/** What the stores use of a connection. Replies are RESP2/RESP3-neutral (strings, integers, arrays, null). */
export interface RedisConnection {
  /** Prefix of every key the stores write. */
  prefix: string
  command<T = unknown>(args: RedisArg[], opts?: { binary?: boolean }): Promise<T>
  /** Runs the commands in one MULTI/EXEC: all of them or none. */
  multi(commands: RedisArg[][]): Promise<unknown[]>
  /** Runs a script atomically (EVALSHA; EVAL when the server does not have it cached). */
  eval<T = unknown>(script: LuaScript, keys: RedisArg[], args: RedisArg[], opts?: { binary?: boolean }): Promise<T>
  close(): Promise<void>
}

export interface RedisConnectOptions {
  /** Key prefix. Default "portico:". */
  prefix?: string
  logger?: Logger
  /** How long connecting may take at open. Default 5000 ms. */
  connectTimeoutMs?: number
  /** Commands allowed to wait for a reply at once before new ones fail. Default 100000. */
  maxQueuedCommands?: number
  /** How long a command may wait for its reply before it fails. Default 5000 ms (node-redis's own default). */
  commandTimeoutMs?: number
}

/**
 * Deadlines of Redis commands (all wait the same time): node-redis's own per-command timeout
 * arms an AbortSignal.timeout (a timer, an event listener, an exception object) for every
 * command, a large share of a cache hit's cost; this costs one small record per command.
 */
export class CommandDeadlines extends Deadlines {
  constructor(timeoutMs: number, now: () => number = () => performance.now()) {
    super(timeoutMs, () => new Error(`Redis command timed out after ${timeoutMs} ms`), now)
  }
}

/**
 * Connects `client` once: the first error or `timeoutMs` fails the open (a wrong host or port
 * is a configuration mistake to report at start; node-redis alone would retry for ever).
 * @throws Error naming `target`; the client is destroyed
 */
async function openClient(client: { connect(): Promise<unknown>; destroy(): void; on(e: 'error', f: (err: Error) => void): unknown; off(e: 'error', f: (err: Error) => void): unknown }, target: string, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  let fail: ((err: Error) => void) | undefined
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        fail = reject
        client.on('error', reject)
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs)
      }),
    ])
  } catch (err) {
    client.destroy()
    throw new Error(`cannot connect to the Redis store at ${target}: ${(err as Error).message}`)
  } finally {
    if (fail) client.off('error', fail)
    clearTimeout(timer)
  }
}

/** Where a URL points, without its credentials (for logs and errors). */
export function redisTarget(url: string): string {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}${u.pathname.length > 1 ? u.pathname : ''}`
  } catch {
    return 'redis (unparsable URL)'
  }
}

const binaryReplies = { [RESP_TYPES.BLOB_STRING]: Buffer } as const

/**
 * Connects to `url` (redis://[user:password@]host:port[/db], rediss:// for TLS).
 * @throws Error naming the host (never the password) when Redis cannot be reached in time
 */
export async function connectRedis(url: string, opts: RedisConnectOptions = {}): Promise<RedisConnection> {
  const target = redisTarget(url)
  const connectTimeout = opts.connectTimeoutMs ?? 5000
  const client = createClient({
    url,
    // While disconnected, commands fail at once instead of queueing: the features' store
    // policy (fail open or closed) then applies right away, and memory cannot pile up.
    disableOfflineQueue: true,
    commandsQueueMaxLength: opts.maxQueuedCommands ?? 100_000,
    // Deadlines are CommandDeadlines' (below): node-redis's costs a timer per command.
    commandOptions: { timeout: 0 },
    socket: {
      connectTimeout,
      // Back off up to 2 s between attempts, forever: a gateway outlives a Redis restart.
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
    },
  })
  // node-redis emits 'error' on every failed attempt; without a listener Node would crash.
  // Log a state change once rather than each retry (after the open: openClient reports those).
  let down = false
  let opened = false
  client.on('error', (err: Error) => {
    if (!opened || down) return
    down = true
    opts.logger?.error('redis store unreachable', { target, error: err.message })
  })
  client.on('ready', () => {
    if (!down) return
    down = false
    opts.logger?.info('redis store reconnected', { target })
  })
  await openClient(client, target, connectTimeout)
  opened = true

  const deadlines = new CommandDeadlines(opts.commandTimeoutMs ?? 5000)
  const command = <T>(args: RedisArg[], o?: { binary?: boolean }): Promise<T> =>
    deadlines.guard(client.sendCommand(args, o?.binary ? { typeMapping: binaryReplies } : undefined) as Promise<T>)
  let closed = false
  return {
    prefix: opts.prefix ?? 'portico:',
    command,
    async multi(commands) {
      const m = client.multi()
      for (const c of commands) m.addCommand(c)
      return (await deadlines.guard(m.exec())) as unknown[]
    },
    async eval<T>(script: LuaScript, keys: RedisArg[], args: RedisArg[], o?: { binary?: boolean }): Promise<T> {
      const tail = [String(keys.length), ...keys, ...args]
      try {
        return await command<T>(['EVALSHA', script.sha, ...tail], o)
      } catch (err) {
        // A restarted or flushed server has forgotten the script; EVAL runs and caches it.
        if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err
        return command<T>(['EVAL', script.source, ...tail], o)
      }
    },
    async close() {
      if (closed) return
      closed = true
      await closeClient(client)
      deadlines.stop()
    },
  }
}

/** How long close() waits for the replies still due before it drops the connection. */
const CLOSE_WAIT_MS = 2000

/**
 * Closes `client` gracefully (replies still due are awaited), or drops it when that fails or
 * takes over CLOSE_WAIT_MS (a server that stopped answering): what is still waiting then fails.
 */
async function closeClient(client: { close(): Promise<unknown>; destroy(): void }): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    await Promise.race([client.close(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('close timed out')), CLOSE_WAIT_MS)))])
  } catch {
    client.destroy()
  } finally {
    clearTimeout(timer)
  }
}

/** A channel subscription on a connection of its own. */
export interface RedisSubscription {
  /** False while the connection is down: messages sent meanwhile are lost. */
  readonly live: boolean
  close(): Promise<void>
}

export interface SubscribeOptions {
  /** Each message of the channel. */
  onMessage(message: string): void
  /**
   * Called when messages may have been lost: the connection dropped. `live` is false from then
   * until the connection is back and subscribed again.
   */
  onGap?(): void
  logger?: Logger
  /** How long connecting may take at open. Default 5000 ms. */
  connectTimeoutMs?: number
  /** The connection's CLIENT SETNAME (seen in CLIENT LIST). */
  name?: string
}

/**
 * Subscribes to `channel` on its own connection to `url`, reconnecting (and resubscribing) for
 * ever with the command connection's backoff. node-redis resubscribes before it reports the
 * connection ready, so `live` turns true only once messages flow again.
 * @throws Error naming the host (never the password) when Redis cannot be reached at open
 */
export async function subscribeRedis(url: string, channel: string, opts: SubscribeOptions): Promise<RedisSubscription> {
  const target = redisTarget(url)
  const client = createClient({
    url,
    name: opts.name,
    socket: { connectTimeout: opts.connectTimeoutMs ?? 5000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000) },
  })
  let live = false
  let opened = false
  const lost = () => {
    if (!live) return
    live = false
    opts.onGap?.()
  }
  client.on('error', (err: Error) => {
    if (opened && live) opts.logger?.error('redis subscription lost', { target, channel, error: err.message })
    lost()
  })
  client.on('reconnecting', lost)
  client.on('end', lost)
  client.on('ready', () => {
    if (!opened) return
    // Back and resubscribed: whatever was sent while down is gone, so report the gap again.
    opts.onGap?.()
    live = true
  })
  await openClient(client, target, opts.connectTimeoutMs ?? 5000)
  try {
    await client.subscribe(channel, (message: string) => opts.onMessage(message))
  } catch (err) {
    client.destroy()
    throw new Error(`cannot subscribe to ${channel} on the Redis store at ${target}: ${(err as Error).message}`)
  }
  opened = true
  live = true
  return {
    get live() {
      return live
    },
    async close() {
      live = false
      await closeClient(client)
    },
  }
}
