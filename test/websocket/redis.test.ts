/**
 * Two Node gateways sharing the real local Redis: a connection held by one is reached through
 * the @connections API of the other (post, describe, delete), as behind a load balancer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNode, type RunningGateway } from '../../src/runtime/node/index.ts'
import { loadModel } from '../../src/model/load.ts'
import { memoryLogger } from '../../src/core/deps.ts'
import { connectRedis } from '../../src/storage/redis/client.ts'
import { FIXTURES } from '../helpers/gateway.ts'
import { eventually, openSocket } from '../helpers/ws-client.ts'

const PREFIX = `portico-test:${crypto.randomUUID()}:`
const STORE = `redis://127.0.0.1:6379?prefix=${encodeURIComponent(PREFIX)}`
const events = (): { name: string; event: any }[] => ((globalThis as any).__wsEvents ??= [])

const config = {
  functions: { connect: { handler: 'websocket/handlers.connect' }, disconnect: { handler: 'websocket/handlers.disconnect' } },
  apis: [{ name: 'fleet', type: 'WEBSOCKET', routes: [{ route: '$connect', integration: { type: 'lambda', function: 'connect' } }, { route: '$disconnect', integration: { type: 'lambda', function: 'disconnect' } }] }],
}

let a: RunningGateway
let b: RunningGateway

beforeAll(async () => {
  const model = () => loadModel(config, { baseDir: FIXTURES }).model
  a = await startNode({ model: model(), port: 0, logger: memoryLogger(), store: STORE })
  b = await startNode({ model: model(), port: 0, logger: memoryLogger(), store: STORE })
})
afterAll(async () => {
  await a?.close()
  await b?.close()
  const conn = await connectRedis('redis://127.0.0.1:6379', { prefix: PREFIX })
  const left = (await conn.command<string[]>(['KEYS', `${PREFIX}*`])) ?? []
  if (left.length) await conn.command(['DEL', ...left])
  expect(await conn.command<string[]>(['KEYS', `${PREFIX}*`])).toEqual([])
  await conn.close()
})

describe('WebSocket connections across two gateways on one Redis', () => {
  it('posts, describes and deletes through the instance that does not hold the socket', async () => {
    expect(a.store).toBe('redis://127.0.0.1:6379')
    const client = await openSocket(`${a.url.replace('http://', 'ws://')}/prod`)
    const id = events().filter((e) => e.name === 'connect').at(-1)!.event.requestContext.connectionId as string
    const onB = `${b.url}/prod/@connections/${encodeURIComponent(id)}`

    const post = await fetch(onB, { method: 'POST', body: 'via b' })
    expect(post.status).toBe(200)
    expect(await client.next()).toBe('via b')

    const info = await fetch(onB)
    expect(info.status).toBe(200)
    expect((await info.json()).identity.sourceIp).toBe('127.0.0.1')

    expect((await fetch(onB, { method: 'DELETE' })).status).toBe(204)
    expect((await client.closed).code).toBe(1000)
    await eventually(() => events().find((e) => e.name === 'disconnect' && e.event.requestContext.connectionId === id))
    expect((await fetch(onB, { method: 'POST', body: 'x' })).status).toBe(410)
    expect((await fetch(`${a.url}/prod/@connections/${encodeURIComponent(id)}`)).status).toBe(410)
  })
})
