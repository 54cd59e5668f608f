/**
 * WebSocket APIs on Node over real sockets: the handshake through $connect (authorizer and
 * integration deciding), route selection, route responses, error frames, limits, $disconnect
 * and the @connections API (HTTP and in process).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startNode, type RunningGateway } from '../../src/runtime/node/index.ts'
import { loadModel } from '../../src/model/load.ts'
import { memoryLogger } from '../../src/core/deps.ts'
import { FIXTURES } from '../helpers/gateway.ts'
import { eventually, expectNoFrame, handshakeStatus, openRawSocket, openSocket, type TestSocket } from '../helpers/ws-client.ts'

type Recorded = { name: string; event: any }
const events = (): Recorded[] => ((globalThis as any).__wsEvents ??= [])
const fn = (name: string, extra: Record<string, unknown> = {}) => ({ handler: `websocket/handlers.${name}`, ...extra })
const lambda = (name: string, extra: Record<string, unknown> = {}) => ({ type: 'lambda', function: name, ...extra })

export const CONFIG = {
  settings: { websocket: { maxMessageBytes: 4096 } },
  functions: {
    connect: fn('connect'),
    disconnect: fn('disconnect'),
    echo: fn('echo'),
    plain: fn('plain'),
    fallback: fn('fallback'),
    fail: fn('fail'),
    slow: fn('slow', { timeout: 10 }),
    broadcast: fn('broadcast'),
    authorize: fn('authorize'),
  },
  apis: [
    {
      name: 'chat',
      type: 'WEBSOCKET',
      stages: [{ name: 'prod', variables: { color: 'blue' } }],
      routes: [
        { route: '$connect', integration: lambda('connect') },
        { route: '$disconnect', integration: lambda('disconnect') },
        { route: '$default', integration: lambda('fallback'), routeResponseSelectionExpression: '$default' },
        { route: 'echo', integration: lambda('echo'), routeResponseSelectionExpression: '$default' },
        { route: 'plain', integration: lambda('plain') },
        { route: 'fail', integration: lambda('fail'), routeResponseSelectionExpression: '$default' },
        { route: 'slow', integration: lambda('slow', { timeoutMs: 300 }), routeResponseSelectionExpression: '$default' },
        { route: 'broadcast', integration: lambda('broadcast'), routeResponseSelectionExpression: '$default' },
      ],
    },
    {
      name: 'secure',
      type: 'WEBSOCKET',
      basePath: '/secure',
      routeSelectionExpression: '${request.body.service}/${request.body.action}',
      authorizers: { auth: { type: 'request', function: 'authorize', identitySource: 'route.request.querystring.token' } },
      routes: [
        { route: '$connect', integration: lambda('connect'), authorization: { authorizer: 'auth' } },
        { route: 'chat/join', integration: lambda('echo'), routeResponseSelectionExpression: '$default' },
      ],
    },
  ],
}

let gw: RunningGateway
let ws: string
const logger = memoryLogger()
const open: TestSocket[] = []

async function connect(path = '/prod', protocols?: string | string[]): Promise<TestSocket & { id: string }> {
  const client = await openSocket(ws + path, protocols)
  open.push(client)
  // $connect ran before the handshake completed: the latest CONNECT event is this connection's.
  const id = events().filter((e) => e.name === 'connect').at(-1)!.event.requestContext.connectionId as string
  return Object.assign(client, { id })
}

/** The first recorded event named `name` of connection `id`. */
function eventOf(name: string, id: string): Promise<Recorded> {
  return eventually(() => events().find((e) => e.name === name && e.event.requestContext.connectionId === id))
}

beforeAll(async () => {
  const { model } = loadModel(CONFIG, { baseDir: FIXTURES })
  gw = await startNode({ model, port: 0, logger })
  ws = gw.url.replace('http://', 'ws://')
})
afterAll(async () => {
  for (const c of open) c.close()
  await gw?.close()
})
beforeEach(() => {
  events().length = 0
})

