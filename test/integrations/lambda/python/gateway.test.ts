/**
 * The guide's Python handlers, unchanged, behind a real gateway (REST payload 1.0, HTTP API
 * 1.0 and 2.0): what they read from the event, what clients get back, and how failures,
 * timeouts, crashes and prints show.
 */
import { describe, expect, it } from 'vitest'
import { httpApi, makeGateway, restApi } from '../../../helpers/gateway.ts'
import { PY_FIXTURES, PYTHON, pythonInvoker, pythonProblem, pythonRouter } from './helpers.ts'

const problem = pythonProblem(PYTHON)

const functions = {
  users: { handler: 'users.lambda_handler' },
  echo: { handler: 'users.echo' },
  orders: { handler: 'src/orders.create' },
  plain: { handler: 'src/orders.plain' },
  fails: { handler: 'behaviours.fails' },
  slow: { handler: 'behaviours.api_sleeps', timeout: 0.5 },
  counter: { handler: 'behaviours.api_counter' },
  prints: { handler: 'behaviours.prints' },
}
const lambda = (name: string, extra: Record<string, unknown> = {}) => ({ type: 'lambda', function: name, ...extra })

function gateway(config: Record<string, unknown>) {
  const { invoker, logger } = pythonInvoker()
  const built = makeGateway({ functions, ...config }, { invoker: pythonRouter(invoker), baseDir: PY_FIXTURES, deps: { logger } })
  return { ...built, logger }
}

function rest() {
  return gateway(
    restApi([
      { method: 'ANY', path: '/users/{id}', integration: lambda('users') },
      { method: 'POST', path: '/echo/{id}', integration: lambda('echo') },
      { method: 'GET', path: '/fails', integration: lambda('fails') },
      { method: 'GET', path: '/slow', integration: lambda('slow') },
      { method: 'GET', path: '/counter', integration: lambda('counter') },
      { method: 'GET', path: '/prints', integration: lambda('prints') },
    ]),
  )
}

describe.skipIf(problem !== undefined)(`Python handlers behind the gateway (${problem ?? PYTHON})`, () => {
  it('REST 1.0: the guide\'s lambda_handler runs as written', async () => {
    const { app } = rest()
    const res = await app.request('/prod/users/42?expand=1', { method: 'POST', body: '{"name":"Ada"}', headers: { 'content-type': 'application/json' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(await res.json()).toEqual({ message: 'Success', user_id: '42' })
    // No body: event['body'] is None, which the guide's code handles.
    const get = await app.request('/prod/users/7')
    expect(await get.json()).toEqual({ message: 'Success', user_id: '7' })
  })

  it('REST 1.0: httpMethod, path, queryStringParameters, headers and body arrive as API Gateway sends them', async () => {
    const { app } = rest()
    const res = await app.request('/prod/echo/9?a=1&a=2&b=x', {
      method: 'POST',
      body: JSON.stringify({ item: 'book', qty: 2 }),
      headers: { 'content-type': 'application/json', 'X-Client': 'demo' },
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      method: 'POST',
      path: '/echo/9',
      query: { a: '2', b: 'x' },
      client: 'demo',
      body: { item: 'book', qty: 2 },
      source_ip: expect.any(String),
    })
  })

  it('HTTP API with payload 1.0 runs the same handler', async () => {
    const { app } = gateway(httpApi([{ route: 'ANY /users/{id}', integration: lambda('users', { payloadFormatVersion: '1.0' }) }]))
    const res = await app.request('/users/5', { method: 'PUT', body: '{"name":"x"}' })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ message: 'Success', user_id: '5' })
  })

  it('HTTP API 2.0: requestContext.http, rawPath, cookies; a dict without statusCode is the body', async () => {
    const { app } = gateway(
      httpApi([
        { route: 'POST /orders', integration: lambda('orders') },
        { route: 'GET /plain', integration: lambda('plain') },
      ]),
    )
    const res = await app.request('/orders?rush=yes', { method: 'POST', body: '{"item":"lamp"}' })
    expect(res.status).toBe(201)
    expect(res.headers.get('set-cookie')).toBe('session=abc; Path=/')
    expect(await res.json()).toEqual({ method: 'POST', path: '/orders', query: { rush: 'yes' }, item: 'lamp', version: '2.0' })
    const plain = await app.request('/plain')
    expect(plain.status).toBe(200)
    expect(plain.headers.get('content-type')).toBe('application/json')
    expect(await plain.json()).toEqual({ route: 'GET /plain', ok: true })
  })

  it('a raised exception: REST 502, HTTP API 500, no trace to the client', async () => {
    const restRes = await rest().app.request('/prod/fails')
    expect(restRes.status).toBe(502)
    expect(await restRes.text()).toBe('{"message":"Internal server error"}')
    const { app } = gateway(httpApi([{ route: 'GET /fails', integration: lambda('fails') }]))
    const httpRes = await app.request('/fails')
    expect(httpRes.status).toBe(500)
    expect(await httpRes.text()).toBe('{"message":"Internal Server Error"}')
  })

  it('the function timeout answers 502 well before the integration timeout; the next call gets a new worker', async () => {
    const { app, logger } = rest()
    const warm = await (await app.request('/prod/slow?s=0')).json()
    const started = Date.now()
    const res = await app.request('/prod/slow')
    expect(res.status).toBe(502)
    expect(Date.now() - started).toBeLessThan(5000)
    expect(await res.json()).toEqual({ message: 'Internal server error' })
    const after = await app.request('/prod/slow?s=0')
    expect(after.status).toBe(200)
    expect((await after.json()).pid).not.toBe(warm.pid)
    expect(logger.lines.some((l) => String(l.fields?.detail).includes('Task timed out after 0.50 seconds'))).toBe(true)
  })

  it('a crash answers 502, and the next request is served by a new worker', async () => {
    const { app } = rest()
    const first = await (await app.request('/prod/counter')).json()
    expect((await (await app.request('/prod/counter')).json()).invocations).toBe(2)
    const crashed = await app.request('/prod/counter?crash')
    expect(crashed.status).toBe(502)
    expect(await crashed.json()).toEqual({ message: 'Internal server error' })
    const next = await (await app.request('/prod/counter')).json()
    expect(next.invocations).toBe(1)
    expect(next.pid).not.toBe(first.pid)
  })

  it('print() goes to the gateway log, never into the response', async () => {
    const { app, logger } = rest()
    const res = await app.request('/prod/prints')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('printed')
    expect(logger.lines).toContainEqual({ level: 'info', message: 'hello from prints', fields: expect.objectContaining({ function: 'prints' }) })
  })
})
