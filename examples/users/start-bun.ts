/**
 * `npm run start:bun`: the same as `npm start`, under Bun. Starts the example's HTTP backend
 * on :8788 (node:http, which Bun implements), then Portico on :8787 serving
 * examples/users/portico.yaml. Extra arguments go to the Bun entry (e.g. --port 9000).
 */
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { startBackend } from './backend.ts'
import { main } from '../../src/runtime/bun/index.ts'

const here = dirname(fileURLToPath(import.meta.url))
const backendPort = Number(process.env.BACKEND_PORT ?? 8788)
try {
  const backend = await startBackend(backendPort)
  console.error(`example backend listening at ${backend.url}`)
} catch (e) {
  console.error(`example backend could not listen on ${backendPort}: ${(e as Error).message} (the /backend routes will answer 504)`)
}
const code = await main(['--config', join(here, 'portico.yaml'), ...process.argv.slice(2)])
if (code >= 0) process.exit(code)
