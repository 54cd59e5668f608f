/**
 * API Gateway's PetStore example imported from OpenAPI and served: the HTTP integrations
 * against a local PetStore backend, the mock integrations, and the example as AWS writes it
 * (non-proxy HTTP), which Portico refuses with a clear error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importOpenApi, isOpenApiDocument } from '../../../src/importers/openapi.ts'
import { ConfigError } from '../../../src/model/load.ts'
import { makeGateway } from '../../helpers/gateway.ts'
import { fixture, PETSTORE_HOST, rewrite, startPetStoreBackend } from './helpers.ts'

let backend: Awaited<ReturnType<typeof startPetStoreBackend>>
beforeAll(async () => {
  backend = await startPetStoreBackend()
})
afterAll(() => backend.close())

const integration = (path: string, method: string) => `paths.${path}.${method}.x-amazon-apigateway-integration`

describe('PetStore (HTTP integrations)', () => {
  const serve = () => {
    const { config, warnings } = importOpenApi(rewrite(fixture('petstore.yaml'), PETSTORE_HOST, backend.url), { file: 'petstore.yaml' })
    return { ...makeGateway(config), warnings, config }
  }

  it('is recognised as OpenAPI', () => {
    expect(isOpenApiDocument(fixture('petstore.yaml'))).toBe(true)
    expect(isOpenApiDocument(fixture('petstore-mock.json'))).toBe(true)
  })

  it('imports every method, with the stage from servers and a warning for each key proxies ignore', () => {
    const { config, warnings } = importOpenApi(fixture('petstore.yaml'))
    const api = config.apis[0]!
    expect(api.name).toBe('PetStore')
    expect(api.type).toBe('REST')
    expect(api.stages).toEqual([{ name: 'prod' }])
    expect(api.routes!.map((r) => `${r.method} ${r.path} ${r.integration.type}`)).toEqual([
      'GET / mock',
      'GET /pets http_proxy',
      'POST /pets http_proxy',
      'OPTIONS /pets mock',
      'GET /pets/{petId} http_proxy',
      'OPTIONS /pets/{petId} mock',
    ])
    expect(api.routes![4]!.integration).toEqual({ type: 'http_proxy', uri: `${PETSTORE_HOST}/petstore/pets/{petId}`, method: 'GET' })
    expect(warnings).toEqual([
      `${integration('/pets', 'get')}.passthroughBehavior: proxy integrations pass every request through; ignored`,
      `${integration('/pets', 'get')}.responses: proxy integrations pass the backend's answer through unchanged; integration responses are ignored`,
      `${integration('/pets', 'post')}.passthroughBehavior: proxy integrations pass every request through; ignored`,
      `${integration('/pets', 'post')}.responses: proxy integrations pass the backend's answer through unchanged; integration responses are ignored`,
      `${integration('/pets/{petId}', 'get')}.passthroughBehavior: proxy integrations pass every request through; ignored`,
      `${integration('/pets/{petId}', 'get')}.responses: proxy integrations pass the backend's answer through unchanged; integration responses are ignored`,
    ])
  })

  it('GET /prod/pets reaches the backend with the query string', async () => {
    const { app, warnings } = serve()
    expect(warnings).toHaveLength(6)
    backend.seen.length = 0
    const res = await app.request('/prod/pets?type=dog&page=2')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual([{ id: 1, type: 'dog', price: 249.99 }])
    expect(res.headers.get('x-backend')).toBe('petstore')
    expect(backend.seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /petstore/pets?type=dog&page=2'])
  })

  it('GET /prod/pets/{petId} fills the backend path from the mapped path parameter', async () => {
    const { app } = serve()
    backend.seen.length = 0
    const res = await app.request('/prod/pets/2')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ id: 2, type: 'cat', price: 124.99 })
    // A proxy passes the backend's status through.
    const missing = await app.request('/prod/pets/99')
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ message: 'pet not found' })
    expect(backend.seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /petstore/pets/2', 'GET /petstore/pets/99'])
  })

  it('POST /prod/pets forwards the body', async () => {
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
    const { config } = importOpenApi(rewrite(fixture('petstore.yaml'), PETSTORE_HOST, backend.url), { stage: 'test' })
    const { app } = makeGateway(config)
    expect((await app.request('/test/pets/1')).status).toBe(200)
    expect((await app.request('/prod/pets/1')).status).toBe(403)
  })
})

describe('PetStore as AWS writes it (HTTP non-proxy integrations)', () => {
  it('is refused with an error per method that says what to use instead', () => {
    const doc = fixture('petstore.yaml')
    for (const [path, method] of [['/pets', 'get'], ['/pets', 'post'], ['/pets/{petId}', 'get']] as const) {
      doc.paths[path][method]['x-amazon-apigateway-integration'].type = 'http'
    }
    const message =
      'HTTP (non-proxy) integrations need mapping templates and integration responses, which Portico does not support yet: use http_proxy (the request and the backend\'s answer pass through unchanged)'
    let error: unknown
    try {
      importOpenApi(doc, { file: 'petstore.json' })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).issues).toEqual([
      { path: ['paths', '/pets', 'get', 'x-amazon-apigateway-integration', 'type'], message },
      { path: ['paths', '/pets', 'post', 'x-amazon-apigateway-integration', 'type'], message },
      { path: ['paths', '/pets/{petId}', 'get', 'x-amazon-apigateway-integration', 'type'], message },
    ])
    expect((error as Error).message.split('\n').slice(0, 2)).toEqual([
      'petstore.json: invalid config',
      `  paths./pets.get.x-amazon-apigateway-integration.type: ${message}`,
    ])
  })
})

describe('PetStore (mock integrations, OpenAPI 3.1 JSON)', () => {
  it('imports without warnings and serves the static answers', async () => {
    const { config, warnings } = importOpenApi(fixture('petstore-mock.json'))
    expect(warnings).toEqual([])
    expect(config.apis[0]!.routes).toEqual([
      {
        method: 'GET',
        path: '/pets',
        integration: {
          type: 'mock',
          statusCode: 200,
          headers: { 'Access-Control-Allow-Origin': '*' },
          body: '[{"id": 1, "type": "dog", "price": 249.99}, {"id": 2, "type": "cat", "price": 124.99}, {"id": 3, "type": "fish", "price": 0.99}]',
        },
      },
      // {"statusCode": 201} selects the 2\d{2} response, not default.
      // The body's schema is a model; without a validator nothing checks it, as on AWS.
      {
        method: 'POST',
        path: '/pets',
        integration: { type: 'mock', statusCode: 201, body: '{"pet": {"type": "dog", "price": 249.99}, "message": "success"}' },
        requestModels: { 'application/json': 'NewPet' },
      },
      // No request template: the default response.
      {
        method: 'GET',
        path: '/pets/{petId}',
        integration: { type: 'mock', statusCode: 200, body: '{"id": 1, "type": "dog", "price": 249.99}' },
        requestParameters: { 'method.request.path.petId': true },
      },
    ])
    const { app } = makeGateway(config)
    const list = await app.request('/prod/pets')
    expect(list.status).toBe(200)
    expect(list.headers.get('content-type')).toBe('application/json')
    expect(list.headers.get('access-control-allow-origin')).toBe('*')
    expect(await list.json()).toHaveLength(3)
    const created = await app.request('/prod/pets', { method: 'POST', body: '{"type":"dog","price":249.99}' })
    expect(created.status).toBe(201)
    expect(await created.json()).toEqual({ pet: { type: 'dog', price: 249.99 }, message: 'success' })
    const one = await app.request('/prod/pets/1')
    expect(await one.json()).toEqual({ id: 1, type: 'dog', price: 249.99 })
  })
})
