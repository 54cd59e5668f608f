/**
 * API Gateway's PetStore example imported from OpenAPI as AWS writes it and served: the HTTP
 * non-proxy integrations against a local backend standing in for petstore-demo-endpoint (the
 * gateway's HTTP client redirects that origin; the document is unchanged), and the mocks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importOpenApi, isOpenApiDocument } from '../../../src/importers/openapi.ts'
import { makeGateway } from '../../helpers/gateway.ts'
import { fixture, PETSTORE_HOST, redirectingClient, startPetStoreBackend } from './helpers.ts'

let backend: Awaited<ReturnType<typeof startPetStoreBackend>>
beforeAll(async () => {
  backend = await startPetStoreBackend()
})
afterAll(() => backend.close())

const integration = (path: string, method: string) => `paths.${path}.${method}.x-amazon-apigateway-integration`

describe('PetStore as AWS writes it (HTTP non-proxy integrations)', () => {
  const serve = (opts: { stage?: string } = {}) => {
    const { config, warnings } = importOpenApi(fixture('petstore.yaml'), { file: 'petstore.yaml', ...opts })
    return { ...makeGateway(config, { deps: { httpClient: redirectingClient(PETSTORE_HOST, backend.url) } }), warnings, config }
  }

  it('is recognised as OpenAPI', () => {
    expect(isOpenApiDocument(fixture('petstore.yaml'))).toBe(true)
    expect(isOpenApiDocument(fixture('petstore-mock.json'))).toBe(true)
  })

  it('imports every method as written, without warnings', () => {
    const { config, warnings } = importOpenApi(fixture('petstore.yaml'))
    expect(warnings).toEqual([])
    const api = config.apis[0]!
    expect(api.name).toBe('PetStore')
    expect(api.type).toBe('REST')
    expect(api.stages).toEqual([{ name: 'prod' }])
    expect(api.routes!.map((r) => `${r.method} ${r.path} ${r.integration.type}`)).toEqual([
      'GET / mock',
      'GET /pets http',
      'POST /pets http',
      'OPTIONS /pets mock',
      'GET /pets/{petId} http',
      'OPTIONS /pets/{petId} mock',
    ])
    expect(api.routes![4]!.integration).toEqual({
      type: 'http',
      uri: `${PETSTORE_HOST}/petstore/pets/{petId}`,
      method: 'GET',
      requestParameters: { 'integration.request.path.petId': 'method.request.path.petId' },
      passthroughBehavior: 'WHEN_NO_MATCH',
      responses: [{ statusCode: 200, responseParameters: { 'method.response.header.Access-Control-Allow-Origin': "'*'" } }],
    })
  })

  it('GET /prod/pets sends the mapped query string and answers with the mapped header', async () => {
    const { app } = serve()
    backend.seen.length = 0
    const res = await app.request('/prod/pets?type=dog&page=2&other=x', { headers: { 'x-not-mapped': '1' } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual([{ id: 1, type: 'dog', price: 249.99 }])
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    // A non-proxy integration answers with the mapped headers only.
    expect(res.headers.get('x-backend')).toBeNull()
    expect(res.headers.get('X-Amzn-Trace-Id')).toMatch(/^Root=1-/)
    expect(backend.seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /petstore/pets?page=2&type=dog'])
    expect(backend.seen[0]!.headers['x-not-mapped']).toBeUndefined()
  })

  it('GET /prod/pets/{petId} fills the backend path from the mapped path parameter', async () => {
    const { app } = serve()
    backend.seen.length = 0
    const res = await app.request('/prod/pets/2')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ id: 2, type: 'cat', price: 124.99 })
    // One (default) integration response: the backend's 404 is the method's 200, as on AWS.
    const missing = await app.request('/prod/pets/99')
    expect(missing.status).toBe(200)
    expect(await missing.json()).toEqual({ message: 'pet not found' })
    expect(backend.seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /petstore/pets/2', 'GET /petstore/pets/99'])
  })

  it('POST /prod/pets passes the body through', async () => {
    const { app } = serve()
    backend.seen.length = 0
    const res = await app.request('/prod/pets', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'dog', price: 249.99 }),
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ pet: { type: 'dog', price: 249.99 }, message: 'success' })
    expect(backend.seen).toHaveLength(1)
    expect(backend.seen[0]!.method).toBe('POST')
    expect(backend.seen[0]!.url).toBe('/petstore/pets')
    expect(JSON.parse(backend.seen[0]!.body)).toEqual({ type: 'dog', price: 249.99 })
    expect(backend.seen[0]!.headers['content-type']).toBe('application/json')
  })

  it('serves the mocks: the HTML landing page and the CORS preflights, without calling the backend', async () => {
    const { app } = serve()
    backend.seen.length = 0
    const page = await app.request('/prod/')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html')
    expect(await page.text()).toContain('<h1>Welcome to your Pet Store API</h1>')
    const preflight = await app.request('/prod/pets', { method: 'OPTIONS' })
    expect(preflight.status).toBe(200)
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST,GET,OPTIONS')
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
    expect(preflight.headers.get('access-control-allow-headers')).toBe('Content-Type,X-Amz-Date,Authorization,X-Api-Key')
    const one = await app.request('/prod/pets/7', { method: 'OPTIONS' })
    expect(one.headers.get('access-control-allow-methods')).toBe('GET,OPTIONS')
    expect(backend.seen).toEqual([])
  })

  it('answers like API Gateway for what the document does not define', async () => {
    const { app } = serve()
    backend.seen.length = 0
    const res = await app.request('/prod/pets', { method: 'DELETE' })
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({ message: 'Missing Authentication Token' })
    expect((await app.request('/test/pets')).status).toBe(403) // no such stage
    expect(backend.seen).toEqual([])
  })

  it('takes the stage from the options', async () => {
    const { app } = serve({ stage: 'test' })
    expect((await app.request('/test/pets/1')).status).toBe(200)
    expect((await app.request('/prod/pets/1')).status).toBe(403)
  })
})

describe('PetStore (mock integrations, OpenAPI 3.1 JSON)', () => {
  it('imports the mocks as written, without warnings, and serves what their templates select', async () => {
    const { config, warnings } = importOpenApi(fixture('petstore-mock.json'))
    expect(warnings).toEqual([])
    const PETS = '[{"id": 1, "type": "dog", "price": 249.99}, {"id": 2, "type": "cat", "price": 124.99}, {"id": 3, "type": "fish", "price": 0.99}]'
    expect(config.apis[0]!.routes).toEqual([
      {
        method: 'GET',
        path: '/pets',
        integration: {
          type: 'mock',
          requestTemplates: { 'application/json': '{"statusCode": 200}' },
          responses: [{ statusCode: 200, responseParameters: { 'method.response.header.Access-Control-Allow-Origin': "'*'" }, responseTemplates: { 'application/json': PETS } }],
        },
      },
      // The body's schema is a model; without a validator nothing checks it, as on AWS.
      {
        method: 'POST',
        path: '/pets',
        integration: {
          type: 'mock',
          requestTemplates: { 'application/json': '{"statusCode": 201}' },
          responses: [
            { selectionPattern: '2\\d{2}', statusCode: 201, responseTemplates: { 'application/json': '{"pet": {"type": "dog", "price": 249.99}, "message": "success"}' } },
            { statusCode: 500 },
          ],
        },
        requestModels: { 'application/json': 'NewPet' },
      },
      {
        method: 'GET',
        path: '/pets/{petId}',
        integration: { type: 'mock', responses: [{ statusCode: 200, responseTemplates: { 'application/json': '{"id": 1, "type": "dog", "price": 249.99}' } }] },
        requestParameters: { 'method.request.path.petId': true },
      },
    ])
    const { app } = makeGateway(config)
    const list = await app.request('/prod/pets')
    expect(list.status).toBe(200)
    expect(list.headers.get('content-type')).toBe('application/json')
    expect(list.headers.get('access-control-allow-origin')).toBe('*')
    expect(await list.json()).toHaveLength(3)
    // {"statusCode": 201} selects the 2\d{2} response, not the default (500).
    const created = await app.request('/prod/pets', { method: 'POST', body: '{"type":"dog","price":249.99}', headers: { 'content-type': 'application/json' } })
    expect(created.status).toBe(201)
    expect(await created.json()).toEqual({ pet: { type: 'dog', price: 249.99 }, message: 'success' })
    // No request template: the mock's status is 200, which the default response answers.
    const one = await app.request('/prod/pets/1')
    expect(one.status).toBe(200)
    expect(await one.json()).toEqual({ id: 1, type: 'dog', price: 249.99 })
  })
})
