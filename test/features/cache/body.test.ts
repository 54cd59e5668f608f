/**
 * Bodies and size bounds: a streamed body from a real HTTP backend is cached whole or not at
 * all, and the client always gets every byte; the memory backend's byte capacity evicts the
 * least recently used entries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { makeGateway } from '../../helpers/gateway.ts'
import { cacheFeature, cacheStats, captureBody } from '../../../src/features/cache/index.ts'

const MAX = 4096
/** Deterministic bytes, so a truncated or reordered body cannot compare equal. */
const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 8)) & 0xff)

let server: Server
let base = ''
const hits: Record<string, number> = {}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x')
    hits[url.pathname] = (hits[url.pathname] ?? 0) + 1
    const size = Number(url.searchParams.get('size') ?? 100)
    const body = pattern(size)
    // No Content-Length: the gateway cannot know the size before reading.
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-call': String(hits[url.pathname]) })
    const chunk = 1000
    let at = 0
    const send = () => {
      if (url.pathname === '/broken' && at >= 2000) {
        res.destroy()
        return
      }
      if (at >= body.length) return void res.end()
      res.write(body.subarray(at, at + chunk))
      at += chunk
      setImmediate(send)
    }
    send()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))

function gateway(capacityBytes = 64 * 1024 ** 2) {
  const config = {
    settings: { cache: { maxEntryBytes: MAX, debugHeader: true } },
    apis: [
      {
        name: 'rest',
        type: 'REST',
        stages: [{ name: 'prod', variables: { backend: base }, cache: { enabled: true, ttlInSeconds: 300, capacityBytes } }],
        routes: [
          {
            method: 'GET',
            path: '/{proxy+}',
            integration: { type: 'http_proxy', uri: '${stageVariables.backend}/{proxy}' },
            caching: { cacheKeyParameters: ['method.request.path.proxy', 'method.request.querystring.size'] },
          },
        ],
      },
    ],
  }
  const built = makeGateway(config, { gateway: { features: [cacheFeature] } })
  const stats = () => cacheStats(built.gateway.deps)[`${built.model.apis[0]!.id}/prod`]!
  return { ...built, stats }
}

describe('streamed bodies and maxEntryBytes', () => {
  it('a streamed body within maxEntryBytes is cached whole', async () => {
    const g = gateway()
    const size = MAX - 96
    const first = await g.app.request(`/prod/fits?size=${size}`)
    expect(new Uint8Array(await first.arrayBuffer())).toEqual(pattern(size))
    const second = await g.app.request(`/prod/fits?size=${size}`)
    expect(second.headers.get('X-Portico-Cache')).toBe('hit')
    expect(second.headers.get('x-call')).toBe('1')
    expect(second.headers.get('content-length')).toBe(String(size))
    expect(new Uint8Array(await second.arrayBuffer())).toEqual(pattern(size))
    expect(hits['/fits']).toBe(1)
  })

  it('a larger streamed body reaches the client whole and is not stored (never truncated)', async () => {
    const g = gateway()
    const size = MAX * 5 + 123
    for (let i = 1; i <= 2; i++) {
      const res = await g.app.request(`/prod/large?size=${size}`)
      expect(res.headers.get('X-Portico-Cache')).toBe('miss')
      const got = new Uint8Array(await res.arrayBuffer())
      expect(got.byteLength).toBe(size)
      expect(got).toEqual(pattern(size))
      expect(res.headers.get('x-call')).toBe(String(i))
    }
    expect(g.stats()).toMatchObject({ stores: 0, misses: 2 })
  })

  it('exactly maxEntryBytes is stored; one byte more is not', async () => {
    const g = gateway()
    await (await g.app.request(`/prod/edge?size=${MAX}`)).arrayBuffer()
    expect((await g.app.request(`/prod/edge?size=${MAX}`)).headers.get('X-Portico-Cache')).toBe('hit')
    await (await g.app.request(`/prod/edge?size=${MAX + 1}`)).arrayBuffer()
    const again = await g.app.request(`/prod/edge?size=${MAX + 1}`)
    expect(again.headers.get('X-Portico-Cache')).toBe('miss')
    expect((await again.arrayBuffer()).byteLength).toBe(MAX + 1)
  })

  it('a backend that breaks off mid-body: the client sees the failure, nothing is stored', async () => {
    const g = gateway()
    const res = await g.app.request('/prod/broken?size=3000')
    await expect(res.arrayBuffer()).rejects.toThrow()
    const again = await g.app.request('/prod/broken?size=3000')
    expect(again.headers.get('X-Portico-Cache')).toBe('miss')
    await again.arrayBuffer().catch(() => {})
    expect(g.stats().stores).toBe(0)
    expect(hits['/broken']).toBe(2)
  })

  it('the byte capacity evicts least recently used entries', async () => {
    // Each entry: 1000 body bytes plus its headers (about 100 bytes): three fit in 3500.
    const g = gateway(3500)
    const fetchOne = async (name: string) => {
      const res = await g.app.request(`/prod/${name}?size=1000`)
      await res.arrayBuffer()
      return res.headers.get('X-Portico-Cache')
    }
    expect(await fetchOne('lru-a')).toBe('miss')
    expect(await fetchOne('lru-b')).toBe('miss')
    expect(await fetchOne('lru-c')).toBe('miss')
    expect(await fetchOne('lru-a')).toBe('hit') // a is now the most recently used
    expect(await fetchOne('lru-d')).toBe('miss') // evicts b, the least recently used
    expect(g.stats()).toMatchObject({ evictions: 1, entries: 3 })
    expect(g.stats().bytes).toBeLessThanOrEqual(3500)
    expect(await fetchOne('lru-a')).toBe('hit')
    expect(await fetchOne('lru-c')).toBe('hit')
    expect(await fetchOne('lru-b')).toBe('miss')
  })
})

describe('captureBody', () => {
  const stream = (chunks: Uint8Array[], fail?: Error) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (const ch of chunks) c.enqueue(ch)
        if (fail) c.error(fail)
        else c.close()
      },
    })
  const read = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer())

  it('whole when within the bound, one stream replaying everything when not', async () => {
    const data = pattern(2500)
    const parts = [data.subarray(0, 1000), data.subarray(1000, 2000), data.subarray(2000)]
    const within = await captureBody(stream(parts), 2500)
    expect(within.complete).toBe(true)
    expect(within.body).toEqual(data)
    const over = await captureBody(stream(parts), 1500)
    expect(over.complete).toBe(false)
    expect(await read(over.body as ReadableStream<Uint8Array>)).toEqual(data)
  })

  it('a failing body is incomplete and still fails for the reader', async () => {
    const got = await captureBody(stream([pattern(10)], new Error('reset')), 1000)
    expect(got.complete).toBe(false)
    await expect(read(got.body as ReadableStream<Uint8Array>)).rejects.toThrow('reset')
  })

  it('no body is an empty, complete one', async () => {
    expect(await captureBody(null, 10)).toEqual({ complete: true, body: new Uint8Array(0) })
  })
})
