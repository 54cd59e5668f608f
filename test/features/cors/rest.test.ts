/**
 * REST CORS: a route's `cors` creates an OPTIONS mock route for its path (the Serverless
 * Framework's defaults and merge rules); without one a preflight is 403 Missing
 * Authentication Token; other answers carry CORS headers only when the integration or a
 * gateway response sets them, as on AWS.
 */
import { describe, expect, it } from 'vitest'
import { makeGateway, mock, restApi, scriptedInvoker } from '../../helpers/gateway.ts'
import { ConfigError } from '../../../src/model/load.ts'
import { routeTable } from '../../../src/cli/routes.ts'

const DEFAULT_HEADERS = 'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent,X-Amzn-Trace-Id'
const fn = { type: 'lambda', function: 'fn' }
const functions = { fn: { handler: 'echo.handler' } }

const preflight = (origin = 'https://app.example.com', method = 'GET') =>
  ({ method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': 'content-type' } }) as RequestInit

function corsHeaders(res: Response): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of res.headers) if (k.startsWith('access-control-') || k === 'cache-control') out[k] = v
  return out
}

describe('preflights of routes with cors', () => {
  const cases: [string, unknown[], Record<string, string>][] = [
    [
      'cors: true: origin *, the framework\'s headers, OPTIONS and the method',
      [{ method: 'GET', path: '/users/{id}', integration: fn, cors: true }],
      { 'access-control-allow-origin': '*', 'access-control-allow-headers': DEFAULT_HEADERS, 'access-control-allow-methods': 'OPTIONS,GET' },
    ],
    [
      'two methods on one path merge, the later first (as lodash union in the framework)',
      [
        { method: 'GET', path: '/users/{id}', integration: fn, cors: true },
        { method: 'DELETE', path: '/users/{id}', integration: fn, cors: true },
      ],
      { 'access-control-allow-origin': '*', 'access-control-allow-headers': DEFAULT_HEADERS, 'access-control-allow-methods': 'OPTIONS,DELETE,GET' },
    ],
    [
      'an object: origin, headers, credentials, max-age, cache-control',
      [
        {
          method: 'POST',
          path: '/users/{id}',
          integration: fn,
          cors: { origin: 'https://app.example.com', headers: ['Content-Type', 'X-Trace'], allowCredentials: true, maxAge: 600, cacheControl: 'max-age=600' },
        },
      ],
      {
        'access-control-allow-origin': 'https://app.example.com',
        'access-control-allow-headers': 'Content-Type,X-Trace',
        'access-control-allow-methods': 'OPTIONS,POST',
        'access-control-allow-credentials': 'true',
        'access-control-max-age': '600',
        'cache-control': 'max-age=600',
      },
    ],
    [
      'ANY is spelled out; given methods come first',
      [{ method: 'ANY', path: '/users/{id}', integration: fn, cors: { methods: ['PATCH'] } }],
      {
        'access-control-allow-origin': '*',
        'access-control-allow-headers': DEFAULT_HEADERS,
        'access-control-allow-methods': 'PATCH,OPTIONS,DELETE,GET,HEAD,PATCH,POST,PUT',
      },
    ],
    [
      'credentials if any route of the path asks; the later maxAge wins',
      [
        { method: 'GET', path: '/users/{id}', integration: fn, cors: { maxAge: 60 } },
        { method: 'PUT', path: '/users/{id}', integration: fn, cors: { allowCredentials: true, maxAge: 120 } },
      ],
      {
        'access-control-allow-origin': '*',
        'access-control-allow-headers': DEFAULT_HEADERS,
        'access-control-allow-methods': 'OPTIONS,PUT,GET',
        'access-control-allow-credentials': 'true',
        'access-control-max-age': '120',
      },
    ],
  ]
  it.each(cases)('%s', async (_name, routes, expected) => {
    const { app, events } = withEvents(routes)
    const res = await app.request('/prod/users/42', preflight())
    expect(res.status).toBe(200)
    expect(corsHeaders(res)).toEqual(expected)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await res.text()).toBe('')
    // A MOCK: the function is not called, and the answer has no trace header.
    expect(events).toHaveLength(0)
    expect(res.headers.get('x-amzn-trace-id')).toBeNull()
  })

  it('answers any OPTIONS request on the path, with or without CORS request headers (a plain mock)', async () => {
    const { app } = withEvents([{ method: 'GET', path: '/users/{id}', integration: fn, cors: true }])
    const res = await app.request('/prod/users/1', { method: 'OPTIONS' })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('several origins: the request\'s Origin when it matches one (* as a wildcard), else the first', async () => {
    const { app } = withEvents([{ method: 'GET', path: '/p', integration: fn, cors: { origins: ['https://a.example.com', 'https://*.example.org'] } }])
    const origin = async (o: string) => (await app.request('/prod/p', preflight(o))).headers.get('access-control-allow-origin')
    expect(await origin('https://a.example.com')).toBe('https://a.example.com')
    expect(await origin('https://shop.example.org')).toBe('https://shop.example.org')
    expect(await origin('https://evil.example.net')).toBe('https://a.example.com')
    expect(await origin('https://example.org')).toBe('https://a.example.com')
  })

  it('"origin: a, b" is read as origins, as the framework does', async () => {
    const { app } = withEvents([{ method: 'GET', path: '/p', integration: fn, cors: { origin: 'https://a.test, https://b.test' } }])
    expect((await app.request('/prod/p', preflight('https://b.test'))).headers.get('access-control-allow-origin')).toBe('https://b.test')
    expect((await app.request('/prod/p', preflight('https://c.test'))).headers.get('access-control-allow-origin')).toBe('https://a.test')
  })

  it('the OPTIONS routes are in the route table, after their path\'s routes, unauthenticated', async () => {
    const { model } = withEvents([
      { method: 'GET', path: '/a', integration: fn, cors: true, apiKeyRequired: true },
      { method: 'GET', path: '/b', integration: fn },
      { method: 'POST', path: '/a', integration: fn, cors: true },
    ])
    expect(model.apis[0]!.routes.map((r) => r.routeKey)).toEqual(['GET /a', 'GET /b', 'POST /a', 'OPTIONS /a'])
    const rows = routeTable(model).filter((r) => r.method === 'OPTIONS')
    expect(rows).toEqual([expect.objectContaining({ method: 'OPTIONS', path: '/a', integration: 'mock 200', auth: 'NONE', apiKey: '-' })])
  })

  it('an explicit OPTIONS route on the path is a conflict', () => {
    expect(() =>
      makeGateway({
        functions,
        ...restApi([
          { method: 'GET', path: '/a', integration: fn, cors: true },
          { method: 'OPTIONS', path: '/a', integration: mock('') },
        ]),
      }),
    ).toThrow(/routes\[0\]\.cors: \/a already has an OPTIONS route \(routes\[1\]\)/)
  })

  it('cors belongs to REST routes; HTTP APIs set it once on the API', () => {
    try {
      makeGateway({ functions, apis: [{ name: 'h', type: 'HTTP', routes: [{ route: 'GET /a', integration: fn, cors: true }] }] })
      expect.unreachable()
    } catch (e) {
      expect((e as ConfigError).issues).toEqual([{ path: ['apis', 0, 'routes', 0, 'cors'], message: 'HTTP APIs configure CORS once per API (cors on the API), as on AWS' }])
    }
    try {
      makeGateway({ functions, ...restApi([{ method: 'GET', path: '/a', integration: fn }], { cors: { allowOrigins: ['*'] } }) })
      expect.unreachable()
    } catch (e) {
      expect((e as ConfigError).issues[0]!.path).toEqual(['apis', 0, 'cors'])
    }
  })
})

describe('REST answers without an OPTIONS route', () => {
  it('a preflight is 403 Missing Authentication Token, with no CORS headers', async () => {
    const { app } = withEvents([{ method: 'GET', path: '/users/{id}', integration: fn }])
    const res = await app.request('/prod/users/42', preflight())
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({ message: 'Missing Authentication Token' })
    expect(res.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException')
    expect(corsHeaders(res)).toEqual({})
  })

  it('a lambda-proxy answer gets CORS headers only from the function, even on a path with cors', async () => {
    const scripted = scriptedInvoker((event) =>
      event.path === '/with'
        ? { statusCode: 200, body: '{}' }
        : { statusCode: 200, headers: { 'Access-Control-Allow-Origin': '*' }, body: '{}' },
    )
    const { app } = makeGateway(
      { functions, ...restApi([{ method: 'GET', path: '/with', integration: fn, cors: true }, { method: 'GET', path: '/own', integration: fn }]) },
      { invoker: scripted.invoker },
    )
    const plain = await app.request('/prod/with', { headers: { Origin: 'https://app.example.com' } })
    expect(corsHeaders(plain)).toEqual({})
    const own = await app.request('/prod/own', { headers: { Origin: 'https://app.example.com' } })
    expect(corsHeaders(own)).toEqual({ 'access-control-allow-origin': '*' })
  })

  it('gateway errors carry CORS headers only when gatewayResponses set them', async () => {
    const routes = [{ method: 'GET', path: '/k', integration: fn, cors: true, apiKeyRequired: true }]
    const bare = withEvents(routes)
    const denied = await bare.app.request('/prod/k', { headers: { Origin: 'https://app.example.com' } })
    expect(denied.status).toBe(403)
    expect(corsHeaders(denied)).toEqual({})

    const configured = makeGateway({
      functions,
      ...restApi(routes, { gatewayResponses: { DEFAULT_4XX: { headers: { 'Access-Control-Allow-Origin': "'*'", 'Access-Control-Allow-Headers': "'Content-Type,X-Api-Key'" } } } }),
    })
    const res = await configured.app.request('/prod/k', { headers: { Origin: 'https://app.example.com' } })
    expect(res.status).toBe(403)
    expect(corsHeaders(res)).toEqual({ 'access-control-allow-origin': '*', 'access-control-allow-headers': 'Content-Type,X-Api-Key' })
  })
})

function withEvents(routes: unknown[]) {
  const scripted = scriptedInvoker(() => ({ statusCode: 200, body: '{}' }))
  const gw = makeGateway({ functions, ...restApi(routes) }, { invoker: scripted.invoker })
  return { ...gw, events: scripted.events }
}
