/**
 * WebSocket APIs on Node, the guarded parts: @connections signed with SigV4 for
 * execute-api:ManageConnections, IAM and API keys on $connect, the idle and maximum-duration
 * timers, and the access log line of a handshake.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { AwsClient } from 'aws4fetch'
import { startNode, type RunningGateway } from '../../src/runtime/node/index.ts'
import { loadModel } from '../../src/model/load.ts'
import { memoryLogger } from '../../src/core/deps.ts'
import { FIXTURES } from '../helpers/gateway.ts'
import { eventually, handshakeStatus, openSocket } from '../helpers/ws-client.ts'

const events = (): { name: string; event: any }[] => ((globalThis as any).__wsEvents ??= [])
const lambda = (name: string) => ({ type: 'lambda', function: name })
const ACCOUNT = '123456789012'
const MANAGER = { accessKeyId: 'AKIAMANAGER000000001', secretAccessKey: 'manager-secret', arn: `arn:aws:iam::${ACCOUNT}:user/manager` }
const OUTSIDER = { accessKeyId: 'AKIAOUTSIDER00000001', secretAccessKey: 'outsider-secret', arn: `arn:aws:iam::${ACCOUNT}:user/outsider` }

const config = {
  settings: { websocket: { idleTimeoutSeconds: 1, maxConnectionSeconds: 3 }, accessLog: { enabled: true, format: '$context.requestId $context.status $context.routeKey $context.eventType $context.connectionId' } },
  functions: {
    connect: { handler: 'websocket/handlers.connect' },
    disconnect: { handler: 'websocket/handlers.disconnect' },
    echo: { handler: 'websocket/handlers.echo' },
  },
  iam: {
    credentials: [
      { ...MANAGER, policies: [{ Statement: { Effect: 'Allow', Action: 'execute-api:ManageConnections', Resource: 'arn:aws:execute-api:*:*:*/prod/*/@connections/*' } }] },
      { ...OUTSIDER, policies: [{ Statement: { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' } }] },
    ],
  },
  apiKeys: [{ name: 'ws-key', value: 'websocket-key-0123456789' }],
  apis: [
    {
      name: 'managed',
      type: 'WEBSOCKET',
      routes: [
        { route: '$connect', integration: lambda('connect'), apiKeyRequired: true },
        { route: '$disconnect', integration: lambda('disconnect') },
        { route: 'echo', integration: lambda('echo'), routeResponseSelectionExpression: '$default' },
      ],
    },
    {
      name: 'iam',
      type: 'WEBSOCKET',
      basePath: '/iam',
      routes: [{ route: '$connect', integration: lambda('connect'), authorization: 'AWS_IAM' }],
    },
  ],
}

let gw: RunningGateway
let ws: string
const logger = memoryLogger()

beforeAll(async () => {
  const { model } = loadModel(config, { baseDir: FIXTURES })
  gw = await startNode({ model, port: 0, logger })
  ws = gw.url.replace('http://', 'ws://')
})
afterAll(async () => {
  await gw?.close()
})
beforeEach(() => {
  events().length = 0
})

const keyed = () => openSocketWithHeaders(`${ws}/prod`, { 'x-api-key': 'websocket-key-0123456789' })

/** Node's WebSocket cannot send headers; the `ws` client can, and is what servers see alike. */
async function openSocketWithHeaders(url: string, headers: Record<string, string>) {
  const { default: WS } = await import('ws')
  const client = new WS(url, { headers })
  const frames: string[] = []
  client.on('message', (d) => frames.push(d.toString()))
  const closed = new Promise<{ code: number; reason: string }>((r) => client.on('close', (code, reason) => r({ code, reason: reason.toString() })))
  await new Promise((resolve, reject) => {
    client.once('open', resolve)
    client.once('error', reject)
  })
  const id = events().filter((e) => e.name === 'connect').at(-1)!.event.requestContext.connectionId as string
  return { client, frames, closed, id }
}

