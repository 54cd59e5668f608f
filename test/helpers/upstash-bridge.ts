/**
 * A small Upstash REST server in front of the real local Redis, so @upstash/redis (and the
 * Upstash stores) run their commands and Lua scripts against Redis itself. Upstash's own proxy
 * (SRH) ships only as a container image; this speaks the same endpoints:
 * - POST /            body: one command as a JSON array        → {result} | 400 {error}
 * - POST /pipeline    body: an array of commands (not atomic)  → [{result} | {error}]
 * - POST /multi-exec  body: an array of commands (MULTI/EXEC)  → [{result} | {error}]
 * - `Authorization: Bearer <token>` checked (401 otherwise);
 * - `Upstash-Encoding: base64`: every string in a result is sent base64 (the SDK's default,
 *   which it decodes).
 * Upstash accepts Lua shebang flags plain Redis rejects (@upstash/ratelimit's scripts start
 * with `#!lua flags=allow-key-locking`); the bridge drops those flags, as the hosted service
 * understands them, and maps the SHA the client computed onto the one Redis stores.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHash } from 'node:crypto'
import { createClient, RESP_TYPES } from 'redis'

export interface UpstashBridge {
  /** http://127.0.0.1:<port> — UPSTASH_REDIS_REST_URL. */
  url: string
  /** UPSTASH_REDIS_REST_TOKEN. */
  token: string
  /** Commands received (a pipeline counts each of its commands). */
  stats: { requests: number; commands: number }
  /** Holds every answer this long (store timeout tests); 0 to stop. */
  setDelay(ms: number): void
  close(): Promise<void>
}

/** Redis flags a script shebang may carry; anything else is an Upstash extension. */
const REDIS_SHEBANG_FLAGS = new Set(['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'])

/** Starts the bridge on an ephemeral 127.0.0.1 port. */
export async function startUpstashBridge(opts: { redisUrl?: string; token?: string } = {}): Promise<UpstashBridge> {
  const token = opts.token ?? 'bridge-token-' + Math.random().toString(36).slice(2)
  // RESP2 as Upstash answers (RESP3 would hand back maps); bulk strings as bytes for base64.
  const redis = createClient({ url: opts.redisUrl ?? 'redis://127.0.0.1:6379', RESP: 2 }).withTypeMapping({
    [RESP_TYPES.BLOB_STRING]: Buffer,
  })
  redis.on('error', () => {})
  await redis.connect()
  // sha1 of a script as the client sent it → sha1 of the script Redis was given.
  const shaMap = new Map<string, string>()
  const stats = { requests: 0, commands: 0 }
  let delay = 0

  const sha1 = (s: string) => createHash('sha1').update(s).digest('hex')
  const stripShebang = (script: string): string => {
    const m = /^#!lua(.*)\n/.exec(script)
    if (!m) return script
    const flags = /flags=(\S*)/.exec(m[1]!)?.[1]?.split(',').filter((f) => REDIS_SHEBANG_FLAGS.has(f)) ?? []
    return `#!lua${flags.length ? ' flags=' + flags.join(',') : ''}\n` + script.slice(m[0].length)
  }
  /** The command as Redis should get it: strings only, scripts without Upstash-only flags. */
  const prepare = (command: unknown[]): string[] => {
    const args = command.map((a) => (typeof a === 'string' ? a : a === null ? '' : typeof a === 'object' ? JSON.stringify(a) : String(a)))
    const name = args[0]?.toUpperCase()
    if ((name === 'EVAL' || name === 'EVAL_RO') && args[1] !== undefined) {
      const stripped = stripShebang(args[1])
      if (stripped !== args[1]) shaMap.set(sha1(args[1]), sha1(stripped))
      args[1] = stripped
    } else if ((name === 'EVALSHA' || name === 'EVALSHA_RO') && args[1] !== undefined) {
      args[1] = shaMap.get(args[1].toLowerCase()) ?? args[1]
    } else if (name === 'SCRIPT' && args[1]?.toUpperCase() === 'LOAD' && args[2] !== undefined) {
      const stripped = stripShebang(args[2])
      if (stripped !== args[2]) shaMap.set(sha1(args[2]), sha1(stripped))
      args[2] = stripped
    }
    return args
  }
  const encode = (value: unknown, base64: boolean): unknown => {
    if (Buffer.isBuffer(value)) return base64 ? value.toString('base64') : value.toString('utf8')
    if (typeof value === 'string') return base64 ? Buffer.from(value).toString('base64') : value
    if (Array.isArray(value)) return value.map((v) => encode(v, base64))
    if (value === undefined) return null
    return value
  }
  const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e))

  async function run(path: string, body: unknown, base64: boolean): Promise<{ status: number; payload: unknown }> {
    const isCommand = (c: unknown): c is unknown[] => Array.isArray(c) && c.length > 0
    if (path === '/' || path === '') {
      if (!isCommand(body)) return { status: 400, payload: { error: 'ERR command must be a non-empty JSON array' } }
      stats.commands++
      try {
        return { status: 200, payload: { result: encode(await redis.sendCommand(prepare(body)), base64) } }
      } catch (e) {
        return { status: 400, payload: { error: errorText(e) } }
      }
    }
    if (path === '/pipeline' || path === '/multi-exec') {
      if (!Array.isArray(body) || !body.every(isCommand)) {
        return { status: 400, payload: { error: 'ERR body must be an array of command arrays' } }
      }
      stats.commands += body.length
      const commands = body.map(prepare)
      if (path === '/pipeline') {
        // One connection answers in order; each command stands alone, as Upstash's pipeline.
        const settled = await Promise.allSettled(commands.map((c) => redis.sendCommand(c)))
        return {
          status: 200,
          payload: settled.map((s) => (s.status === 'fulfilled' ? { result: encode(s.value, base64) } : { error: errorText(s.reason) })),
        }
      }
      const multi = redis.multi()
      for (const c of commands) multi.addCommand(c)
      try {
        const replies = (await multi.exec()) as unknown[]
        return { status: 200, payload: replies.map((r) => ({ result: encode(r, base64) })) }
      } catch (e) {
        const replies = (e as { replies?: unknown[] }).replies
        if (!replies) return { status: 400, payload: { error: errorText(e) } }
        return { status: 200, payload: replies.map((r) => (r instanceof Error ? { error: r.message } : { result: encode(r, base64) })) }
      }
    }
    return { status: 404, payload: { error: 'Not Found' } }
  }

  const readBody = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  }
  const send = (res: ServerResponse, status: number, payload: unknown) => {
    const text = JSON.stringify(payload)
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    res.end(text)
  }

  const server = createServer(async (req, res) => {
    stats.requests++
    try {
      if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, { error: 'Unauthorized' })
      if (req.method !== 'POST') return send(res, 405, { error: 'Method Not Allowed' })
      let body: unknown
      try {
        body = JSON.parse(await readBody(req))
      } catch {
        return send(res, 400, { error: 'ERR failed to parse JSON body' })
      }
      const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64'
      const path = new URL(req.url ?? '/', 'http://bridge').pathname.replace(/\/+$/, '')
      const { status, payload } = await run(path || '/', body, base64)
      if (delay > 0) await new Promise((r) => setTimeout(r, delay))
      if (!res.destroyed) send(res, status, payload)
    } catch (e) {
      if (!res.headersSent) send(res, 500, { error: errorText(e) })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    stats,
    setDelay: (ms) => void (delay = ms),
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await redis.quit().catch(() => {})
    },
  }
}
