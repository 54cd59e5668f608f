/**
 * Bun smoke test: the real Bun binary serves the users example through src/runtime/bun on a
 * port of its choosing, and answers over a socket as the Node runtime does.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNode, type RunningGateway } from '../../src/runtime/node/index.ts'
import { memoryLogger } from '../../src/core/deps.ts'

const ROOT = resolve(import.meta.dirname, '../..')
const BUN = join(ROOT, 'node_modules/.bin/bun')
const ENTRY = join(ROOT, 'src/runtime/bun/index.ts')
const EXAMPLE = join(ROOT, 'examples/users/portico.yaml')

interface BunGateway {
  child: ChildProcess
  url: string
  output: () => string
}

/** Starts the Bun entry on port 0 and resolves with the URL it prints once listening. */
function startBun(config: string): Promise<BunGateway> {
  const child = spawn(BUN, [ENTRY, '--config', config, '--port', '0', '--quiet'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  return new Promise((resolvePromise, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const m = /Portico \(bun\) listening at (http:\/\/\S+)/.exec(output)
      if (m) {
        child.removeListener('exit', onExit)
        resolvePromise({ child, url: m[1]!, output: () => output })
      }
    }
    const onExit = (code: number | null) => reject(new Error(`bun exited (${code}) before listening:\n${output}`))
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', onExit)
    child.once('error', reject)
  })
}

function stop(gw: BunGateway | undefined): Promise<void> {
  if (!gw || gw.child.exitCode !== null) return Promise.resolve()
  return new Promise((r) => {
    gw.child.once('exit', () => r())
    gw.child.kill('SIGTERM')
  })
}

/** Status, content type, JSON body without the per-request ids, and the gateway's headers. */
async function answer(base: string, path: string, init?: RequestInit) {
  const res = await fetch(base + path, init)
  const body = (await res.json()) as Record<string, unknown>
  const { requestId: _r, invocation: _i, ...stable } = body
  const gatewayHeaders = ['x-amzn-requestid', 'x-amz-apigw-id', 'x-amzn-errortype', 'apigw-requestid', 'x-amzn-trace-id']
    .filter((h) => res.headers.has(h))
  return { status: res.status, contentType: res.headers.get('content-type'), body: stable, gatewayHeaders }
}

describe('users example on Bun', () => {
  let bun: BunGateway | undefined
  let node: RunningGateway | undefined

  beforeAll(async () => {
    bun = await startBun(EXAMPLE)
    node = await startNode({ config: EXAMPLE, port: 0, logger: memoryLogger() })
  })

  afterAll(async () => {
    await stop(bun)
    await node?.close()
  })

  it('REST: GET /prod/users/42 invokes getUser', async () => {
    const res = await fetch(`${bun!.url}/prod/users/42`)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { id: string; name: string; requestId: string }
    expect(body).toMatchObject({ id: '42', name: 'User 42' })
    expect(res.headers.get('x-amzn-RequestId')).toBe(body.requestId)
    expect(res.headers.get('x-amz-apigw-id')).toBeTruthy()
  })

  it('HTTP API: GET /v2/users/42 answers with apigw-requestid', async () => {
    const res = await fetch(`${bun!.url}/v2/users/42`)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { id: string; name: string; requestId: string }
    expect(body).toMatchObject({ id: '42', name: 'User 42' })
    expect(res.headers.get('apigw-requestid')).toBe(body.requestId)
  })

  it('REST: an unknown path is 403 Missing Authentication Token', async () => {
    const res = await fetch(`${bun!.url}/prod/nowhere`)
    expect(res.status).toBe(403)
    expect(res.headers.get('x-amzn-ErrorType')).toBe('MissingAuthenticationTokenException')
    expect(await res.json()).toEqual({ message: 'Missing Authentication Token' })
  })

  it('HTTP API: an unknown path is 404 Not Found', async () => {
    const res = await fetch(`${bun!.url}/v2/nowhere`)
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ message: 'Not Found' })
  })

  it('answers as the Node runtime does', async () => {
    const requests: [string, RequestInit?][] = [
      ['/prod/users/42'],
      ['/v2/users/42'],
      ['/prod/nowhere'],
      ['/v2/nowhere'],
      ['/prod/health'],
      ['/nostage/users/42'],
      ['/prod/users', { method: 'POST', body: 'not json' }],
      ['/v2/users', { method: 'POST', body: JSON.stringify({ name: '' }) }],
      // The Lambda custom route: its templates rendered, its error selected by pattern.
      ['/prod/users/0/profile'],
    ]
    for (const [path, init] of requests) {
      expect({ path, ...(await answer(bun!.url, path, init)) }).toEqual({ path, ...(await answer(node!.url, path, init)) })
    }
  })
})

describe('HTTP proxy on Bun', () => {
  let bun: BunGateway | undefined
  let backend: Server | undefined
  let dir: string | undefined

  beforeAll(async () => {
    // A backend that always answers gzip, whatever the client accepts.
    backend = createServer((_req, res) => {
      const body = gzipSync(JSON.stringify({ hello: 'world' }))
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length })
      res.end(body)
    })
    await new Promise<void>((r) => backend!.listen(0, '127.0.0.1', () => r()))
    const port = (backend.address() as AddressInfo).port
    dir = await mkdtemp(join(tmpdir(), 'portico-bun-'))
    const config = join(dir, 'portico.yaml')
    await writeFile(
      config,
      `apis:\n  - name: proxy\n    type: HTTP\n    routes:\n      - route: ANY /{proxy+}\n        integration: { type: http_proxy, uri: 'http://127.0.0.1:${port}/{proxy}' }\n`,
    )
    bun = await startBun(config)
  })

  afterAll(async () => {
    await stop(bun)
    await new Promise<void>((r) => (backend ? backend.close(() => r()) : r()))
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('passes an encoded body through with its Content-Encoding', async () => {
    // Node's fetch decodes what the header announces; a decoded body labelled gzip would fail.
    const res = await fetch(`${bun!.url}/anything`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-encoding')).toBe('gzip')
    expect(await res.json()).toEqual({ hello: 'world' })
  })
})
