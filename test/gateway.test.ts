/**
 * The gateway end to end in-process (app.request): request ids, gateway responses and their
 * overrides, limits, access log, error handling, Lambda failure modes, client address.
 */
import { describe, expect, it } from 'vitest'
import { httpApi, makeGateway, mock, restApi, scriptedInvoker } from './helpers/gateway.ts'
import { InvokeError } from '../src/integrations/lambda/types.ts'

const echo = { type: 'lambda', function: 'echo' }
const functions = { echo: { handler: 'echo.handler' }, boom: { handler: 'echo.boom' } }

describe('request ids', () => {
  it('REST: x-amzn-RequestId equals the event requestId; x-amz-apigw-id its extendedRequestId', async () => {
    const { app } = makeGateway({ functions, ...restApi([{ method: 'GET', path: '/e', integration: echo }]) })
    const res = await app.request('/prod/e')
    const event = await res.json()
    expect(res.headers.get('x-amzn-RequestId')).toBe(event.requestContext.requestId)
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.headers.get('x-amz-apigw-id')).toBe(event.requestContext.extendedRequestId)
    expect(res.headers.get('x-amz-apigw-id')).toMatch(/^[A-Za-z0-9+/]{15}=$/)
    expect(res.headers.get('X-Amzn-Trace-Id')).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/)
    expect(res.headers.get('X-Amzn-Trace-Id')).toBe(event.headers['X-Amzn-Trace-Id'])
    expect(res.headers.get('apigw-requestid')).toBeNull()
  })
  it('HTTP API: apigw-requestid equals requestContext.requestId', async () => {
    const { app } = makeGateway({ functions, ...httpApi([{ route: 'GET /e', integration: echo }]) })
    const res = await app.request('/e')
    const event = await res.json()
    expect(res.headers.get('apigw-requestid')).toBe(event.requestContext.requestId)
    expect(res.headers.get('x-amzn-RequestId')).toBeNull()
  })
  it('REST mock and error answers carry no trace header', async () => {
    const { app } = makeGateway(restApi([{ method: 'GET', path: '/m', integration: mock('{}') }]))
    expect((await app.request('/prod/m')).headers.get('X-Amzn-Trace-Id')).toBeNull()
    expect((await app.request('/prod/zz')).headers.get('X-Amzn-Trace-Id')).toBeNull()
  })
  it('uses the injected clock for requestTimeEpoch and requestTime', async () => {
    const { app, clock } = makeGateway({ functions, ...restApi([{ method: 'GET', path: '/e', integration: echo }]) })
    clock.set(Date.UTC(2025, 3, 14, 22, 11, 1, 718))
    const event = await (await app.request('/prod/e')).json()
    expect(event.requestContext.requestTimeEpoch).toBe(1744668661718)
    expect(event.requestContext.requestTime).toBe('14/Apr/2025:22:11:01 +0000')
  })
})

describe('gateway responses', () => {
  it('renders REST errors with Content-Length and x-amzn-ErrorType', async () => {
    const { app } = makeGateway(restApi([]))
    const res = await app.request('/prod/x')
    expect(res.headers.get('content-length')).toBe('42')
    expect(res.headers.get('content-type')).toBe('application/json')
  })
  it('applies a specific override before DEFAULT_4XX, with $context substitution and quoted statics', async () => {
    const { app } = makeGateway(
      restApi([], {
        gatewayResponses: {
          DEFAULT_4XX: { headers: { 'Access-Control-Allow-Origin': "'*'" }, body: '{"error":$context.error.messageString,"id":"$context.requestId"}' },
          MISSING_AUTHENTICATION_TOKEN: { statusCode: 404, body: '{"msg":"no such route on $context.stage ($stageVariables.v)"}' },
        },
      }),
    )
    const res = await app.request('/prod/x')
    expect(res.status).toBe(404)
    expect(await res.text()).toBe('{"msg":"no such route on prod (x)"}')
    expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull()

    const forbidden = await app.request('/other/x')
    expect(forbidden.status).toBe(403)
    expect(forbidden.headers.get('Access-Control-Allow-Origin')).toBe('*')
    const body = await forbidden.json()
    expect(body).toEqual({ error: 'Forbidden', id: forbidden.headers.get('x-amzn-RequestId') })
  })
  it('renders AWS\'s default template {"message":$context.error.messageString} as valid JSON', async () => {
    const { app } = makeGateway(restApi([], { gatewayResponses: { DEFAULT_4XX: { body: '{"message":$context.error.messageString}' } } }))
    const res = await app.request('/prod/nope')
    expect(await res.text()).toBe('{"message":"Missing Authentication Token"}')
  })
  it('substitutes ${context.x} and ${stageVariables.x} with braces too', async () => {
    const { app } = makeGateway(restApi([], { gatewayResponses: { DEFAULT_4XX: { body: '{"s":"${context.stage}","v":"${stageVariables.v}"}' } } }))
    expect(await (await app.request('/prod/nope')).text()).toBe('{"s":"prod","v":"x"}')
  })
  it('changes the status of every 5XX type through DEFAULT_5XX', async () => {
    const { invoker } = scriptedInvoker(() => 'not a proxy response')
    const { app } = makeGateway(
      { functions, ...restApi([{ method: 'GET', path: '/e', integration: echo }], { gatewayResponses: { DEFAULT_5XX: { statusCode: 599 } } }) },
      { invoker },
    )
    expect((await app.request('/prod/e')).status).toBe(599)
  })
})

