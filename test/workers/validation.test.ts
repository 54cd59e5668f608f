/**
 * Request validation and CORS inside workerd: JSON Schema models (with a reference between
 * them) are checked by @cfworker/json-schema, which needs no code generation (workerd forbids
 * it), and Hono's cors middleware answers an HTTP API's preflight.
 */
import { describe, expect, it } from 'vitest'
import { createGateway } from '../../src/gateway.ts'
import { loadModel } from '../../src/model/load.ts'
import { memoryLogger } from '../../src/core/deps.ts'
import { fetchHttpClient } from '../../src/integrations/http/index.ts'

const deps = () => ({
  clock: { now: () => Date.UTC(2026, 0, 15, 12) },
  logger: memoryLogger(),
  invoker: { invoke: async () => ({ kind: 'ok' as const, payload: 'null' }) },
  httpClient: fetchHttpClient(),
})

describe('inside workerd', () => {
  it('validates a body against a draft-4 model that refers to another', async () => {
    const { model } = loadModel({
      apis: [
        {
          name: 'shop',
          type: 'REST',
          models: {
            Order: { type: 'object', required: ['item'], properties: { item: { type: 'string' }, ship: { $ref: 'Address' } } },
            Address: { type: 'object', required: ['city'], properties: { city: { type: 'string', minLength: 1 } } },
          },
          requestValidators: { all: { validateRequestBody: true, validateRequestParameters: true } },
          routes: [
            {
              method: 'POST',
              path: '/orders',
              requestValidator: 'all',
              requestParameters: { 'method.request.header.X-Shop': true },
              requestModels: { 'application/json': 'Order' },
              integration: { type: 'mock', statusCode: 201, body: '{"created":true}' },
            },
          ],
        },
      ],
    })
    const gateway = createGateway(model, deps())
    const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json', 'x-shop': '1' }) =>
      gateway.fetch(new Request('https://api.test/prod/orders', { method: 'POST', headers, body }))
    expect((await post('{"item":"tea","ship":{"city":"Lyon"}}')).status).toBe(201)
    const bad = await post('{"item":"tea","ship":{"city":""}}')
    expect(bad.status).toBe(400)
    expect(await bad.text()).toBe('{"message": "Invalid request body"}')
    const missing = await post('{"item":"tea"}', { 'content-type': 'application/json' })
    expect(await missing.text()).toBe('{"message": "Missing required request parameters: [X-Shop]"}')
  })

  it('answers an HTTP API preflight with Hono\'s cors middleware', async () => {
    const { model } = loadModel({
      apis: [{ name: 'h', type: 'HTTP', cors: { allowOrigins: ['https://app.test'], allowMethods: ['GET'], maxAge: 60 }, routes: [] }],
    })
    const gateway = createGateway(model, deps())
    const res = await gateway.fetch(new Request('https://api.test/anything', { method: 'OPTIONS', headers: { Origin: 'https://app.test', 'Access-Control-Request-Method': 'GET' } }))
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.test')
    expect(res.headers.get('access-control-max-age')).toBe('60')
  })
})
