/**
 * An in-process function's result skips its JSON text when it is plain data: the value handed
 * on must then be exactly what JSON.parse(JSON.stringify(result)) gives, and every result that
 * JSON would change must take the text path.
 */
import { describe, expect, it } from 'vitest'
import { runHandler } from '../../../src/integrations/lambda/run-handler.ts'
import { parseProxyResponseV1, parseProxyResponseV2 } from '../../../src/integrations/lambda/response.ts'

const base = { functionName: 'f', memoryLimitInMB: 128, timeoutMs: 1000, region: 'us-east-1', accountId: '123456789012', now: () => 0, fresh: true }
const run = (result: unknown) => runHandler(async () => result, {}, base)

class Point {
  x = 1
}
const sparse = [1, , 3]

const plain: [string, unknown][] = [
  ['a REST answer', { statusCode: 200, headers: { 'content-type': 'text/plain', 'x-n': 5 }, body: 'hi' }],
  ['nested arrays and nulls', { statusCode: 201, multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'] }, body: null, isBase64Encoded: false }],
  ['a string', 'just text'],
  ['a number', 42],
  ['null', null],
  ['a lone surrogate in a string', { body: 'x\ud800y' }],
]

const changedByJson: [string, unknown][] = [
  ['an undefined member', { statusCode: 200, body: undefined }],
  ['a Date', { statusCode: 200, body: new Date(0) }],
  ['a class instance', new Point()],
  ['NaN', { statusCode: NaN }],
  ['-0', { statusCode: -0 }],
  ['Infinity', { statusCode: Infinity }],
  ['toJSON', { statusCode: 200, toJSON: () => ({ statusCode: 500 }) }],
  ['a sparse array', { multiValueHeaders: { a: sparse } }],
  ['a function member', { statusCode: 200, f: () => 1 }],
  ['a Map', new Map([['a', 1]])],
  ['an object without prototype', Object.assign(Object.create(null), { statusCode: 204 })],
  ['an array with undefined', [undefined]],
  ['very deep data', { a: { b: { c: { d: { e: { f: 1 } } } } } }],
]

describe('in-process results as values', () => {
  it.each(plain)('%s: the value equals the JSON round trip, and the text is the JSON text', async (_, result) => {
    const outcome = await run(result)
    expect(outcome.kind).toBe('ok')
    if (outcome.kind !== 'ok') return
    expect(outcome.value).not.toBeUndefined()
    expect(outcome.payload).toBe(JSON.stringify(result))
    expect(outcome.value).toStrictEqual(JSON.parse(outcome.payload))
  })

  it.each(changedByJson)('%s: takes the text path', async (_, result) => {
    const outcome = await run(result)
    expect(outcome.kind).toBe('ok')
    if (outcome.kind !== 'ok') return
    expect(outcome.value).toBeUndefined()
    expect(outcome.payload).toBe(JSON.stringify(result))
  })

  it('the response parsers answer the same from the value as from the text', async () => {
    const opts = { apiType: 'REST' as const, accept: null, binaryMediaTypes: [] }
    for (const [, result] of plain) {
      const outcome = await run(result)
      if (outcome.kind !== 'ok') throw new Error('not ok')
      const fromText = (() => {
        try {
          return parseProxyResponseV1(outcome.payload, opts)
        } catch (e) {
          return e
        }
      })()
      const fromValue = (() => {
        try {
          return parseProxyResponseV1(undefined, { ...opts, value: outcome.value })
        } catch (e) {
          return e
        }
      })()
      if (fromText instanceof Response) {
        expect(fromValue).toBeInstanceOf(Response)
        const v = fromValue as Response
        expect(v.status).toBe(fromText.status)
        expect([...v.headers]).toEqual([...fromText.headers])
        expect(await v.text()).toBe(await fromText.text())
      } else {
        expect(String(fromValue)).toBe(String(fromText))
      }
      const v2Text = parseProxyResponseV2(outcome.payload)
      const v2Value = parseProxyResponseV2(() => outcome.payload, undefined, outcome.value)
      expect(v2Value.status).toBe(v2Text.status)
      expect([...v2Value.headers]).toEqual([...v2Text.headers])
      expect(await v2Value.text()).toBe(await v2Text.text())
    }
  })
})
