/**
 * The Node runtime over real sockets: the example served by startNode, header casing and
 * repeated headers as the client sent them, the peer address, keep-alive, and limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect } from 'node:net'
import { startNode, type RunningGateway } from '../../src/runtime/node/index.ts'
import { loadConfigFile } from '../../src/model/load-file.ts'
import { loadModel } from '../../src/model/load.ts'
import { memoryLogger } from '../../src/core/deps.ts'
import { startBackend } from '../../examples/users/backend.ts'
import { FIXTURES } from '../helpers/gateway.ts'

let example: RunningGateway
let echo: RunningGateway
let backend: Awaited<ReturnType<typeof startBackend>>
const logger = memoryLogger()

beforeAll(async () => {
  backend = await startBackend(0)
  const { model } = await loadConfigFile('examples/users/portico.yaml')
  for (const api of model.apis) for (const stage of api.stages) stage.variables.backendUrl = backend.url
  example = await startNode({ model, port: 0, logger })
  const echoModel = loadModel(
    {
      settings: { maxPayloadBytes: 1024, throttle: { rateLimit: 1000, burstLimit: 500 } },
      functions: { echo: { handler: 'echo.handler' }, respond: { handler: 'echo.respond' } },
      apis: [
        {
          name: 'r',
          type: 'REST',
          routes: [
            { method: 'ANY', path: '/e', integration: { type: 'lambda', function: 'echo' } },
            { method: 'POST', path: '/respond', integration: { type: 'lambda', function: 'respond' } },
          ],
        },
        { name: 'h', type: 'HTTP', basePath: '/h', routes: [{ route: 'ANY /e', integration: { type: 'lambda', function: 'echo', payloadFormatVersion: '2.0' } }] },
      ],
    },
    { baseDir: FIXTURES },
  ).model
  echo = await startNode({ model: echoModel, port: 0, logger: memoryLogger() })
})
afterAll(async () => {
  await example?.close()
  await echo?.close()
  await backend?.close()
})

/** Sends a raw HTTP/1.1 request and returns the raw response text. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text))
    let out = ''
    socket.on('data', (d) => (out += d))
    socket.on('end', () => resolve(out))
    socket.on('error', reject)
  })
}

describe('the users example on Node', () => {
  it('answers GET /prod/users/42 with user 42', async () => {
    const res = await fetch(`${example.url}/prod/users/42`)
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body).toMatchObject({ id: '42', name: 'User 42' })
    expect(body.requestId).toBe(res.headers.get('x-amzn-requestid'))
  })
  it('creates a user over REST and reads it back over the HTTP API', async () => {
    const created = await fetch(`${example.url}/prod/users`, { method: 'POST', body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }) })
    expect(created.status).toBe(201)
    const user = await created.json()
    const read = await fetch(`${example.url}/v2/users/${user.id}`)
    expect(await read.json()).toMatchObject({ id: user.id, name: 'Ada', email: 'ada@example.com' })
    expect(read.headers.get('apigw-requestid')).toMatch(/=$/)
  })
  it('rejects a bad body with the handler\'s 400', async () => {
    const res = await fetch(`${example.url}/prod/users`, { method: 'POST', body: '{' })
    expect(res.status).toBe(400)
  })
  it('proxies /prod/backend/* to the example backend', async () => {
    const res = await fetch(`${example.url}/prod/backend/items/7?q=1`)
    const seen = await res.json()
    expect(seen).toMatchObject({ backend: 'users-example', method: 'GET', url: '/items/7?q=1' })
    expect(seen.headers['x-forwarded-port']).toBe(String(example.port))
  })
  it('serves the mock health route', async () => {
    expect(await (await fetch(`${example.url}/prod/health`)).json()).toEqual({ status: 'ok' })
  })
  it('lets GET /prod/me through the guide\'s token authorizer with a valid HS256 token', async () => {
    const { SignJWT } = await import('jose')
    const token = await new SignJWT({ user_id: '42', role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('dev-only-secret-change-me'))
    const res = await fetch(`${example.url}/prod/me`, { headers: { Authorization: `Bearer ${token}` } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ user_id: '42', role: 'admin', principalId: '42' })
    const forged = await fetch(`${example.url}/prod/me`, { headers: { Authorization: `Bearer ${token.slice(0, -2)}xx` } })
    expect(forged.status).toBe(403)
    expect(await forged.json()).toEqual({ Message: 'User is not authorized to access this resource with an explicit deny' })
    const none = await fetch(`${example.url}/prod/me`)
    expect(none.status).toBe(401)
  })
  it('requires the demo API key on /prod/partner/users/{id}', async () => {
    expect((await fetch(`${example.url}/prod/partner/users/7`)).status).toBe(403)
    const ok = await fetch(`${example.url}/prod/partner/users/7`, { headers: { 'x-api-key': 'demo-partner-key-0123456789' } })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ id: '7' })
  })
  it('writes an access-log line per request', () => {
    expect(logger.accessLines.length).toBeGreaterThanOrEqual(4)
  })
})

describe('what a Lambda function sees over a real socket', () => {
  it('REST keeps header casing and repeated headers, without Content-Length', async () => {
    const raw = await rawRequest(
      echo.port,
      'POST /prod/e?a=1&a=2 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Dup: one\r\nx-dup: two\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
    )
    const event = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))
    expect(event.headers['X-Dup']).toBe('two')
    expect(event.multiValueHeaders['X-Dup']).toEqual(['one', 'two'])
    expect(event.headers['Content-Type']).toBe('application/json')
    expect(event.headers['Content-Length']).toBeUndefined()
    expect(event.queryStringParameters).toEqual({ a: '2' })
    expect(event.multiValueQueryStringParameters).toEqual({ a: ['1', '2'] })
    expect(event.requestContext.identity.sourceIp).toBe('127.0.0.1')
    expect(event.headers['X-Forwarded-Port']).toBe(String(echo.port))
    expect(event.body).toBe('{}')
  })
  it('HTTP API 2.0 lowercases and joins headers, splits cookies, keeps Content-Length', async () => {
    const raw = await rawRequest(
      echo.port,
      'POST /h/e HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Dup: one\r\nX-Dup: two\r\nCookie: a=1; b=2\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi',
    )
    const event = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))
    expect(event.headers['x-dup']).toBe('one,two')
    expect(event.headers['content-length']).toBe('2')
    expect(event.cookies).toEqual(['a=1', 'b=2'])
    expect(event.headers.cookie).toBeUndefined()
    expect(event.requestContext.http.sourceIp).toBe('127.0.0.1')
  })
  it('answers 413 above the payload limit on a chunked body', async () => {
    const chunk = 'x'.repeat(600)
    const raw = await rawRequest(
      echo.port,
      `POST /prod/e HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n258\r\n${chunk}\r\n258\r\n${chunk}\r\n0\r\n\r\n`,
    )
    expect(raw.split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large')
    expect(raw.endsWith('HTTP content length exceeded 1024 bytes.')).toBe(true)
  })
  it('reuses a keep-alive connection for several requests', async () => {
    const raw = await rawRequest(
      echo.port,
      'GET /prod/e HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /prod/e HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    )
    expect(raw.match(/HTTP\/1.1 200 OK/g)).toHaveLength(2)
  })
})

describe('what a client gets from a Lambda answer over a real socket', () => {
  /** Raw response head lines (name: value) for a POST /prod/respond asking for `asked`. */
  async function answerHead(asked: unknown): Promise<{ status: string; lines: string[] }> {
    const body = JSON.stringify(asked)
    const raw = await rawRequest(
      echo.port,
      `POST /prod/respond HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
    const [status, ...lines] = raw.slice(0, raw.indexOf('\r\n\r\n')).split('\r\n')
    return { status: status!, lines }
  }
  const named = (lines: string[], name: string) => lines.filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))

  it('the gateway ids replace the function\'s, once; its rate-limit headers win over the gateway\'s', async () => {
    const { status, lines } = await answerHead({ headers: { 'X-Amzn-RequestId': 'forged', 'X-RateLimit-Limit': '7', 'X-Custom': 'kept' } })
    expect(status).toBe('HTTP/1.1 200 OK')
    const ids = named(lines, 'x-amzn-requestid')
    expect(ids).toHaveLength(1)
    expect(ids[0]).toMatch(/: [0-9a-f-]{36}$/)
    expect(named(lines, 'x-amz-apigw-id')).toHaveLength(1)
    expect(named(lines, 'x-amzn-trace-id')).toHaveLength(1)
    expect(named(lines, 'x-ratelimit-limit')).toEqual(['X-RateLimit-Limit: 7'])
    expect(named(lines, 'x-ratelimit-remaining')).toHaveLength(1)
    expect(named(lines, 'ratelimit-policy')).toHaveLength(1)
    expect(named(lines, 'x-custom')).toEqual(['X-Custom: kept'])
    expect(named(lines, 'content-length')).toEqual(['content-length: 2'])
  })
  it('repeated and renamed headers keep AWS\'s rules on the Headers path', async () => {
    const { lines } = await answerHead({ multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'], Server: ['mine'] } })
    expect(named(lines, 'set-cookie')).toHaveLength(2)
    expect(named(lines, 'x-amzn-remapped-server')).toHaveLength(1)
    expect(named(lines, 'x-amzn-requestid')).toHaveLength(1)
  })
  it('a header value Node cannot write is a 502, not a broken connection', async () => {
    for (const headers of [{ 'X-Bad': 'a\u0001b' }, { 'X-Bad': 'caf\u00e9 \u20ac' }, { 'Bad Name': 'x' }]) {
      const { status, lines } = await answerHead({ headers })
      expect(status).toBe('HTTP/1.1 502 Bad Gateway')
      expect(named(lines, 'x-amzn-errortype').map((l) => l.toLowerCase())).toEqual(['x-amzn-errortype: internalservererrorexception'])
    }
  })
})

describe('a client that closes its side after sending', () => {
  /** Sends `text`, half-closes, and resolves with what came back once the server closed too. */
  function halfClosed(port: number, text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(text))
      let out = ''
      socket.on('data', (d) => (out += d))
      socket.on('close', () => resolve(out))
      socket.on('error', reject)
    })
  }
  it('still gets the answer of a route that waits on I/O (HTTP proxy), then the connection ends', async () => {
    const raw = await halfClosed(example.port, 'GET /prod/backend/hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    expect(raw.split('\r\n')[0]).toBe('HTTP/1.1 200 OK')
    expect(raw.slice(raw.indexOf('\r\n\r\n') + 4)).toContain('hello')
  })
  it('gets the answer of a POST whose body came before the close', async () => {
    const body = JSON.stringify({ name: 'Half', email: 'half@example.com' })
    const raw = await halfClosed(example.port, `POST /prod/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
    expect(raw.split('\r\n')[0]).toBe('HTTP/1.1 201 Created')
  })
})
