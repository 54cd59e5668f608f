/**
 * serverless.yml `integration: lambda` (and `aws`), `http` and `mock` events, as the
 * Serverless Framework documents and compiles them (test/fixtures/serverless/custom.yml): the
 * framework's request templates (its "LAMBDA" event), passThrough NEVER by default, its status
 * codes ("[404]" in an error message), response headers and templates.
 */
import { describe, expect, it } from 'vitest'
import { importFixture, serveFixture } from './helpers.ts'
import { recordingBackend } from '../../features/mapping/helpers.ts'

const BASE = 'http://localhost'

describe('custom.yml', () => {
  it('imports without warnings, with the framework\'s defaults for lambda integrations', async () => {
    const { config, warnings } = await importFixture('custom.yml')
    expect(warnings).toEqual([])
    const routes = config.apis[0]!.routes! as Record<string, any>[]
    const byPath = (p: string, m = 'GET') => routes.find((r) => r.path === p && r.method === m)!.integration
    const users = byPath('/users/{id}')
    expect(users.type).toBe('lambda_custom')
    expect(users.passthroughBehavior).toBe('NEVER')
    expect(Object.keys(users.requestTemplates)).toEqual(['application/json', 'application/x-www-form-urlencoded'])
    expect(users.responses.map((r: any) => `${r.statusCode} ${r.selectionPattern ?? 'default'}`)).toEqual([
      '200 default',
      '400 [\\s\\S]*\\[400\\][\\s\\S]*',
      '401 [\\s\\S]*\\[401\\][\\s\\S]*',
      '403 [\\s\\S]*\\[403\\][\\s\\S]*',
      '404 [\\s\\S]*\\[404\\][\\s\\S]*',
      '422 [\\s\\S]*\\[422\\][\\s\\S]*',
      '500 [\\s\\S]*(Process\\s?exited\\s?before\\s?completing\\s?request|\\[500\\])[\\s\\S]*',
      '502 [\\s\\S]*\\[502\\][\\s\\S]*',
      '504 ([\\s\\S]*\\[504\\][\\s\\S]*)|(.*Task timed out after \\d+\\.\\d+ seconds$)',
    ])
    // Custom templates replace or add to the defaults; null removes one.
    expect(Object.keys(byPath('/whatever').requestTemplates)).toEqual(['application/json', 'application/x-www-form-urlencoded', 'text/xhtml'])
    expect(byPath('/whatever').passthroughBehavior).toBe('WHEN_NO_MATCH')
    expect(Object.keys(byPath('/created', 'POST').requestTemplates)).toEqual(['application/json'])
    expect(byPath('/created', 'POST').responses).toEqual([
      { statusCode: 201, responseTemplates: { 'application/json': "$input.path('$')" } },
      {
        statusCode: 409,
        selectionPattern: '.*"statusCode":409,.*',
        responseTemplates: { 'application/json': '$input.path("$.errorMessage")' },
        responseParameters: { 'method.response.header.Content-Type': "'application/json+hal'" },
      },
    ])
    expect(byPath('/pets/{petId}')).toMatchObject({
      type: 'http',
      uri: 'http://petstore.example.com/pets/{petId}',
      method: 'GET',
      requestParameters: {
        'integration.request.querystring.type': 'method.request.querystring.type',
        'integration.request.header.x-caller': 'method.request.header.x-caller',
        'integration.request.path.petId': 'method.request.path.petId',
      },
    })
  })

  it('the framework\'s LAMBDA event', async () => {
    const { app } = await serveFixture('custom.yml')
    const res = await app.request(`${BASE}/dev/users/42?expand=true`, { headers: { 'x-note': "it's" } })
    expect(res.status).toBe(200)
    const event = (await res.json()) as Record<string, any>
    expect(event).toMatchObject({
      body: {},
      method: 'GET',
      principalId: '',
      stage: 'dev',
      cognitoPoolClaims: { sub: '' },
      enhancedAuthContext: {},
      query: { expand: 'true' },
      path: { id: '42' },
      stageVariables: {},
      requestPath: '/users/{id}',
    })
    expect(event.headers['x-note']).toBe("it's")
    expect(event.identity).toMatchObject({ sourceIp: '127.0.0.1', apiKey: '', user: '' })
  })

  it('form bodies become an object; other types are refused (passThrough NEVER)', async () => {
    const { app } = await serveFixture('custom.yml')
    const form = await app.request(`${BASE}/dev/users`, { method: 'POST', body: 'name=Ada+L&tags=a%2Cb&empty', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(((await form.json()) as { body: unknown }).body).toEqual({ name: 'Ada L', tags: 'a,b', empty: '' })
    const json = await app.request(`${BASE}/dev/users`, { method: 'POST', body: '{"name":"Ada"}', headers: { 'content-type': 'application/json' } })
    expect(((await json.json()) as { body: unknown }).body).toEqual({ name: 'Ada' })
    const text = await app.request(`${BASE}/dev/users`, { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } })
    expect(text.status).toBe(415)
    expect(await text.json()).toEqual({ message: 'Unsupported Media Type' })
  })

  it('custom request templates; the response headers and template', async () => {
    const { app } = await serveFixture('custom.yml')
    const res = await app.request(`${BASE}/dev/whatever?bar=123`)
    expect(await res.json()).toEqual({ httpMethod: 'GET', foo: '123' })
    const page = await app.request(`${BASE}/dev/page?name=Ada`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html')
    expect(page.headers.get('cache-control')).toBe('max-age=120')
    expect(await page.text()).toBe('<h1>Ada</h1>')
  })

  it('status codes: [404] in the message, the default for other errors, 504 for a timeout', async () => {
    const { app } = await serveFixture('custom.yml')
    const missing = await app.request(`${BASE}/dev/fails?message=${encodeURIComponent('[404] Not found')}`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ errorType: 'Error', errorMessage: '[404] Not found' })
    const other = await app.request(`${BASE}/dev/fails?message=boom`)
    expect(other.status).toBe(200)
    expect(await other.json()).toMatchObject({ errorMessage: 'boom' })
    const slow = await app.request(`${BASE}/dev/slow`)
    expect(slow.status).toBe(504)
    expect(await slow.json()).toMatchObject({ errorMessage: expect.stringMatching(/Task timed out after 0\.05 seconds$/) })
  })

  it('a 201 default, and $input.path(\'$\') printed as a Java map', async () => {
    const { app } = await serveFixture('custom.yml')
    const res = await app.request(`${BASE}/dev/created`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } })
    expect(res.status).toBe(201)
    expect(await res.text()).toMatch(/^\{body=\{a=1\}, method=POST, /)
  })

  it('http integrations send the declared parameters and map the answer by status', async () => {
    const backend = recordingBackend((r) => (r.url.includes('/pets/7') ? { body: '{"id":7}' } : { status: 404, body: '{}' }))
    const { app } = await serveFixture('custom.yml', { deps: { httpClient: backend.httpClient } })
    const res = await app.request(`${BASE}/dev/pets/7?type=dog&other=1`, { headers: { 'x-caller': 'ada' } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ pet: { id: 7 } })
    expect(backend.seen[0]!.url).toBe('http://petstore.example.com/pets/7?type=dog')
    expect(backend.seen[0]!.headers).toContainEqual(['x-caller', 'ada'])
    const missing = await app.request(`${BASE}/dev/pets/8`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ message: 'no such pet' })
  })
})