describe('handshake', () => {
  it('runs $connect with the CONNECT event and opens the connection', async () => {
    const client = await connect('/prod?room=1&room=2')
    const { event } = await eventually(() => events().find((e) => e.name === 'connect'))
    expect(Object.keys(event)).toEqual(['headers', 'multiValueHeaders', 'queryStringParameters', 'multiValueQueryStringParameters', 'stageVariables', 'requestContext', 'isBase64Encoded'])
    expect(event.queryStringParameters).toEqual({ room: '2' })
    expect(event.multiValueQueryStringParameters).toEqual({ room: ['1', '2'] })
    expect(event.stageVariables).toEqual({ color: 'blue' })
    expect(event.isBase64Encoded).toBe(false)
    const headerNames = Object.keys(event.headers).map((h) => h.toLowerCase())
    expect(headerNames).toEqual(expect.arrayContaining(['host', 'sec-websocket-key', 'sec-websocket-version', 'x-amzn-trace-id', 'x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto']))
    expect(headerNames).not.toContain('connection')
    expect(headerNames).not.toContain('upgrade')
    const ctx = event.requestContext
    expect(Object.keys(ctx)).toEqual(['routeKey', 'eventType', 'extendedRequestId', 'requestTime', 'messageDirection', 'stage', 'connectedAt', 'requestTimeEpoch', 'identity', 'requestId', 'domainName', 'connectionId', 'apiId'])
    expect(ctx).toMatchObject({ routeKey: '$connect', eventType: 'CONNECT', messageDirection: 'IN', stage: 'prod', domainName: '127.0.0.1', apiId: gw.gateway.model.apis[0]!.id })
    expect(ctx.requestId).toBe(ctx.extendedRequestId)
    expect(ctx.connectionId).toMatch(/^[A-Za-z0-9]{15}=$/)
    expect(ctx.identity).toEqual({ sourceIp: '127.0.0.1', userAgent: expect.any(String) })
    expect(ctx.requestTime).toMatch(/^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/)
    client.close()
  })

  it('refuses the upgrade with the status $connect answered, and with 502 when it fails', async () => {
    expect(await handshakeStatus(`${ws}/prod?reject=401`)).toBe(401)
    expect(await handshakeStatus(`${ws}/prod?reject=403`)).toBe(403)
    expect(await handshakeStatus(`${ws}/prod?fail=throw`)).toBe(502)
    expect(await handshakeStatus(`${ws}/prod?malformed=1`)).toBe(502)
    expect(await handshakeStatus(`${ws}/prod`)).toBe(101)
  })

  it('echoes a subprotocol only when $connect answers with it', async () => {
    const chosen = await connect('/prod?echoProtocol=1', ['chat.v2', 'chat.v1'])
    expect(chosen.socket.protocol).toBe('chat.v2')
    chosen.close()
    // The client asked for a subprotocol and $connect chose none: browsers fail the handshake.
    await expect(openSocket(`${ws}/prod`, ['chat.v2'])).rejects.toThrow(/failed/)
  })

  it('answers 403 to a plain request on the stage and to unknown paths', async () => {
    const res = await fetch(`${gw.url}/prod`)
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({ message: 'Forbidden' })
    expect((await fetch(`${gw.url}/prod/other`)).status).toBe(403)
    expect(await handshakeStatus(`${ws}/nostage`)).toBe(403)
  })
})

describe('authorizer on $connect', () => {
  it('lets an allowed client in and passes principalId and context to every event', async () => {
    const client = await connect('/secure/prod?token=good')
    const auth = await eventually(() => events().find((e) => e.name === 'authorize'))
    const connectEvent = await eventually(() => events().find((e) => e.name === 'connect'))
    expect(auth.event.type).toBe('REQUEST')
    expect(auth.event.methodArn).toMatch(/^arn:aws:execute-api:us-east-1:123456789012:[a-z0-9]+\/prod\/\$connect$/)
    expect(auth.event.queryStringParameters).toEqual({ token: 'good' })
    expect(auth.event.requestContext).toMatchObject({ routeKey: '$connect', eventType: 'CONNECT', connectionId: connectEvent.event.requestContext.connectionId })
    expect(Object.keys(auth.event.headers).map((h) => h.toLowerCase())).toEqual(expect.arrayContaining(['connection', 'upgrade', 'content-length']))
    expect(connectEvent.event.requestContext.authorizer).toEqual({ principalId: 'user-1', role: 'admin', level: '3', integrationLatency: expect.any(Number) })
    client.send(JSON.stringify({ service: 'chat', action: 'join', name: 'ada' }))
    expect(JSON.parse(await client.next())).toEqual({ service: 'chat', action: 'join', name: 'ada' })
    const message = events().find((e) => e.name === 'echo')!
    expect(message.event.requestContext.authorizer).toMatchObject({ principalId: 'user-1', role: 'admin' })
    client.close()
  })

  it('refuses 401 without the token or when the authorizer says Unauthorized, 403 on Deny, 500 on a failure', async () => {
    expect(await handshakeStatus(`${ws}/secure/prod`)).toBe(401)
    expect(events().some((e) => e.name === 'authorize')).toBe(false)
    expect(await handshakeStatus(`${ws}/secure/prod?token=fail`)).toBe(401)
    expect(await handshakeStatus(`${ws}/secure/prod?token=deny`)).toBe(403)
    expect(await handshakeStatus(`${ws}/secure/prod?token=crash`)).toBe(500)
    // The integration never ran for a refused client.
    expect(events().some((e) => e.name === 'connect')).toBe(false)
  })
})

