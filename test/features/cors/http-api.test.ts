/**
 * HTTP API CORS (corsConfiguration): the gateway answers preflights itself, before route
 * selection and authorizers; other answers get the configured headers for an allowed Origin,
 * and the integration's own Access-Control-* headers are dropped.
 */
import { describe, expect, it } from 'vitest'
import { httpApi, makeGateway, scriptedInvoker } from '../../helpers/gateway.ts'

const fn = { type: 'lambda', function: 'fn' }
const functions = { fn: { handler: 'echo.handler' }, auth: { handler: 'echo.handler' } }

function cors(res: Response): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of res.headers) if (k.startsWith('access-control-') || k === 'vary') out[k] = v
  return out
}

function gateway(corsConfig: Record<string, unknown>, answer: (event: any) => unknown = () => ({ statusCode: 200, body: '{"ok":true}' }), extra: Record<string, unknown> = {}) {
  const scripted = scriptedInvoker(answer)
  const gw = makeGateway(
    { functions, ...httpApi([{ route: 'GET /items/{id}', integration: fn }, { route: 'POST /items', integration: fn }], { cors: corsConfig, ...extra }) },
    { invoker: scripted.invoker },
  )
  return { ...gw, events: scripted.events }
}

const preflight = (origin: string | undefined, method = 'POST', headers?: string) => {
  const h: Record<string, string> = { 'Access-Control-Request-Method': method }
  if (origin !== undefined) h.Origin = origin
  if (headers) h['Access-Control-Request-Headers'] = headers
  return { method: 'OPTIONS', headers: h } as RequestInit
}

const FULL = {
  allowOrigins: ['https://app.example.com'],
  allowMethods: ['GET', 'POST'],
  allowHeaders: ['content-type', 'authorization'],
  exposeHeaders: ['x-request-id'],
  allowCredentials: true,
  maxAge: 300,
}