describe('Lambda failure modes', () => {
  const config = (type: 'REST' | 'HTTP') =>
    type === 'REST'
      ? { functions, ...restApi([{ method: 'GET', path: '/e', integration: { ...echo, timeoutMs: 100 } }]) }
      : { functions, ...httpApi([{ route: 'GET /e', integration: { ...echo, timeoutMs: 100 } }]) }
  const path = (type: string) => (type === 'REST' ? '/prod/e' : '/e')
  const cases: [string, () => unknown, 'REST' | 'HTTP', number, string][] = [
    ['function error', () => ({ __error: { errorType: 'Error', errorMessage: 'x' } }), 'REST', 502, '{"message":"Internal server error"}'],
    ['function error', () => ({ __error: { errorType: 'Error', errorMessage: 'x' } }), 'HTTP', 500, '{"message":"Internal Server Error"}'],
    ['integration timeout', () => new Promise((r) => setTimeout(() => r({}), 1000)), 'REST', 504, '{"message": "Endpoint request timed out"}'],
    ['integration timeout', () => new Promise((r) => setTimeout(() => r({}), 1000)), 'HTTP', 503, '{"message":"Service Unavailable"}'],
    ['invoke permission error', () => { throw new InvokeError('AccessDenied', { status: 403 }) }, 'REST', 500, '{"message":"Internal server error"}'],
    ['invoke throttled', () => { throw new InvokeError('TooManyRequests', { status: 429 }) }, 'REST', 502, '{"message":"Internal server error"}'],
    ['invoke throttled', () => { throw new InvokeError('TooManyRequests', { status: 429 }) }, 'HTTP', 500, '{"message":"Internal Server Error"}'],
  ]
  it.each(cases)('%s on %s → %i', async (_n, answer, type, status, body) => {
    const { invoker } = scriptedInvoker(answer)
    const { app, logger } = makeGateway(config(type), { invoker })
    const res = await app.request(path(type))
    expect(res.status).toBe(status)
    expect(await res.text()).toBe(body)
    expect(logger.lines.some((l) => l.message === 'request rejected')).toBe(true)
  })
  it('a real handler that throws gives 502 and no stack in the body', async () => {
    const { app } = makeGateway({ functions, ...restApi([{ method: 'GET', path: '/b', integration: { type: 'lambda', function: 'boom' } }]) })
    const res = await app.request('/prod/b')
    expect(res.status).toBe(502)
    expect(await res.text()).toBe('{"message":"Internal server error"}')
  })
  it('an unexpected error is a 500 without a stack trace, with the detail in the log', async () => {
    const invoker = { invoke: async () => { throw new TypeError('bug in gateway code') } }
    const { app, logger } = makeGateway({ functions, ...restApi([{ method: 'GET', path: '/e', integration: echo }]) }, { invoker })
    const res = await app.request('/prod/e')
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(text).toBe('{"message":"Internal server error"}')
    expect(text).not.toContain('TypeError')
    const logged = logger.lines.find((l) => l.level === 'error')!
    expect(String(logged.fields?.stack)).toContain('bug in gateway code')
  })
})

