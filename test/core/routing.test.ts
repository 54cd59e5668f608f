/**
 * Routing cases drawn from API Gateway's recorded behaviour (reference §2): stage prefixes,
 * path templates, greedy parameters, ANY, HTTP API route priority, slashes, encoding, and
 * the rejections each API type answers with.
 */
import { describe, expect, it } from 'vitest'
import { httpApi, makeGateway, mock, restApi, scriptedInvoker } from '../helpers/gateway.ts'

const route = (method: string, path: string, name: string) => ({ method, path, integration: mock(JSON.stringify({ name })) })

describe('REST API routing', () => {
  const { app } = makeGateway(
    restApi([
      route('GET', '/', 'root'),
      route('GET', '/pets', 'pets'),
      route('GET', '/pets/{id}', 'pet'),
      route('GET', '/pets/dog', 'dog'),
      route('ANY', '/pets/{id}/toys', 'toys'),
      route('GET', '/files/{proxy+}', 'files'),
      route('POST', '/files/upload', 'upload'),
      route('GET', '/a/{x}/c', 'a-x-c'),
      route('GET', '/a/b/{y}', 'a-b-y'),
    ]),
  )

  const cases: [method: string, path: string, expected: string | number, headers?: Record<string, string>][] = [
    ['GET', '/prod', 'root'],
    ['GET', '/prod/', 'root'],
    ['GET', '/prod/pets', 'pets'],
    ['GET', '/prod/pets/', 'pets'],
    ['GET', '/prod/pets/dog', 'dog'],
    ['GET', '/prod/pets/7', 'pet'],
    ['PUT', '/prod/pets/7/toys', 'toys'],
    ['HEAD', '/prod/pets/7/toys', 'toys'],
    ['GET', '/prod/files/a/b/c', 'files'],
    ['GET', '/prod/files/a//b', 'files'],
    ['GET', '//prod/pets', 'pets'],
    ['GET', '/prod//pets', 'pets'],
    ['GET', '/prod/a/b/c', 'a-b-y'],
    ['DELETE', '/prod/pets/7', 403],
    ['GET', '/prod/files/', 403],
    ['GET', '/prod/files/upload', 403],
    ['GET', '/prod/unknown', 403],
    ['GET', '/prod/pets/7/toys/extra', 403],
    ['GET', '/', 403],
    ['GET', '/prod/pets', 403, { 'X-HTTP-Method-Override': 'DELETE' }],
    ['POST', '/prod/pets/7/toys', 'toys', { 'X-HTTP-Method-Override': 'PATCH' }],
  ]
  it.each(cases)('%s %s → %s', async (method, path, expected, headers) => {
    const res = await app.request(path, { method, headers })
    if (typeof expected === 'number') {
      expect(res.status).toBe(expected)
      expect(await res.text()).toBe('{"message":"Missing Authentication Token"}')
      expect(res.headers.get('x-amzn-ErrorType')).toBe('MissingAuthenticationTokenException')
    } else {
      expect(res.status).toBe(200)
      if (method !== 'HEAD') expect(await res.json()).toEqual({ name: expected })
    }
  })

  it('answers an unknown stage with 403 Forbidden', async () => {
    const res = await app.request('/staging/pets')
    expect(res.status).toBe(403)
    expect(await res.text()).toBe('{"message":"Forbidden"}')
    expect(res.headers.get('x-amzn-ErrorType')).toBe('ForbiddenException')
  })
})

describe('REST API path values reach Lambda as AWS sends them', () => {
  const { invoker, events } = scriptedInvoker(() => ({ statusCode: 200, body: 'ok' }))
  const { app } = makeGateway(
    restApi([
      { method: 'GET', path: '/users/{username}', integration: { type: 'lambda', function: 'arn:aws:lambda:us-east-1:123456789012:function:f' } },
      { method: 'ANY', path: '/{proxy+}', integration: { type: 'lambda', function: 'arn:aws:lambda:us-east-1:123456789012:function:f' } },
    ]),
    { invoker },
  )
  it('keeps path parameters percent-encoded', async () => {
    await app.request('/prod/users/John%20Doe')
    expect(events.at(-1).pathParameters).toEqual({ username: 'John%20Doe' })
    expect(events.at(-1).path).toBe('/users/John%20Doe')
  })
  it('strips the trailing slash from the greedy parameter but keeps it in path', async () => {
    await app.request('/prod/proxy-value/')
    expect(events.at(-1).pathParameters).toEqual({ proxy: 'proxy-value' })
    expect(events.at(-1).path).toBe('/proxy-value/')
    expect(events.at(-1).resource).toBe('/{proxy+}')
  })
  it('keeps double slashes inside the greedy parameter', async () => {
    await app.request('/prod/proxy-value//double-slash')
    expect(events.at(-1).pathParameters).toEqual({ proxy: 'proxy-value//double-slash' })
  })
  it('normalises slashes after the stage in path but keeps them in requestContext.path', async () => {
    await app.request('/prod//x')
    expect(events.at(-1).path).toBe('/x')
    expect(events.at(-1).requestContext.path).toBe('/prod//x')
  })
})

