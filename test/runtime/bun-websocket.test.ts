/**
 * WebSocket APIs on Bun: the real Bun binary serves the WebSocket fixture config through
 * src/runtime/bun (Bun.serve's websocket handlers) and answers over sockets as Node does.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectNoFrame, handshakeStatus, openRawSocket, openSocket, type TestSocket } from '../helpers/ws-client.ts'

const ROOT = resolve(import.meta.dirname, '../..')
const BUN = join(ROOT, 'node_modules/.bin/bun')
const ENTRY = join(ROOT, 'src/runtime/bun/index.ts')
const CONFIG = join(ROOT, 'test/fixtures/websocket/portico.yaml')

let child: ChildProcess | undefined
let url = ''
let output = ''

beforeAll(async () => {
  child = spawn(BUN, [ENTRY, '--config', CONFIG, '--port', '0', '--quiet'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  url = await new Promise<string>((resolvePromise, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const m = /Portico \(bun\) listening at (http:\/\/\S+)/.exec(output)
      if (m) resolvePromise(m[1]!)
    }
    child!.stdout!.on('data', onData)
    child!.stderr!.on('data', onData)
    child!.once('exit', (code) => reject(new Error(`bun exited (${code}) before listening:\n${output}`)))
  })
})
afterAll(async () => {
  if (!child || child.exitCode !== null) return
  await new Promise<void>((r) => {
    child!.once('exit', () => r())
    child!.kill('SIGTERM')
  })
})

const ws = () => url.replace('http://', 'ws://')

/** The connection id the server gives a socket, learnt from an error frame it sends. */
async function idOf(client: TestSocket): Promise<string> {
  client.send(JSON.stringify({ action: 'fail' }))
  return JSON.parse(await client.next()).connectionId
}

describe('WebSocket APIs on Bun', () => {
  it('routes messages, sends route responses and error frames', async () => {
    const client = await openSocket(`${ws()}/prod`)
    client.send(JSON.stringify({ action: 'echo', on: 'bun' }))
    expect(await client.next()).toBe('{"action":"echo","on":"bun"}')
    client.send('not json')
    expect(await client.next()).toBe('default:$default:not json')
    client.send(JSON.stringify({ action: 'fail' }))
    expect(await client.next()).toMatch(/^\{"message": "Internal server error", "connectionId":"[A-Za-z0-9]{15}=", "requestId":"[^"]+"\}$/)
    client.close()
  })

  it('runs the authorizer on $connect and answers Forbidden without a route', async () => {
    expect(await handshakeStatus(`${ws()}/secure/prod`)).toBe(401)
    expect(await handshakeStatus(`${ws()}/secure/prod?token=deny`)).toBe(403)
    const client = await openSocket(`${ws()}/secure/prod?token=good`)
    client.send(JSON.stringify({ action: 'nothing' }))
    expect(await client.next()).toMatch(/^\{"message": "Forbidden", "connectionId":"[^"]+", "requestId":"[^"]+"\}$/)
    client.close()
  })

  it('serves @connections and fans out from a handler', async () => {
    const a = await openSocket(`${ws()}/prod`)
    const b = await openSocket(`${ws()}/prod`)
    const [idA, idB] = [await idOf(a), await idOf(b)]
    const post = await fetch(`${url}/prod/@connections/${encodeURIComponent(idB)}`, { method: 'POST', body: 'from bun' })
    expect(post.status).toBe(200)
    expect(await b.next()).toBe('from bun')
    a.send(JSON.stringify({ action: 'broadcast', to: [idB], text: 'fan-out' }))
    expect(await b.next()).toBe('fan-out')
    expect(await a.next()).toBe('{"gone":[]}')
    expect((await fetch(`${url}/prod/@connections/${encodeURIComponent(idA)}`)).status).toBe(200)
    expect((await fetch(`${url}/prod/@connections/${encodeURIComponent(idA)}`, { method: 'DELETE' })).status).toBe(204)
    expect(await a.closed).toEqual({ code: 1000, reason: 'Connection Closed Normally' })
    expect((await fetch(`${url}/prod/@connections/${encodeURIComponent(idA)}`)).status).toBe(410)
    b.close()
  })

  it('closes with 1003 on binary frames and 1009 on oversized messages', async () => {
    const raw = await openRawSocket(`${ws()}/prod`)
    raw.ws.send(new Uint8Array([0, 1]))
    expect((await raw.closed).code).toBe(1003)
    const big = await openSocket(`${ws()}/prod`)
    big.send('x'.repeat(5000))
    expect((await big.closed).code).toBe(1009)
  })

  it('echoes no subprotocol unless $connect returns one', async () => {
    await expect(openSocket(`${ws()}/prod`, ['chat.v1'])).rejects.toThrow(/failed/)
    const quiet = await openSocket(`${ws()}/prod`)
    await expectNoFrame(quiet, 100)
    quiet.close()
  })
})