describe('API keys on $connect', () => {
  it('refuses a handshake without a valid x-api-key, and puts the key in the identity', async () => {
    expect(await handshakeStatus(`${ws}/prod`)).toBe(403)
    expect(await handshakeStatus(`${ws}/prod`, { 'x-api-key': 'wrong-key-0123456789-xyz' })).toBe(403)
    const c = await keyed()
    const connect = events().find((e) => e.name === 'connect')!
    expect(connect.event.requestContext.identity).toMatchObject({ sourceIp: '127.0.0.1', apiKey: 'websocket-key-0123456789', apiKeyId: expect.any(String) })
    c.client.close()
  })
})

describe('@connections with SigV4', () => {
  const sign = (who: typeof MANAGER) => new AwsClient({ accessKeyId: who.accessKeyId, secretAccessKey: who.secretAccessKey, service: 'execute-api', region: 'us-east-1' })

  it('serves a caller allowed execute-api:ManageConnections, refuses unsigned and other callers', async () => {
    const c = await keyed()
    const url = `${gw.url}/prod/@connections/${encodeURIComponent(c.id)}`
    const unsigned = await fetch(url, { method: 'POST', body: 'x' })
    expect(unsigned.status).toBe(403)
    const outsider = await sign(OUTSIDER).fetch(url, { method: 'POST', body: 'x' })
    expect(outsider.status).toBe(403)
    expect(await outsider.json()).toEqual({ message: 'Forbidden' })
    const manager = await sign(MANAGER).fetch(url, { method: 'POST', body: 'signed hello' })
    expect(manager.status).toBe(200)
    await eventually(() => (c.frames.includes('signed hello') ? true : undefined))
    const info = await sign(MANAGER).fetch(url)
    expect(info.status).toBe(200)
    c.client.close()
  })
})

describe('AWS_IAM on $connect', () => {
  it('refuses an unsigned handshake and lets a signed one in with the caller in the identity', async () => {
    expect(await handshakeStatus(`${ws}/iam/prod`)).toBe(403)
    // A presigned URL carries the signature in the query, as browsers must send it.
    const signed = await new AwsClient({ accessKeyId: OUTSIDER.accessKeyId, secretAccessKey: OUTSIDER.secretAccessKey, service: 'execute-api', region: 'us-east-1' })
      .sign(`${gw.url}/iam/prod`, { aws: { signQuery: true } })
    const client = await openSocket(signed.url.replace('http://', 'ws://'))
    const connect = await eventually(() => events().find((e) => e.name === 'connect'))
    expect(connect.event.requestContext.identity).toMatchObject({ accessKey: OUTSIDER.accessKeyId, userArn: OUTSIDER.arn })
    client.close()
  })
})

describe('timers', () => {
  it('closes an idle connection with 1001 Going away after idleTimeoutSeconds', async () => {
    const c = await keyed()
    const started = Date.now()
    expect(await c.closed).toEqual({ code: 1001, reason: 'Going away' })
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    const disconnect = await eventually(() => events().find((e) => e.name === 'disconnect' && e.event.requestContext.connectionId === c.id))
    expect(disconnect.event.requestContext.disconnectStatusCode).toBe(1001)
  })

  it('closes a busy connection after maxConnectionSeconds', async () => {
    const c = await keyed()
    const started = Date.now()
    const keepBusy = setInterval(() => c.client.send(JSON.stringify({ action: 'echo' })), 300)
    const closed = await c.closed
    clearInterval(keepBusy)
    expect(closed.code).toBe(1001)
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900)
    expect(c.frames.length).toBeGreaterThan(3)
  })
})

describe('access log', () => {
  it('writes one line per handshake (101), message and disconnect', async () => {
    logger.accessLines.length = 0
    const c = await keyed()
    const connect = events().find((e) => e.name === 'connect')!
    expect(logger.accessLines).toContain(`${connect.event.requestContext.requestId} 101 $connect CONNECT ${c.id}`)
    c.client.send(JSON.stringify({ action: 'echo' }))
    const message = await eventually(() => events().find((e) => e.name === 'echo'))
    const line = `${message.event.requestContext.requestId} 200 echo MESSAGE ${c.id}`
    await eventually(() => (logger.accessLines.includes(line) ? true : undefined))
    c.client.close()
    await eventually(() => (logger.accessLines.some((l) => l.endsWith(`$disconnect DISCONNECT ${c.id}`)) ? true : undefined))
  })
})
