/**
 * Entry point of one server child process: `node bench/child.ts <kind>`. Listens on a free
 * port of 127.0.0.1, then prints one line `{"ready":"http://127.0.0.1:<port>"}` on stdout.
 * Stops on SIGTERM / SIGINT, or when its stdin closes (the parent died), so it never
 * outlives the benchmark.
 *
 *   backend  the trivial node:http JSON backend of examples/users
 *   hono     a bare Hono app on @hono/node-server answering the bench payload
 *   portico  startNode with bench/portico-config.ts; needs BENCH_BACKEND_URL
 */
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

interface Running {
  url: string
  close(): Promise<void>
}

const here = dirname(fileURLToPath(import.meta.url))

const kinds: Record<string, () => Promise<Running>> = {
  async backend() {
    const { startBackend } = await import('../examples/users/backend.ts')
    const b = await startBackend(0)
    return {
      url: b.url,
      close: () => {
        b.server.closeAllConnections()
        return b.close()
      },
    }
  },

  async hono() {
    const { Hono } = await import('hono')
    const { serve } = await import('@hono/node-server')
    const { PAYLOAD } = await import('./payload.ts')
    const app = new Hono()
    app.get('/hello', (c) => c.json(PAYLOAD))
    const server = await new Promise<Server>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server)) as Server
      s.once('error', reject)
    })
    server.keepAliveTimeout = 65_000 // as the backend and Portico
    const { port } = server.address() as AddressInfo
    return {
      url: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((r) => {
          server.close(() => r())
          server.closeAllConnections()
        }),
    }
  },

  async portico() {
    const backendUrl = process.env.BENCH_BACKEND_URL
    if (!backendUrl) throw new Error('BENCH_BACKEND_URL is not set')
    const { startNode } = await import('../src/runtime/node/index.ts')
    const { loadModel } = await import('../src/model/load.ts')
    const { benchConfig } = await import('./portico-config.ts')
    const config = benchConfig(backendUrl, { usagePlans: process.env.BENCH_USAGE_PLANS !== '0' })
    const { model, warnings } = loadModel(config, { baseDir: here, source: 'bench/portico-config.ts' })
    for (const w of warnings) console.error(`warning: ${w}`)
    const quiet = () => {}
    const gateway = await startNode({
      model,
      port: 0,
      hostname: '127.0.0.1',
      // BENCH_STORE: the same gateway on a shared store (redis://...) for the store rows.
      store: process.env.BENCH_STORE ?? 'memory',
      logger: {
        access: quiet,
        info: quiet,
        warn: (m, f) => console.error(JSON.stringify({ level: 'warn', message: m, ...f })),
        error: (m, f) => console.error(JSON.stringify({ level: 'error', message: m, ...f })),
      },
    })
    return { url: gateway.url, close: () => gateway.close() }
  },
}

// The same Portico on Redis (servers.ts sets BENCH_STORE).
kinds['portico-redis'] = kinds.portico!
// The same Portico without usage plans (servers.ts sets BENCH_USAGE_PLANS=0).
kinds['portico-keys'] = kinds.portico!

const kind = process.argv[2] ?? ''
const start = kinds[kind]
if (!start) {
  console.error(`unknown server kind "${kind}" (known: ${Object.keys(kinds).join(', ')})`)
  process.exit(2)
}

const running = await start()
let stopping = false
async function stop(code: number) {
  if (stopping) return
  stopping = true
  // A server that will not close in time must not hang the benchmark.
  setTimeout(() => process.exit(code), 2_000).unref()
  try {
    await running.close()
  } catch (e) {
    console.error(`close failed: ${(e as Error).message}`)
  }
  process.exit(code) // also writes the --cpu-prof profile, when profiling
}
process.on('SIGTERM', () => void stop(0))
process.on('SIGINT', () => void stop(0))
process.stdin.on('end', () => void stop(0))
process.stdin.on('close', () => void stop(0))
process.stdin.resume()
process.stdout.write(JSON.stringify({ ready: running.url }) + '\n')
