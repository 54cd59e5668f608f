/**
 * WebSocket APIs inside workerd: the handshake runs $connect in the Worker, which hands the
 * socket to a hibernating Durable Object per connection; messages, @connections calls, the
 * close and the limits' alarm are handled there. Also the fallback without the hub binding.
 */
import { env, exports } from 'cloudflare:workers'
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { beforeEach, describe, expect, it } from 'vitest'
import * as entry from '../../../.portico/websocket-entry.generated.ts'
import { createWorker } from '../../../src/runtime/workers/worker.ts'

const BASE = 'https://example.com'
const hub = (env as unknown as { PORTICO_WEBSOCKETS: DurableObjectNamespace }).PORTICO_WEBSOCKETS
type Recorded = { name: string; event: any }
const events = (): Recorded[] => ((globalThis as any).__wsEvents ??= [])

interface Client {
  ws: WebSocket
  id: string
  frames: string[]
  next(): Promise<string>
  closed: Promise<{ code: number; reason: string }>
}

function track(ws: WebSocket): Omit<Client, 'id'> {
  const frames: string[] = []
  let taken = 0
  const waiters: (() => void)[] = []
  ws.addEventListener('message', (e) => {
    frames.push(typeof e.data === 'string' ? e.data : '<binary>')
    for (const w of waiters.splice(0)) w()
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason })))
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no frame (got ${JSON.stringify(frames)})`)), 5000)
      const take = () => {
        if (taken < frames.length) {
          clearTimeout(timer)
          resolve(frames[taken++]!)
        } else waiters.push(take)
      }
      take()
    })
  return { ws, frames, next, closed }
}

async function open(path = '/prod', fetcher: { fetch(r: Request): Promise<Response> } = exports.default as never): Promise<Client> {
  const res = await fetcher.fetch(new Request(BASE + path, { headers: { Upgrade: 'websocket' } }))
  expect(res.status).toBe(101)
  const ws = res.webSocket!
  ws.accept()
  const id = events().filter((e) => e.name === 'connect').at(-1)!.event.requestContext.connectionId as string
  return { ...track(ws), id }
}

async function eventually<T>(check: () => T | undefined): Promise<T> {
  for (let i = 0; i < 250; i++) {
    const v = check()
    if (v !== undefined) return v
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error('condition not met in time')
}

const stubOf = (id: string) => hub.get(hub.idFromName(id))
const connections = (id: string, init?: RequestInit) => exports.default.fetch(new Request(`${BASE}/prod/@connections/${encodeURIComponent(id)}`, init))

beforeEach(() => {
  events().length = 0
})

describe('WebSocket APIs on Workers with the Durable Object hub', () => {
  it('runs $connect in the Worker and holds the socket in the connection\'s object', async () => {
    const client = await open('/prod?room=7')
    const { event } = events().find((e) => e.name === 'connect')!
    expect(event.requestContext).toMatchObject({ routeKey: '$connect', eventType: 'CONNECT', stage: 'prod', connectionId: client.id })
    expect(event.queryStringParameters).toEqual({ room: '7' })
    expect(event.stageVariables).toEqual({ color: 'blue' })
    const held = await runInDurableObject(stubOf(client.id), async (_instance, state) => ({
      sockets: state.getWebSockets().length,
      meta: await state.storage.get<{ connectionId: string }>('meta'),
    }))
    expect(held.sockets).toBe(1)
    expect(held.meta?.connectionId).toBe(client.id)
    client.ws.close(1000, 'done')
  })

  it('routes messages in the object: route responses, $default, error frames', async () => {
    const client = await open()
    client.ws.send(JSON.stringify({ action: 'echo', n: 1 }))
    expect(await client.next()).toBe('{"action":"echo","n":1}')
    const message = events().find((e) => e.name === 'echo')!
    expect(message.event.requestContext).toMatchObject({ eventType: 'MESSAGE', routeKey: 'echo', connectionId: client.id })
    client.ws.send('plain text')
    expect(await client.next()).toBe('default:$default:plain text')
    client.ws.send(JSON.stringify({ action: 'fail' }))
    expect(await client.next()).toMatch(new RegExp(`^\\{"message": "Internal server error", "connectionId":"${client.id.replace(/[+=/]/g, '\\$&')}", "requestId":"[^"]+"\\}$`))
    client.ws.close(1000)
  })

  it('answers Forbidden without a matching route or $default', async () => {
    const res = await exports.default.fetch(new Request(`${BASE}/secure/prod`, { headers: { Upgrade: 'websocket' } }))
    expect(res.status).toBe(401)
    const client = await open('/secure/prod?token=good')
    client.ws.send(JSON.stringify({ action: 'other' }))
    expect(await client.next()).toMatch(/^\{"message": "Forbidden", "connectionId":"[^"]+", "requestId":"[^"]+"\}$/)
    const connect = events().find((e) => e.name === 'connect')!
    expect(connect.event.requestContext.authorizer).toMatchObject({ principalId: 'user-1', role: 'admin', level: '3' })
    client.ws.close(1000)
  })

  it('closes with 1003 on a binary frame and 1009 on an oversized message; $disconnect gets the code', async () => {
    const binary = await open()
    binary.ws.send(new Uint8Array([1, 2, 3]))
    expect((await binary.closed).code).toBe(1003)
    const first = await eventually(() => events().find((e) => e.name === 'disconnect' && e.event.requestContext.connectionId === binary.id))
    expect(first.event.requestContext.disconnectStatusCode).toBe(1003)

    const big = await open()
    big.ws.send('x'.repeat(5000))
    expect((await big.closed).code).toBe(1009)
  })

  it('runs $disconnect after the client closes, and forgets the connection', async () => {
    const client = await open()
    client.ws.close(4002, 'leaving')
    const { event } = await eventually(() => events().find((e) => e.name === 'disconnect' && e.event.requestContext.connectionId === client.id))
    expect(event.requestContext).toMatchObject({ eventType: 'DISCONNECT', disconnectStatusCode: 4002, disconnectReason: 'leaving' })
    const left = await runInDurableObject(stubOf(client.id), async (_i, state) => ({ sockets: state.getWebSockets().length, meta: await state.storage.get('meta') }))
    expect(left).toEqual({ sockets: 0, meta: undefined })
    expect((await connections(client.id, { method: 'POST', body: 'x' })).status).toBe(410)
  })

  it('serves @connections: POST, GET, DELETE, 410 and 413', async () => {
    const client = await open()
    const post = await connections(client.id, { method: 'POST', body: 'from the edge' })
    expect(post.status).toBe(200)
    expect(await client.next()).toBe('from the edge')
    const info = await connections(client.id)
    expect(info.status).toBe(200)
    expect(await info.json()).toEqual({ connectedAt: expect.any(String), identity: { sourceIp: expect.any(String) }, lastActiveAt: expect.any(String) })
    expect((await connections(client.id, { method: 'POST', body: 'x'.repeat(5000) })).status).toBe(413)
    expect((await connections(client.id, { method: 'DELETE' })).status).toBe(204)
    expect((await connections(client.id)).status).toBe(410)
    expect(await client.closed).toEqual({ code: 1000, reason: 'Connection Closed Normally' })
    const { event } = await eventually(() => events().find((e) => e.name === 'disconnect' && e.event.requestContext.connectionId === client.id))
    expect(event.requestContext).toMatchObject({ disconnectStatusCode: 1000, disconnectReason: 'Connection Closed Normally' })
    expect((await connections('NoSuchConnecti0=')).status).toBe(410)
  })

  it('fans out from a handler through the in-process @connections API, across objects', async () => {
    const a = await open()
    const b = await open()
    a.ws.send(JSON.stringify({ action: 'broadcast', to: [a.id, b.id, 'GoneGoneGoneGon='], text: 'everyone' }))
    expect(await b.next()).toBe('everyone')
    const frames = [await a.next(), await a.next()]
    expect(frames).toContain('everyone')
    expect(frames).toContain('{"gone":["GoneGoneGoneGon="]}')
    a.ws.close(1000)
    b.ws.close(1000)
  })

  it('closes an idle connection with 1001 from the object\'s alarm', async () => {
    const client = await open()
    const stub = stubOf(client.id)
    // Pretend the last frame was long ago; the alarm then finds the idle limit passed.
    await runInDurableObject(stub, (_i, state) => {
      const ws = state.getWebSockets()[0]!
      ws.serializeAttachment({ ...(ws.deserializeAttachment() as object), lastTrafficAt: Date.now() - 3_600_000 })
    })
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    expect(await client.closed).toEqual({ code: 1001, reason: 'Going away' })
  })
})

describe('WebSocket APIs on Workers without the hub binding', () => {
  it('holds the socket in the isolate and still serves messages and @connections', async () => {
    const worker = createWorker({ ...entry })
    const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext
    const fetcher = { fetch: (r: Request) => Promise.resolve(worker.fetch(r, {}, ctx)) }
    const client = await open('/prod', fetcher)
    client.ws.send(JSON.stringify({ action: 'echo', isolate: true }))
    expect(await client.next()).toBe('{"action":"echo","isolate":true}')
    const post = await fetcher.fetch(new Request(`${BASE}/prod/@connections/${encodeURIComponent(client.id)}`, { method: 'POST', body: 'local' }))
    expect(post.status).toBe(200)
    expect(await client.next()).toBe('local')
    client.ws.close(1000, 'bye')
    await eventually(() => events().find((e) => e.name === 'disconnect' && e.event.requestContext.connectionId === client.id))
  })
})
