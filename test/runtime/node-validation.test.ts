/**
 * Request validation and CORS over real sockets on Node: the validator reads the body (with a
 * Content-Length, and chunked) from a clone while the Lambda still receives it whole, and an
 * HTTP API preflight is answered by the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNode, type RunningGateway } from '../../src/runtime/node/index.ts'
import { loadModel } from '../../src/model/load.ts'
import { memoryLogger } from '../../src/core/deps.ts'
import { FIXTURES } from '../helpers/gateway.ts'

let gw: RunningGateway

beforeAll(async () => {
  const { model } = loadModel(
    {
      functions: { echo: { handler: 'echo.handler' } },
      apis: [
        {
          name: 'r',
          type: 'REST',
          models: { Order: { type: 'object', required: ['item'], properties: { item: { type: 'string' } } } },
          requestValidators: { all: { validateRequestBody: true, validateRequestParameters: true } },
          routes: [
            {
              method: 'POST',
              path: '/orders',
              integration: { type: 'lambda', function: 'echo' },
              requestValidator: 'all',
              requestParameters: { 'method.request.header.X-Shop': true },
              requestModels: { 'application/json': 'Order' },
              cors: true,
            },
          ],
        },
        { name: 'h', type: 'HTTP', basePath: '/h', cors: { allowOrigins: ['https://app.test'], allowMethods: ['POST'] }, routes: [{ route: 'POST /e', integration: { type: 'lambda', function: 'echo', payloadFormatVersion: '2.0' } }] },
      ],
    },
    { baseDir: FIXTURES },
  )
  gw = await startNode({ model, port: 0, logger: memoryLogger() })
})
afterAll(async () => {
  await gw?.close()
})

describe('on Node, over sockets', () => {
  const body = JSON.stringify({ item: 'tea', note: 'x'.repeat(50_000) })

  it('validates a body sent with Content-Length, and the function still gets all of it', async () => {
    const res = await fetch(`${gw.url}/prod/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-shop': '1' }, body })
    expect(res.status).toBe(200)
    expect((await res.json()).body).toBe(body)
    const bad = await fetch(`${gw.url}/prod/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-shop': '1' }, body: '{"note":1}' })
    expect(bad.status).toBe(400)
    expect(await bad.text()).toBe('{"message": "Invalid request body"}')
  })

  it('validates a chunked body', async () => {
    const chunks = [body.slice(0, 10), body.slice(10)]
    const stream = new ReadableStream({
      pull(c) {
        const next = chunks.shift()
        if (next === undefined) c.close()
        else c.enqueue(new TextEncoder().encode(next))
      },
    })
    const res = await fetch(`${gw.url}/prod/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-shop': '1' }, body: stream, duplex: 'half' } as RequestInit)
    expect(res.status).toBe(200)
    expect((await res.json()).body).toBe(body)
  })

  it('answers the REST OPTIONS route and the HTTP API preflight', async () => {
    const rest = await fetch(`${gw.url}/prod/orders`, { method: 'OPTIONS', headers: { Origin: 'https://app.test', 'Access-Control-Request-Method': 'POST' } })
    expect(rest.status).toBe(200)
    expect(rest.headers.get('access-control-allow-methods')).toBe('OPTIONS,POST')
    const http = await fetch(`${gw.url}/h/e`, { method: 'OPTIONS', headers: { Origin: 'https://app.test', 'Access-Control-Request-Method': 'POST' } })
    expect(http.status).toBe(204)
    expect(http.headers.get('access-control-allow-origin')).toBe('https://app.test')
    const post = await fetch(`${gw.url}/h/e`, { method: 'POST', headers: { Origin: 'https://app.test' }, body: 'hi' })
    expect(post.status).toBe(200)
    expect(post.headers.get('access-control-allow-origin')).toBe('https://app.test')
    expect((await post.json()).body).toBe('hi')
  })
})
