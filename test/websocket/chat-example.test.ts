/**
 * examples/chat over real sockets on Node: joining, messages fanned out by the handlers through
 * the HTTP @connections API, a two-way route, the $default answer, and leaving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNode, type RunningGateway } from '../../src/runtime/node/index.ts'
import { memoryLogger } from '../../src/core/deps.ts'
import { openSocket } from '../helpers/ws-client.ts'

let gw: RunningGateway
const logger = memoryLogger()

beforeAll(async () => {
  gw = await startNode({ config: 'examples/chat/portico.yaml', port: 0, logger })
})
afterAll(async () => {
  await gw?.close()
})

describe('the chat example', () => {
  it('fans messages out to the room through @connections, answers whoami and unknown actions', async () => {
    expect(logger.lines.filter((l) => l.level === 'warn')).toEqual([])
    const ws = gw.url.replace('http://', 'ws://')
    const ada = await openSocket(`${ws}/prod?name=ada`)
    const bob = await openSocket(`${ws}/prod?name=bob`)
    expect(JSON.parse(await ada.next())).toEqual({ system: 'bob joined' })

    bob.send(JSON.stringify({ action: 'sendMessage', text: 'hello room' }))
    expect(JSON.parse(await ada.next())).toEqual({ from: 'bob', text: 'hello room' })
    expect(JSON.parse(await bob.next())).toEqual({ from: 'bob', text: 'hello room' })

    ada.send(JSON.stringify({ action: 'whoami' }))
    expect(JSON.parse(await ada.next())).toMatchObject({ name: 'ada', members: 2 })
    ada.send('hi?')
    expect(JSON.parse(await ada.next())).toMatchObject({ error: 'unknown action' })

    bob.close(1000, 'bye')
    expect(JSON.parse(await ada.next())).toEqual({ system: 'bob left' })
    // The fan-out went over HTTP: the access log has the @connections calls.
    expect(logger.accessLines.some((l) => l.includes('"routeKey":"@connections"') && l.includes('"httpMethod":"POST"') && l.includes('"status":"200"'))).toBe(true)
    ada.close()
  })
})