describe('preflights', () => {
  const cases: [string, Record<string, unknown>, RequestInit, number, Record<string, string>][] = [
    [
      'allowed origin: every configured header, 204',
      FULL,
      preflight('https://app.example.com', 'POST', 'content-type'),
      204,
      {
        'access-control-allow-origin': 'https://app.example.com',
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': 'x-request-id',
        'access-control-max-age': '300',
        'access-control-allow-methods': 'GET,POST',
        'access-control-allow-headers': 'content-type,authorization',
        vary: 'Origin, Access-Control-Request-Headers',
      },
    ],
    ['origin not allowed: a bare 204', FULL, preflight('https://evil.example.net'), 204, {}],
    [
      'allowOrigins *: Allow-Origin *, no Vary',
      { allowOrigins: ['*'], allowMethods: ['*'] },
      preflight('https://anyone.test'),
      204,
      { 'access-control-allow-origin': '*', 'access-control-allow-methods': '*' },
    ],
    [
      'https://* allows any https origin, and echoes it',
      { allowOrigins: ['https://*'], allowMethods: ['GET'] },
      preflight('https://shop.test:8443'),
      204,
      { 'access-control-allow-origin': 'https://shop.test:8443', 'access-control-allow-methods': 'GET', vary: 'Origin' },
    ],
    ['https://* does not allow http origins', { allowOrigins: ['https://*'] }, preflight('http://shop.test'), 204, {}],
    [
      'no allowHeaders: the requested headers are not echoed back',
      { allowOrigins: ['https://app.example.com'], allowMethods: ['POST'] },
      preflight('https://app.example.com', 'POST', 'x-custom'),
      204,
      { 'access-control-allow-origin': 'https://app.example.com', 'access-control-allow-methods': 'POST', vary: 'Origin' },
    ],
    [
      'maxAge 0 and no credentials',
      { allowOrigins: ['https://app.example.com'], maxAge: 0 },
      preflight('https://app.example.com'),
      204,
      { 'access-control-allow-origin': 'https://app.example.com', 'access-control-max-age': '0', vary: 'Origin' },
    ],
  ]
  it.each(cases)('%s', async (_name, config, init, status, expected) => {
    const { app, events } = gateway(config)
    const res = await app.request('/items', init)
    expect(res.status).toBe(status)
    expect(cors(res)).toEqual(expected)
    expect(await res.text()).toBe('')
    expect(res.headers.get('apigw-requestid')).toMatch(/\S/)
    expect(events).toHaveLength(0)
  })

  it('answers for paths no route has, before the 404', async () => {
    const { app } = gateway(FULL)
    const res = await app.request('/nowhere/at/all', preflight('https://app.example.com'))
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    expect((await app.request('/nowhere/at/all')).status).toBe(404)
  })

  it('answers before authorizers: a preflight needs no token', async () => {
    const scripted = scriptedInvoker(() => ({ isAuthorized: false }))
    const { app } = makeGateway(
      {
        functions,
        ...httpApi([{ route: 'POST /items', integration: fn, authorization: { authorizer: 'a' } }], {
          cors: FULL,
          authorizers: { a: { type: 'request', function: 'auth', identitySource: '$request.header.Authorization', enableSimpleResponses: true } },
        }),
      },
      { invoker: scripted.invoker },
    )
    const res = await app.request('/items', preflight('https://app.example.com'))
    expect(res.status).toBe(204)
    expect(scripted.events).toHaveLength(0)
    // The refusal of a real request carries the CORS headers, so the browser can read it.
    const denied = await app.request('/items', { method: 'POST', headers: { Origin: 'https://app.example.com' } })
    expect(denied.status).toBe(401)
    expect(denied.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
  })

  it('an OPTIONS request that is not a preflight goes to the routes', async () => {
    const { app, events } = gateway(FULL)
    const noMethod = await app.request('/items', { method: 'OPTIONS', headers: { Origin: 'https://app.example.com' } })
    expect(noMethod.status).toBe(404)
    expect(noMethod.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    const noOrigin = await app.request('/items', preflight(undefined))
    expect(noOrigin.status).toBe(404)
    expect(cors(noOrigin)).toEqual({})
    expect(events).toHaveLength(0)
  })
})

describe('other answers', () => {
  const backend = () => ({
    statusCode: 200,
    headers: {
      'Access-Control-Allow-Origin': 'https://backend.example',
      'Access-Control-Allow-Methods': 'DELETE',
      'access-control-max-age': '9',
      'X-Own': 'kept',
    },
    body: '{"ok":true}',
  })

  it('an allowed origin gets Allow-Origin, credentials and Expose-Headers; the backend\'s CORS headers are dropped', async () => {
    const { app } = gateway(FULL, backend)
    const res = await app.request('/items/1', { headers: { Origin: 'https://app.example.com' } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true })
    expect(cors(res)).toEqual({
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'x-request-id',
      vary: 'Origin',
    })
    expect(res.headers.get('x-own')).toBe('kept')
  })

  it('an origin not allowed, or no Origin: no CORS headers, and still none of the backend\'s', async () => {
    const { app } = gateway(FULL, backend)
    for (const headers of [{ Origin: 'https://evil.example.net' }, {}] as Record<string, string>[]) {
      const res = await app.request('/items/1', { headers })
      expect(res.status).toBe(200)
      expect(cors(res)).toEqual({})
      expect(res.headers.get('x-own')).toBe('kept')
    }
  })

  it('gateway errors of an allowed origin carry the headers (404, 429)', async () => {
    const { app } = gateway(FULL, undefined, { stages: [{ name: '$default', throttle: { rateLimit: 1, burstLimit: 1 } }] })
    const missing = await app.request('/nope', { headers: { Origin: 'https://app.example.com' } })
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ message: 'Not Found' })
    expect(missing.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    expect((await app.request('/items/1', { headers: { Origin: 'https://app.example.com' } })).status).toBe(200)
    const throttled = await app.request('/items/1', { headers: { Origin: 'https://app.example.com' } })
    expect(throttled.status).toBe(429)
    expect(throttled.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
  })

  it('the access log has one line per preflight, with its status', async () => {
    const { app, logger } = gateway(FULL)
    await app.request('/items', preflight('https://app.example.com'))
    expect(logger.accessLines).toHaveLength(1)
    expect(JSON.parse(logger.accessLines[0]!)).toMatchObject({ httpMethod: 'OPTIONS', status: '204' })
  })

  it('warns about credentials with allowOrigins *', () => {
    const { warnings } = gateway({ allowOrigins: ['*'], allowCredentials: true })
    expect(warnings).toEqual([
      'API "http": cors.allowCredentials with allowOrigins "*" answers Access-Control-Allow-Origin: *, which browsers refuse for requests with credentials',
    ])
  })

  it('refuses origin wildcards API Gateway does not take', () => {
    expect(() => gateway({ allowOrigins: ['https://*.example.com'] })).toThrow(/apis\[0\]\.cors\.allowOrigins\[0\]: an allowed origin is "\*", "https:\/\/\*"/)
  })
})