describe('messages', () => {
  it('routes by the selection expression and sends route responses', async () => {
    const client = await connect()
    client.send(JSON.stringify({ action: 'echo', text: 'hi' }))
    expect(await client.next()).toBe('{"action":"echo","text":"hi"}')
    const { event } = events().find((e) => e.name === 'echo')!
    expect(Object.keys(event)).toEqual(['requestContext', 'body', 'isBase64Encoded', 'stageVariables'])
    expect(event.body).toBe('{"action":"echo","text":"hi"}')
    expect(event.requestContext).toMatchObject({ routeKey: 'echo', eventType: 'MESSAGE', messageDirection: 'IN', stage: 'prod' })
    expect(event.requestContext.messageId).toMatch(/^[A-Za-z0-9+/]{15}=$/)
    expect(event.requestContext.requestId).toBe(event.requestContext.extendedRequestId)
    client.close()
  })

  it('sends unknown keys and non-JSON messages to $default', async () => {
    const client = await connect()
    client.send(JSON.stringify({ action: 'nope' }))
    expect(await client.next()).toBe('default:$default:{"action":"nope"}')
    client.send('not json')
    expect(await client.next()).toBe('default:$default:not json')
    client.send(JSON.stringify({ action: '$connect' }))
    expect(await client.next()).toBe('default:$default:{"action":"$connect"}')
    client.close()
  })

  it('sends nothing back from a route without a route response', async () => {
    const client = await connect()
    client.send(JSON.stringify({ action: 'plain' }))
    await eventually(() => events().find((e) => e.name === 'plain'))
    await expectNoFrame(client)
    client.close()
  })

  it('answers Forbidden when no route matches and there is no $default', async () => {
    const client = await connect('/secure/prod?token=good')
    client.send(JSON.stringify({ service: 'chat', action: 'leave' }))
    const frame = await client.next()
    expect(frame).toMatch(/^\{"message": "Forbidden", "connectionId":"[A-Za-z0-9]{15}=", "requestId":"[A-Za-z0-9+/]{15}="\}$/)
    expect(JSON.parse(frame).connectionId).toBe(client.id)
    client.close()
  })

  it('answers an integration failure with an error frame and stays open', async () => {
    const client = await connect()
    client.send(JSON.stringify({ action: 'fail' }))
    expect(await client.next()).toMatch(/^\{"message": "Internal server error", "connectionId":"[^"]+", "requestId":"[^"]+"\}$/)
    client.send(JSON.stringify({ action: 'slow' }))
    expect(await client.next()).toMatch(/^\{"message": "Endpoint request timed out", "connectionId":"[^"]+", "requestId":"[^"]+"\}$/)
    client.send(JSON.stringify({ action: 'echo' }))
    expect(await client.next()).toBe('{"action":"echo"}')
    client.close()
  })
})

describe('bad frames', () => {
  it('closes with 1003 on a binary frame, and the gateway keeps serving', async () => {
    const { ws: raw, closed } = await openRawSocket(`${ws}/prod`)
    const id = events().filter((e) => e.name === 'connect').at(-1)!.event.requestContext.connectionId
    raw.send(new Uint8Array([1, 2, 3]))
    expect(await closed).toEqual({ code: 1003, reason: 'Binary frames are not supported' })
    const disconnect = await eventOf('disconnect', id)
    expect(disconnect.event.requestContext.disconnectStatusCode).toBe(1003)
    const client = await connect()
    client.send(JSON.stringify({ action: 'echo' }))
    expect(await client.next()).toBe('{"action":"echo"}')
    client.close()
  })

  it('closes with 1009 on a message over maxMessageBytes', async () => {
    const client = await connect()
    client.send(JSON.stringify({ action: 'echo', pad: 'x'.repeat(5000) }))
    expect((await client.closed).code).toBe(1009)
    expect(events().some((e) => e.name === 'echo')).toBe(false)
  })
})