describe('limits', () => {
  const config = (settings: Record<string, unknown> = {}) => ({
    settings,
    functions,
    apis: [
      { name: 'r', type: 'REST', routes: [{ method: 'POST', path: '/e', integration: echo }] },
      { name: 'h', type: 'HTTP', basePath: '/h', routes: [{ route: 'POST /e', integration: echo }] },
    ],
  })
  it('answers 413 in plain text above the payload limit (Content-Length)', async () => {
    const { app } = makeGateway(config({ maxPayloadBytes: 100 }))
    const res = await app.request('/prod/e', { method: 'POST', body: 'x'.repeat(101) })
    expect(res.status).toBe(413)
    expect(await res.text()).toBe('HTTP content length exceeded 100 bytes.')
    const ok = await app.request('/prod/e', { method: 'POST', body: 'x'.repeat(100) })
    expect(ok.status).toBe(200)
  })
  it('counts streamed bodies without Content-Length too, and never reaches the function', async () => {
    const { invoker, events } = scriptedInvoker(() => ({ statusCode: 200 }))
    const { app } = makeGateway(config({ maxPayloadBytes: 1000 }), { invoker })
    const body = new ReadableStream({
      start(c) {
        for (let i = 0; i < 20; i++) c.enqueue(new Uint8Array(100))
        c.close()
      },
    })
    const res = await app.request('/prod/e', { method: 'POST', body, duplex: 'half' } as RequestInit)
    expect(res.status).toBe(413)
    expect(events).toHaveLength(0)
  })
  it('defaults to API Gateway\'s 10 MB', async () => {
    const { app } = makeGateway(config())
    const res = await app.request('/h/e', { method: 'POST', body: new Uint8Array(10_485_761) })
    expect(res.status).toBe(413)
    expect(await res.text()).toBe('{"message":"Request Entity Too Large"}')
  })
  it('answers 431 when header values exceed the limit', async () => {
    const { app } = makeGateway(config({ maxHeaderBytes: 2048 }))
    const res = await app.request('/prod/e', { method: 'POST', headers: { 'x-big': 'a'.repeat(3000) } })
    expect(res.status).toBe(431)
    expect(await res.text()).toBe('{"message":"Request Header Fields Too Large"}')
  })
})

describe('access log', () => {
  const routes = [{ method: 'GET', path: '/m/{id}', integration: mock('{"ok":true}') }]
  it('writes AWS\'s JSON fields by default', async () => {
    const { app, logger } = makeGateway(restApi(routes))
    const res = await app.request('/prod/m/1', { headers: { 'user-agent': 'test' } })
    await res.text()
    const line = JSON.parse(logger.accessLines[0]!)
    expect(line).toMatchObject({
      requestId: res.headers.get('x-amzn-RequestId'),
      ip: '127.0.0.1',
      httpMethod: 'GET',
      routeKey: 'GET /m/{id}',
      resourcePath: '/m/{id}',
      status: '200',
      protocol: 'HTTP/1.1',
      responseLength: '11',
    })
    expect(line.requestTime).toMatch(/^\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000$/)
  })
  it('follows a $context format, per stage', async () => {
    const { app, logger } = makeGateway({
      apis: [
        {
          name: 'r',
          type: 'REST',
          stages: [{ name: 'prod', accessLog: { format: '$context.httpMethod $context.path $context.status $context.responseLength $context.error.responseType' } }],
          routes,
        },
      ],
    })
    await (await app.request('/prod/m/1')).text()
    await (await app.request('/prod/nope')).text()
    expect(logger.accessLines).toEqual(['GET /prod/m/1 200 11 -', 'GET /prod/nope 403 42 MISSING_AUTHENTICATION_TOKEN'])
  })
  it('counts streamed bodies and can be turned off', async () => {
    const { app, logger } = makeGateway({ settings: { accessLog: { enabled: false } }, ...restApi(routes) })
    await (await app.request('/prod/m/1')).text()
    expect(logger.accessLines).toEqual([])
  })
})

