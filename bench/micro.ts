/**
 * In-process cost of one Portico request, without sockets: `node bench/micro.ts [lambda|httpProxy|hono]
 * [seconds]`. Drives @hono/node-server's request listener with stand-ins for Node's
 * IncomingMessage and ServerResponse, so everything between the parsed request and the
 * socket write is measured (the HTTP proxy's backend is real: in this process, or the one at
 * BENCH_BACKEND_URL). Prints µs per request; use it
 * to compare changes quickly, then confirm with `npm run bench`.
 */
import { EventEmitter } from 'node:events'
import { Hono } from 'hono'
import { getRequestListener } from '@hono/node-server'
import { startBackend } from '../examples/users/backend.ts'
import { loadModel } from '../src/model/load.ts'
import { createGateway } from '../src/gateway.ts'
import { nodeDeps } from '../src/runtime/node/index.ts'
import { BENCH_API_KEY, benchConfig, PORTICO_PATHS } from './portico-config.ts'
import { PAYLOAD } from './payload.ts'

const which = process.argv[2] ?? 'lambda'
const seconds = Number(process.argv[3] ?? 3)
const path = which === 'hono' ? '/hello' : PORTICO_PATHS[which as keyof typeof PORTICO_PATHS]
if (!path) throw new Error(`unknown route "${which}" (lambda | httpProxy | hono)`)

// BENCH_BACKEND_URL: a backend in another process, so its work is not counted here.
const backend = process.env.BENCH_BACKEND_URL ? undefined : await startBackend(0)
const backendUrl = process.env.BENCH_BACKEND_URL ?? backend!.url
const { model } = loadModel(benchConfig(backendUrl), { baseDir: import.meta.dirname, source: 'bench/portico-config.ts' })
const quiet = () => {}
const deps = nodeDeps(model, { logger: { access: quiet, info: quiet, warn: quiet, error: console.error } })
const gateway = createGateway(model, deps)
/** `hono`: the bare Hono app of the bench, for the floor of this measurement. */
function bareHono() {
  const app = new Hono()
  app.get('/hello', (c) => c.json(PAYLOAD))
  return app
}
const listener = getRequestListener(which === 'hono' ? bareHono().fetch : gateway.fetch)

/** wrk's request headers (and the bench's API key on the keyed route). */
const rawHeaders = ['Host', '127.0.0.1:8080']
if (which === 'apiKey') rawHeaders.push('x-api-key', BENCH_API_KEY)

/** A ServerResponse stand-in: records what would be written, resolves when ended. */
class FakeOutgoing extends EventEmitter {
  statusCode = 0
  headersSent = false
  writableFinished = false
  writable = true
  body: unknown
  done!: () => void
  finished = new Promise<void>((r) => (this.done = r))
  hasHeader() {
    return false
  }
  writeHead(status: number) {
    this.statusCode = status
    this.headersSent = true
  }
  write() {
    return true
  }
  end(body?: unknown) {
    this.body = body
    this.writableFinished = true
    this.done()
  }
}

const headersObject = Object.fromEntries(Array.from({ length: rawHeaders.length / 2 }, (_, i) => [rawHeaders[2 * i]!.toLowerCase(), rawHeaders[2 * i + 1]]))

function fakeIncoming() {
  const incoming = new EventEmitter() as EventEmitter & Record<string, unknown>
  incoming.method = 'GET'
  incoming.url = path
  incoming.headers = headersObject
  incoming.rawHeaders = rawHeaders
  incoming.socket = { remoteAddress: '127.0.0.1', localPort: 8080, encrypted: false }
  incoming.readableEnded = true
  return incoming
}

async function once(): Promise<FakeOutgoing> {
  const out = new FakeOutgoing()
  await listener(fakeIncoming() as never, out as never)
  await out.finished
  return out
}

const first = await once()
if (first.statusCode !== 200) throw new Error(`status ${first.statusCode}: ${String(first.body)}`)

/** Runs `concurrency` request loops for `ms`; returns requests done. */
async function load(ms: number, concurrency: number): Promise<number> {
  const until = performance.now() + ms
  let count = 0
  const loop = async () => {
    while (performance.now() < until) {
      await once()
      count++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop))
  return count
}

if (process.env.MICRO_REQUESTS) {
  // A fixed number of requests (for instruction counts under valgrind, where time means little).
  const total = Number(process.env.MICRO_REQUESTS)
  for (let i = 0; i < total; i++) await once()
  console.log(`${which}: ${total} requests`)
  await deps.close()
  backend?.server.closeAllConnections()
  await backend?.close()
  process.exit(0)
}
await load(1000, 8) // warm-up
const started = performance.now()
const cpu = process.cpuUsage()
const n = await load(seconds * 1000, 8)
const elapsed = performance.now() - started
const used = process.cpuUsage(cpu)
// CPU time is the figure to compare when a backend's latency bounds the wall time.
const cpuPerRequest = (used.user + used.system) / n
console.log(`${which}: ${((elapsed * 1000) / n).toFixed(2)} µs per request, ${cpuPerRequest.toFixed(2)} µs CPU (${n} requests, ${Math.round((n * 1000) / elapsed)} req/s)`)
await deps.close()
backend?.server.closeAllConnections()
await backend?.close()
