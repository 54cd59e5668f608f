/**
 * Real gateway processes on a shared store, for the durability and concurrency tests, and the
 * clean-up of their Redis keys.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'
import { connectRedis } from '../../src/storage/redis/client.ts'

const ROOT = resolve(import.meta.dirname, '../..')

/**
 * The process: startNode on the config and store given in the environment; warnings and
 * errors (store failures among them) go to stderr as JSON lines; SIGTERM closes the store.
 */
const GATEWAY_SCRIPT = `
const root = process.cwd()
const { loadModel } = await import(root + '/src/model/load.ts')
const { startNode } = await import(root + '/src/runtime/node/index.ts')
const { consoleLogger } = await import(root + '/src/core/deps.ts')
const { model } = loadModel(JSON.parse(process.env.PORTICO_TEST_CONFIG), { baseDir: root })
const running = await startNode({ model, store: process.env.PORTICO_TEST_STORE, port: 0, logger: consoleLogger({ quiet: true }) })
console.log('LISTENING ' + running.port)
process.on('SIGTERM', () => running.close().then(() => process.exit(0)))
`

export interface GatewayProcess {
  url: string
  child: ChildProcess
  /** What the process wrote to stderr so far. */
  stderr: () => string
}

/** Starts a gateway process; resolves with its URL once it listens. `children` collects it for clean-up. */
export function startGatewayProcess(store: string, config: unknown, children: Set<ChildProcess>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', GATEWAY_SCRIPT], {
    cwd: ROOT,
    env: { ...process.env, PORTICO_TEST_STORE: store, PORTICO_TEST_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  let out = ''
  let err = ''
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString()
  })
  return new Promise((resolvePromise, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /LISTENING (\d+)/.exec(out)
      if (m) resolvePromise({ url: `http://127.0.0.1:${m[1]}`, child, stderr: () => err })
    })
    child.once('exit', (code) => reject(new Error(`gateway process exited (${code}) before listening:\n${out}\n${err}`)))
  })
}

/** Deletes every key under `prefix` on the local Redis (tests share one server). */
export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const conn = await connectRedis('redis://127.0.0.1:6379')
  let cursor = '0'
  do {
    const [next, keys] = await conn.command<[string, string[]]>(['SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '1000'])
    cursor = String(next)
    if (keys.length) await conn.command(['UNLINK', ...keys])
  } while (cursor !== '0')
  await conn.close()
}