describe('$disconnect', () => {
  it('runs after the client closes, with the close code and reason', async () => {
    const client = await connect()
    const id = client.id
    client.close(4001, 'bye now')
    const { event } = await eventOf('disconnect', id)
    expect(event.requestContext).toMatchObject({ routeKey: '$disconnect', eventType: 'DISCONNECT', disconnectStatusCode: 4001, disconnectReason: 'bye now', connectionId: id })
    expect(Object.keys(event)).toEqual(['headers', 'multiValueHeaders', 'stageVariables', 'requestContext', 'isBase64Encoded'])
    // Gone for @connections once closed.
    expect((await fetch(`${gw.url}/prod/@connections/${encodeURIComponent(id)}`)).status).toBe(410)
  })
})

describe('@connections', () => {
  it('POST sends a frame, GET describes the connection, DELETE closes it', async () => {
    const client = await connect()
    const id = client.id
    const url = `${gw.url}/prod/@connections/${encodeURIComponent(id)}`

    const post = await fetch(url, { method: 'POST', body: 'hello from the backend' })
    expect(post.status).toBe(200)
    expect(await post.text()).toBe('')
    expect(await client.next()).toBe('hello from the backend')

    client.send(JSON.stringify({ action: 'plain' }))
    await eventually(() => events().find((e) => e.name === 'plain'))
    const get = await fetch(url)
    expect(get.status).toBe(200)
    const info = await get.json()
    expect(info).toEqual({ connectedAt: expect.any(String), identity: { sourceIp: '127.0.0.1', userAgent: expect.any(String) }, lastActiveAt: expect.any(String) })
    expect(Date.parse(info.lastActiveAt)).toBeGreaterThanOrEqual(Date.parse(info.connectedAt))
    expect(info.connectedAt).toBe(new Date(events().find((e) => e.name === 'connect')!.event.requestContext.connectedAt).toISOString())

    const del = await fetch(url, { method: 'DELETE' })
    expect(del.status).toBe(204)
    expect(await client.closed).toEqual({ code: 1000, reason: 'Connection Closed Normally' })
    const disconnect = await eventOf('disconnect', id)
    expect(disconnect.event.requestContext).toMatchObject({ disconnectStatusCode: 1000, disconnectReason: 'Connection Closed Normally' })
  })

  it('answers 410 GoneException for an unknown connection, 413 for a payload over the limit', async () => {
    const gone = await fetch(`${gw.url}/prod/@connections/AAAAAAAAAAAAAAA%3D`, { method: 'POST', body: 'x' })
    expect(gone.status).toBe(410)
    expect(gone.headers.get('x-amzn-errortype')).toBe('GoneException')
    expect((await fetch(`${gw.url}/prod/@connections/AAAAAAAAAAAAAAA%3D`)).status).toBe(410)
    expect((await fetch(`${gw.url}/prod/@connections/AAAAAAAAAAAAAAA%3D`, { method: 'DELETE' })).status).toBe(410)

    const client = await connect()
    const id = client.id
    const big = await fetch(`${gw.url}/prod/@connections/${encodeURIComponent(id)}`, { method: 'POST', body: 'x'.repeat(5000) })
    expect(big.status).toBe(413)
    expect(big.headers.get('x-amzn-errortype')).toBe('PayloadTooLargeException')
    // A connection of another API is not reachable through this API's endpoint.
    expect((await fetch(`${gw.url}/secure/prod/@connections/${encodeURIComponent(id)}`)).status).toBe(410)
    client.close()
  })

  it('reaches other connections from a handler through the in-process API', async () => {
    const a = await connect()
    const b = await connect()
    const ids = [a.id, b.id]
    a.send(JSON.stringify({ action: 'broadcast', to: [...ids, 'GONEGONEGONEGON='], text: 'to all' }))
    expect(await b.next()).toBe('to all')
    const frames = [await a.next(), await a.next()]
    expect(frames).toContain('to all')
    expect(frames).toContain('{"gone":["GONEGONEGONEGON="]}')
    a.close()
    b.close()
  })
})
