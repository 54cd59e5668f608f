/**
 * The example's HTTP backend (and the benchmark's): answers every request with JSON
 * describing what it received. Node only.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Starts the backend; resolves once it listens. */
export function startBackend(port = 8788, hostname = '127.0.0.1'): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = JSON.stringify({
        backend: 'users-example',
        method: req.method,
        url: req.url,
        headers: req.headers,
        bodyLength: Buffer.concat(chunks).length,
      })
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    })
  })
  server.keepAliveTimeout = 65_000
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, hostname, () => {
      const { port: p } = server.address() as AddressInfo
      resolve({ server, url: `http://${hostname}:${p}`, close: () => new Promise((r) => server.close(() => r())) })
    })
  })
}

// `npm run backend` (node examples/users/backend.ts [port]): the backend alone, e.g. for wrangler dev.
if (process.argv[1] && import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href) {
  const { url } = await startBackend(Number(process.argv[2] ?? process.env.BACKEND_PORT ?? 8788))
  console.error(`example backend listening at ${url}`)
}