describe('HTTP API route priority (AWS docs example)', () => {
  const fn = { type: 'lambda', function: 'arn:aws:lambda:us-east-1:123456789012:function:f' }
  const { invoker, events } = scriptedInvoker((event) => ({ statusCode: 200, body: event.routeKey }))
  const { app } = makeGateway(
    httpApi(
      [
        { route: 'GET /pets/dog/1', integration: fn },
        { route: 'GET /pets/dog/{id}', integration: fn },
        { route: 'GET /pets/{proxy+}', integration: fn },
        { route: 'ANY /{proxy+}', integration: fn },
        { route: '$default', integration: fn },
      ],
      { stages: [{ name: '$default' }, { name: 'beta' }] },
    ),
    { invoker },
  )
  const cases: [string, string, string][] = [
    ['GET', '/pets/dog/1', 'GET /pets/dog/1'],
    ['GET', '/pets/dog/2', 'GET /pets/dog/{id}'],
    ['GET', '/pets/cat', 'GET /pets/{proxy+}'],
    ['GET', '/pets/dog/1/x', 'GET /pets/{proxy+}'],
    ['POST', '/pets/dog/1', 'ANY /{proxy+}'],
    ['GET', '/other', 'ANY /{proxy+}'],
    ['GET', '/', '$default'],
    ['GET', '/beta/pets/dog/1', 'GET /pets/dog/1'],
  ]
  it.each(cases)('%s %s → %s', async (method, path, routeKey) => {
    const res = await app.request(path, { method })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(routeKey)
  })
  it('puts the named stage in rawPath and requestContext.stage', async () => {
    await app.request('/beta/pets/dog/1')
    expect(events.at(-1).rawPath).toBe('/beta/pets/dog/1')
    expect(events.at(-1).requestContext.stage).toBe('beta')
    await app.request('/pets/dog/1')
    expect(events.at(-1).rawPath).toBe('/pets/dog/1')
    expect(events.at(-1).requestContext.stage).toBe('$default')
  })
  it('decodes path parameters', async () => {
    await app.request('/pets/dog/John%20Doe')
    expect(events.at(-1).pathParameters).toEqual({ id: 'John Doe' })
  })
})

describe('HTTP API without a matching route', () => {
  const fn = { type: 'lambda', function: 'arn:aws:lambda:us-east-1:123456789012:function:f' }
  const { app } = makeGateway(httpApi([{ route: 'GET /pets', integration: fn }], { stages: [{ name: 'v1' }] }), {
    invoker: scriptedInvoker(() => 'x').invoker,
  })
  it.each([
    ['GET', '/v1/cats'],
    ['POST', '/v1/pets'],
    ['GET', '/pets'],
  ])('%s %s → 404 Not Found', async (method, path) => {
    const res = await app.request(path, { method })
    expect(res.status).toBe(404)
    expect(await res.text()).toBe('{"message":"Not Found"}')
    expect(res.headers.get('x-amzn-ErrorType')).toBeNull()
    expect(res.headers.get('apigw-requestid')).toMatch(/^[A-Za-z0-9+/]{15}=$/)
  })
})

describe('several APIs on one server', () => {
  const { app } = makeGateway({
    apis: [
      { name: 'a', type: 'REST', routes: [route('GET', '/who', 'a')] },
      { name: 'b', type: 'REST', basePath: '/b', routes: [route('GET', '/who', 'b')] },
      { name: 'c', type: 'REST', hosts: ['c.example.com'], routes: [route('GET', '/who', 'c')] },
    ],
  })
  it.each([
    ['/prod/who', undefined, 'a'],
    ['/b/prod/who', undefined, 'b'],
    ['/prod/who', 'c.example.com', 'c'],
    ['/prod/who', 'C.EXAMPLE.COM:8787', 'c'],
  ])('%s (host %s) → %s', async (path, host, expected) => {
    const res = await app.request(`http://${host ?? 'localhost'}${path}`)
    expect(await res.json()).toEqual({ name: expected })
  })
})