describe('client address', () => {
  const routes = [{ method: 'GET', path: '/e', integration: echo }]
  it('ignores X-Forwarded-For unless trusted, and appends the peer to it', async () => {
    const { app } = makeGateway({ functions, ...restApi(routes) })
    const event = await (await app.request('/prod/e', { headers: { 'X-Forwarded-For': '203.0.113.5' } })).json()
    expect(event.requestContext.identity.sourceIp).toBe('127.0.0.1')
    expect(event.headers['X-Forwarded-For']).toBe('203.0.113.5, 127.0.0.1')
  })
  it('takes the leftmost X-Forwarded-For entry when trustForwardedFor is on', async () => {
    const { app } = makeGateway({ settings: { trustForwardedFor: true }, functions, ...restApi(routes) })
    const event = await (await app.request('/prod/e', { headers: { 'X-Forwarded-For': '203.0.113.5, 10.0.0.1' } })).json()
    expect(event.requestContext.identity.sourceIp).toBe('203.0.113.5')
  })
})

describe('stage variables', () => {
  it('resolve in Lambda ARNs per stage', async () => {
    const { invoker } = scriptedInvoker((_e, target) => ({ statusCode: 200, body: target.arn }))
    const { app } = makeGateway(
      {
        apis: [
          {
            name: 'r',
            type: 'REST',
            stages: [{ name: 'prod', variables: { alias: 'live' } }, { name: 'dev', variables: { alias: 'dev' } }],
            routes: [{ method: 'GET', path: '/f', integration: { type: 'lambda', function: 'arn:aws:lambda:us-east-1:123456789012:function:f:${stageVariables.alias}' } }],
          },
        ],
      },
      { invoker },
    )
    expect(await (await app.request('/prod/f')).text()).toBe('arn:aws:lambda:us-east-1:123456789012:function:f:live')
    expect(await (await app.request('/dev/f')).text()).toBe('arn:aws:lambda:us-east-1:123456789012:function:f:dev')
  })
})

describe('stage variables missing from a stage', () => {
  it('fail as an API configuration error (500), not a network error', async () => {
    const { app } = makeGateway({
      apis: [
        {
          name: 'r',
          type: 'REST',
          stages: [{ name: 'prod' }],
          routes: [{ method: 'GET', path: '/h', integration: { type: 'http_proxy', uri: 'http://${stageVariables.host}/x' } }],
        },
      ],
    })
    const res = await app.request('/prod/h')
    expect(res.status).toBe(500)
    expect(await res.text()).toBe('{"message":"Internal server error"}')
  })
})

describe('gateway.fetch, what runtimes serve', () => {
  const token = 'an-admin-token-long-enough-to-pass'
  const { gateway } = makeGateway(restApi([{ method: 'GET', path: '/m', integration: mock('{}') }]), { deps: { env: { PORTICO_ADMIN_TOKEN: token } } })

  it('answers gateway paths as app.fetch does', async () => {
    const viaFetch = await gateway.fetch(new Request('http://localhost/prod/m'))
    const viaApp = await gateway.app.fetch(new Request('http://localhost/prod/m'))
    expect(viaFetch.status).toBe(200)
    expect(await viaFetch.text()).toBe(await viaApp.text())
    expect(viaFetch.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/)
    const missing = await gateway.fetch(new Request('http://localhost/prod/nope'))
    expect(missing.status).toBe(403)
  })
  it('sends the admin prefix, and only it, to the admin API', async () => {
    const unauthorised = await gateway.fetch(new Request('http://localhost/_portico/admin/apikeys'))
    expect(unauthorised.status).toBe(401)
    const listed = await gateway.fetch(new Request('http://localhost/_portico/admin/apikeys', { headers: { authorization: `Bearer ${token}` } }))
    expect(listed.status).toBe(200)
    // A path that only starts with the prefix's text is the gateway's (no stage of that name),
    // where the admin API would have asked for its token.
    const lookalike = await gateway.fetch(new Request('http://localhost/_portico/adminx'))
    expect(lookalike.status).toBe(403)
    expect(await lookalike.json()).toEqual({ message: 'Forbidden' })
  })
  it('an error escaping the gateway is a bare 500, logged', async () => {
    const { gateway, logger } = makeGateway(restApi([{ method: 'GET', path: '/m', integration: mock('{}') }]), {
      deps: {
        clientInfo: () => {
          throw new Error('runtime adapter broke')
        },
      },
    })
    const res = await gateway.fetch(new Request('http://localhost/prod/m'))
    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({ message: 'Internal server error' })
    expect(logger.lines.some((l) => l.message === 'unhandled error' && String(l.fields?.error).includes('runtime adapter broke'))).toBe(true)
  })
})
