/**
 * HTTP_PROXY integration against real backends on local sockets, with both clients (the
 * Node keep-alive pool and fetch): URI building, headers both ways, streaming both ways,
 * timeouts and unreachable backends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { makeGateway } from '../../helpers/gateway.ts'
import { nodeHttpClient } from '../../../src/runtime/node/http-client.ts'
import { fetchHttpClient } from '../../../src/integrations/http/index.ts'

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void
let handler: Handler = (_q, res) => res.end()
let server: Server
let base: string
let closedPort: number

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url?.startsWith('/stream-in')) return handler(req, res, Buffer.alloc(0))
    const chunks: Buffer[] = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => handler(req, res, Buffer.concat(chunks)))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const probe = createServer()
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()))
  closedPort = (probe.address() as AddressInfo).port
  await new Promise((r) => probe.close(r))
})
afterAll(() => new Promise((r) => server.close(r)))

const echoBack: Handler = (req, res, body) => {
  res.writeHead(200, { 'content-type': 'application/json', server: 'backend/1.0', 'set-cookie': ['a=1', 'b=2'] })
  res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders, body: body.toString() }))
}

const clients = {
  'node pool': () => nodeHttpClient(),
  fetch: () => fetchHttpClient(),
}

describe.each(Object.entries(clients))('HTTP proxy with the %s client', (_name, makeClient) => {
  const gateway = (uri: string, opts: { timeoutMs?: number; type?: 'REST' | 'HTTP'; method?: string } = {}) =>
    makeGateway(
      opts.type === 'HTTP'
        ? {
            apis: [
              {
                name: 'h',
                type: 'HTTP',
                stages: [{ name: '$default', variables: { backend: base } }],
                routes: [{ route: 'ANY /api/{proxy+}', integration: { type: 'http_proxy', uri, timeoutMs: opts.timeoutMs } }],
              },
            ],
          }
        : {
            apis: [
              {
                name: 'r',
                type: 'REST',
                stages: [{ name: 'prod', variables: { backend: base } }],
                routes: [{ method: 'ANY', path: '/api/{proxy+}', integration: { type: 'http_proxy', uri, timeoutMs: opts.timeoutMs, method: opts.method } }],
              },
            ],
          },
      { deps: { httpClient: makeClient() } },
    ).app

  it('fills {proxy} and stage variables, appends the query, forwards method and body', async () => {
    handler = echoBack
    const app = gateway('${stageVariables.backend}/v1/{proxy}')
    const res = await app.request('/prod/api/a/b%20c?x=1&y=%2B', { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } })
    expect(res.status).toBe(200)
    const seen = await res.json()
    expect(seen).toMatchObject({ method: 'POST', url: '/v1/a/b%20c?x=1&y=%2B', body: 'hello' })
    expect(seen.headers['content-type']).toBe('text/plain')
    expect(seen.headers.host).toBe(new URL(base).host)
  })

  it('sends the configured method instead of the client\'s', async () => {
    handler = echoBack
    const app = gateway(`${base}/{proxy}`, { method: 'PUT' })
    expect((await (await app.request('/prod/api/x')).json()).method).toBe('PUT')
  })

  it('strips hop-by-hop headers and sets X-Forwarded-*', async () => {
    handler = echoBack
    const app = gateway(`${base}/{proxy}`)
    const res = await app.request('/prod/api/x', {
      headers: { 'x-forwarded-for': '198.51.100.7', 'keep-alive': 'timeout=5', 'proxy-authorization': 'secret', 'x-custom': 'kept' },
    })
    const seen = await res.json()
    expect(seen.headers['x-forwarded-for']).toBe('198.51.100.7, 127.0.0.1')
    expect(seen.headers['x-forwarded-proto']).toBe('http')
    expect(seen.headers['x-forwarded-port']).toBe('80')
    expect(seen.headers['x-amzn-trace-id']).toMatch(/^Root=1-/)
    expect(seen.headers['keep-alive']).toBeUndefined()
    expect(seen.headers['proxy-authorization']).toBeUndefined()
    expect(seen.headers['x-custom']).toBe('kept')
  })

  it('passes response headers, remaps Server and Date, keeps each Set-Cookie', async () => {
    handler = echoBack
    const app = gateway(`${base}/{proxy}`)
    const res = await app.request('/prod/api/x')
    expect(res.headers.get('x-amzn-Remapped-server')).toBe('backend/1.0')
    expect(res.headers.get('server')).toBeNull()
    expect(res.headers.get('x-amzn-Remapped-date')).toBeTruthy()
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
    expect(res.headers.get('x-amzn-RequestId')).toBeTruthy()
    expect(res.headers.get('X-Amzn-Trace-Id')).toBeNull()
  })

  it('passes backend error statuses through unchanged', async () => {
    handler = (_q, res) => {
      res.writeHead(418, { 'content-type': 'text/plain' })
      res.end('teapot')
    }
    const res = await gateway(`${base}/{proxy}`).request('/prod/api/x')
    expect(res.status).toBe(418)
    expect(await res.text()).toBe('teapot')
  })

  it('streams the response: the client reads the first chunk before the backend finishes', async () => {
    let finish!: () => void
    const finished = new Promise<void>((r) => (finish = r))
    handler = (_q, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('first;')
      finished.then(() => res.end('last'))
    }
    const res = await gateway(`${base}/{proxy}`).request('/prod/api/x')
    const reader = res.body!.getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toBe('first;')
    finish()
    let rest = ''
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value)
    expect(rest).toBe('last')
  })

  it('streams the request: the backend reads the first chunk before the client finishes', async () => {
    let gotFirst!: (s: string) => void
    const first = new Promise<string>((r) => (gotFirst = r))
    handler = (req, res) => {
      let all = ''
      req.once('data', (c) => gotFirst(c.toString()))
      req.on('data', (c) => (all += c))
      req.on('end', () => res.end(all))
    }
    let push!: ReadableStreamDefaultController<Uint8Array>
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (push = c) })
    push.enqueue(new TextEncoder().encode('part1;'))
    const pending = gateway(`${base}/{proxy}`).request('/prod/api/stream-in', { method: 'POST', body, duplex: 'half' } as RequestInit)
    expect(await first).toBe('part1;')
    push.enqueue(new TextEncoder().encode('part2'))
    push.close()
    expect(await (await pending).text()).toBe('part1;part2')
  })

  it.each([
    ['REST', 504, '{"message": "Endpoint request timed out"}'],
    ['HTTP', 503, '{"message":"Service Unavailable"}'],
  ] as const)('times out on %s with %i', async (type, status, body) => {
    handler = () => {}
    const app = gateway(`${base}/{proxy}`, { timeoutMs: 100, type })
    const res = await app.request(type === 'REST' ? '/prod/api/slow' : '/api/slow')
    expect(res.status).toBe(status)
    expect(await res.text()).toBe(body)
  })

  it.each([
    ['REST', 504, '{"message":"Network error communicating with endpoint"}'],
    ['HTTP', 503, '{"message":"Service Unavailable"}'],
  ] as const)('answers an unreachable backend on %s with %i', async (type, status, body) => {
    const app = gateway(`http://127.0.0.1:${closedPort}/{proxy}`, { type })
    const res = await app.request(type === 'REST' ? '/prod/api/x' : '/api/x')
    expect(res.status).toBe(status)
    expect(await res.text()).toBe(body)
  })

  it('answers 413 when a streamed body passes the limit mid-way', async () => {
    handler = echoBack
    const { app } = makeGateway(
      {
        settings: { maxPayloadBytes: 1000 },
        apis: [{ name: 'r', type: 'REST', routes: [{ method: 'ANY', path: '/api/{proxy+}', integration: { type: 'http_proxy', uri: `${base}/{proxy}` } }] }],
      },
      { deps: { httpClient: makeClient() } },
    )
    const body = new ReadableStream({
      start(c) {
        for (let i = 0; i < 30; i++) c.enqueue(new Uint8Array(100))
        c.close()
      },
    })
    const res = await app.request('/prod/api/stream-in', { method: 'POST', body, duplex: 'half' } as RequestInit)
    expect(res.status).toBe(413)
  })
})
