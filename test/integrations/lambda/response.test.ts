import { describe, expect, test } from 'vitest'
import { parseProxyResponseV1, parseProxyResponseV2 } from '../../../src/integrations/lambda/response.ts'
import { GatewayError, renderGatewayError } from '../../../src/core/errors.ts'

/** What the client must get: exact status, body bytes and headers (lowercase names). */
interface Expected {
  status: number
  /** Exact body text (UTF-8) or bytes. */
  body: string | number[]
  /** Header → value; null means the header must be absent. */
  headers?: Record<string, string | null>
  setCookie?: string[]
}

/** An error the parser must throw, and how the gateway then renders it. */
interface ExpectedError {
  type: string
  status: number
  body: string
  errorType?: string | null
}

interface Case {
  name: string
  /** Payload text; objects are JSON-serialized. */
  payload: unknown
  apiType?: 'REST' | 'HTTP'
  accept?: string | null
  binaryMediaTypes?: string[]
  expect?: Expected
  error?: ExpectedError
}

const REST_502: ExpectedError = {
  type: 'LAMBDA_ERROR',
  status: 502,
  body: '{"message":"Internal server error"}',
  errorType: 'InternalServerErrorException',
}
const REST_502_SPACED: ExpectedError = {
  type: 'LAMBDA_ERROR',
  status: 502,
  body: '{"message": "Internal server error"}',
  errorType: 'InternalServerErrorException',
}
const HTTP_500: ExpectedError = {
  type: 'LAMBDA_ERROR',
  status: 500,
  body: '{"message":"Internal Server Error"}',
  errorType: null,
}

function payloadText(payload: unknown): string {
  return typeof payload === 'string' ? payload : JSON.stringify(payload)
}

async function check(res: Response, want: Expected) {
  expect(res.status).toBe(want.status)
  const bytes = new Uint8Array(await res.arrayBuffer())
  if (typeof want.body === 'string') expect(new TextDecoder().decode(bytes)).toBe(want.body)
  else expect(Array.from(bytes)).toEqual(want.body)
  for (const [name, value] of Object.entries(want.headers ?? {})) expect(res.headers.get(name), name).toBe(value)
  if (want.setCookie) expect(res.headers.getSetCookie()).toEqual(want.setCookie)
}

async function checkError(fn: () => Response, apiType: 'REST' | 'HTTP', want: ExpectedError) {
  let thrown: unknown
  try {
    fn()
  } catch (e) {
    thrown = e
  }
  expect(thrown).toBeInstanceOf(GatewayError)
  const error = thrown as GatewayError
  expect(error.type).toBe(want.type)
  const res = renderGatewayError({ apiType, error })
  expect(res.status).toBe(want.status)
  const text = await res.text()
  expect(text).toBe(want.body)
  expect(new TextEncoder().encode(text).length).toBe(new TextEncoder().encode(want.body).length)
  if (want.errorType !== undefined) expect(res.headers.get('x-amzn-errortype')).toBe(want.errorType)
}

const v1Cases: Case[] = [
  // §1.5 table, REST.
  {
    name: '{"statusCode":200}: empty body, default application/json',
    payload: { statusCode: 200 },
    expect: { status: 200, body: '', headers: { 'content-type': 'application/json' } },
  },
  {
    name: 'no statusCode: 200',
    payload: { headers: { a: 'b' } },
    expect: { status: 200, body: '', headers: { a: 'b', 'content-type': 'application/json' } },
  },
  { name: '{}: 502', payload: {}, error: REST_502 },
  { name: 'unknown key: 502', payload: { statusCode: 200, wrongValue: 'x' }, error: REST_502 },
  { name: 'JSON string: 502', payload: '"justAString"', error: REST_502 },
  { name: 'JSON array: 502', payload: '[1,2]', error: REST_502 },
  { name: 'JSON number: 502', payload: '42', error: REST_502 },
  { name: 'JSON null: 502', payload: 'null', error: REST_502 },
  { name: 'non-JSON text: 502 unspaced (35 bytes)', payload: 'not json at all', error: REST_502 },
  { name: 'truncated JSON: 502', payload: '{"statusCode": 200, "body":', error: REST_502 },
  { name: 'numeric string statusCode', payload: { statusCode: '201' }, expect: { status: 201, body: '' } },
  { name: 'statusCode "test": 502 spaced', payload: { statusCode: 'test' }, error: REST_502_SPACED },
  { name: 'statusCode 0: 502 spaced (36 bytes)', payload: { statusCode: 0, body: 'x' }, error: REST_502_SPACED },
  { name: 'statusCode 200.5: 502 spaced', payload: { statusCode: 200.5 }, error: REST_502_SPACED },
  { name: 'statusCode 600: 502 spaced', payload: { statusCode: 600 }, error: REST_502_SPACED },
  { name: 'statusCode true: 502 spaced', payload: { statusCode: true }, error: REST_502_SPACED },
  {
    name: 'statusCode null counts as absent',
    payload: { statusCode: null, body: 'ok' },
    expect: { status: 200, body: 'ok' },
  },
  {
    name: 'header booleans and numbers are stringified',
    payload: { statusCode: 200, headers: { h: true, n: 5 } },
    expect: { status: 200, body: '', headers: { h: 'true', n: '5' } },
  },
  { name: 'headers null accepted', payload: { statusCode: 200, headers: null, body: 'ok' }, expect: { status: 200, body: 'ok' } },
  { name: 'headers not an object: 502', payload: { statusCode: 200, headers: 'x' }, error: REST_502 },
  { name: 'header value an object: 502', payload: { statusCode: 200, headers: { h: { a: 1 } } }, error: REST_502 },
  { name: 'multiValueHeaders value not a list: 502', payload: { multiValueHeaders: { h: 'notAList' } }, error: REST_502 },
  { name: 'body a number: 502', payload: { statusCode: 200, body: 42 }, error: REST_502 },
  { name: 'body an object: 502', payload: { statusCode: 200, body: { a: 1 } }, error: REST_502 },
  { name: 'isBase64Encoded not a boolean: 502', payload: { body: 'x', isBase64Encoded: 'yes' }, error: REST_502 },
  { name: 'body null accepted', payload: { statusCode: 200, body: null }, expect: { status: 200, body: '' } },
  {
    name: 'body text and function Content-Type',
    payload: { statusCode: 201, headers: { 'Content-Type': 'text/html' }, body: '<p>☕</p>' },
    expect: { status: 201, body: '<p>☕</p>', headers: { 'content-type': 'text/html' } },
  },
  {
    name: 'REST merge: multi values first, then the single value',
    payload: { headers: { Combined: 's' }, multiValueHeaders: { Combined: ['m1', 'm2'] } },
    expect: { status: 200, body: '', headers: { combined: 'm1, m2, s' } },
  },
  {
    name: 'REST merge: a pair in both maps is sent once',
    payload: { headers: { 'X-Same': 'a' }, multiValueHeaders: { 'x-same': ['a', 'b'] } },
    expect: { status: 200, body: '', headers: { 'x-same': 'a, b' } },
  },
  {
    name: 'multiValueHeaders values are stringified',
    payload: { multiValueHeaders: { 'X-N': [1, false] } },
    expect: { status: 200, body: '', headers: { 'x-n': '1, false' } },
  },
  {
    name: 'Set-Cookie values stay separate header lines',
    payload: { multiValueHeaders: { 'Set-Cookie': ['a=1; Path=/', 'b=2'] }, headers: { 'Set-Cookie': 'c=3' } },
    expect: { status: 200, body: '', setCookie: ['a=1; Path=/', 'b=2', 'c=3'] },
  },
  {
    name: 'Connection, Content-Length, Date, Server remapped; Transfer-Encoding dropped',
    payload: {
      headers: { Connection: 'close', 'Content-Length': '999', Date: 'yesterday', Server: 'mine', 'Transfer-Encoding': 'chunked' },
      body: 'abc',
    },
    expect: {
      status: 200,
      body: 'abc',
      headers: {
        'x-amzn-remapped-connection': 'close',
        'x-amzn-remapped-content-length': '999',
        'x-amzn-remapped-date': 'yesterday',
        'x-amzn-remapped-server': 'mine',
        'transfer-encoding': null,
        'content-length': '3', // the gateway's own, of the real body
        date: null,
        server: null,
      },
    },
  },
  {
    name: 'base64 decoded when the first Accept type is a binary media type',
    payload: { body: 'dGVzdC1kYXRh', isBase64Encoded: true },
    accept: 'image/png, text/html',
    binaryMediaTypes: ['image/png'],
    expect: { status: 200, body: 'test-data' },
  },
  {
    name: 'base64 verbatim when only a later Accept type is binary',
    payload: { body: 'dGVzdC1kYXRh', isBase64Encoded: true },
    accept: 'text/html, image/png',
    binaryMediaTypes: ['image/png'],
    expect: { status: 200, body: 'dGVzdC1kYXRh' },
  },
  {
    name: 'base64 verbatim without Accept',
    payload: { body: 'dGVzdC1kYXRh', isBase64Encoded: true },
    accept: null,
    binaryMediaTypes: ['*/*'],
    expect: { status: 200, body: 'dGVzdC1kYXRh' },
  },
  {
    name: 'base64 verbatim when the flag is false',
    payload: { body: 'dGVzdC1kYXRh', isBase64Encoded: false },
    accept: 'application/octet-stream',
    binaryMediaTypes: ['application/octet-stream'],
    expect: { status: 200, body: 'dGVzdC1kYXRh' },
  },
  {
    name: 'binaryMediaTypes */* with Accept */*: decoded to bytes',
    payload: { body: '/wABgA==', isBase64Encoded: true, headers: { 'Content-Type': 'application/octet-stream' } },
    accept: '*/*',
    binaryMediaTypes: ['*/*'],
    expect: { status: 200, body: [255, 0, 1, 128], headers: { 'content-type': 'application/octet-stream' } },
  },
  {
    name: 'Accept */* does not match a specific binary media type',
    payload: { body: 'dGVzdC1kYXRh', isBase64Encoded: true },
    accept: '*/*',
    binaryMediaTypes: ['application/octet-stream'],
    expect: { status: 200, body: 'dGVzdC1kYXRh' },
  },
  {
    name: 'Accept parameters ignored',
    payload: { body: 'dGVzdC1kYXRh', isBase64Encoded: true },
    accept: 'application/octet-stream;q=0.9',
    binaryMediaTypes: ['application/octet-stream'],
    expect: { status: 200, body: 'test-data' },
  },
  {
    name: 'invalid base64 to decode: API_CONFIGURATION_ERROR',
    payload: { body: 'not base64!', isBase64Encoded: true },
    accept: 'image/png',
    binaryMediaTypes: ['image/png'],
    error: { type: 'API_CONFIGURATION_ERROR', status: 500, body: '{"message":"Internal server error"}' },
  },
  {
    name: '204 with a body: sent without one',
    payload: { statusCode: 204, body: 'ignored' },
    expect: { status: 204, body: '' },
  },
  {
    name: '304 without body',
    payload: { statusCode: '304', headers: { ETag: '"x"' } },
    expect: { status: 304, body: '', headers: { etag: '"x"' } },
  },
  {
    name: 'header name the client cannot receive: 502',
    payload: { headers: { 'bad name': 'x' } },
    error: REST_502,
  },

  // HTTP API with payload 1.0: reverse merge order, base64 always decoded, 500 errors.
  {
    name: 'HTTP 1.0 merge: single value first, then multi values',
    apiType: 'HTTP',
    payload: { headers: { Combined: 's' }, multiValueHeaders: { Combined: ['m1', 'm2'] } },
    expect: { status: 200, body: '', headers: { combined: 's, m1, m2', 'content-type': 'application/json' } },
  },
  {
    name: 'HTTP 1.0: a pair in both maps is sent once',
    apiType: 'HTTP',
    payload: { headers: { 'X-Same': 'a' }, multiValueHeaders: { 'X-Same': ['b', 'a'] } },
    expect: { status: 200, body: '', headers: { 'x-same': 'a, b' } },
  },
  {
    name: 'HTTP 1.0: base64 always decoded',
    apiType: 'HTTP',
    payload: { statusCode: 200, body: 'dGVzdC1kYXRh', isBase64Encoded: true },
    accept: null,
    expect: { status: 200, body: 'test-data' },
  },
  {
    name: 'HTTP 1.0: invalid base64 is a 500',
    apiType: 'HTTP',
    payload: { statusCode: 200, body: 'a', isBase64Encoded: true },
    error: { type: 'API_CONFIGURATION_ERROR', status: 500, body: '{"message":"Internal Server Error"}', errorType: null },
  },
  { name: 'HTTP 1.0: unparsable output is a 500', apiType: 'HTTP', payload: 'oops', error: HTTP_500 },
  { name: 'HTTP 1.0: {} is a 500', apiType: 'HTTP', payload: {}, error: HTTP_500 },
  { name: 'HTTP 1.0: statusCode 0 is a 500', apiType: 'HTTP', payload: { statusCode: 0 }, error: HTTP_500 },
]

describe('parseProxyResponseV1 (§1.5)', () => {
  test.each(v1Cases)('$name', async (c) => {
    const apiType = c.apiType ?? 'REST'
    const run = () =>
      parseProxyResponseV1(payloadText(c.payload), {
        apiType,
        accept: c.accept === undefined ? null : c.accept,
        binaryMediaTypes: c.binaryMediaTypes ?? [],
      })
    if (c.error) await checkError(run, apiType, c.error)
    else await check(run(), c.expect!)
  })

  test('an invalid statusCode carries the spaced body; other malformed responses do not', () => {
    const opts = { apiType: 'REST' as const, accept: null, binaryMediaTypes: [] }
    const bad = (p: string) => {
      try {
        parseProxyResponseV1(p, opts)
      } catch (e) {
        return e as GatewayError
      }
      throw new Error('expected a GatewayError')
    }
    expect(bad('{"statusCode":0}').body).toBe('{"message": "Internal server error"}')
    expect(bad('{}').body).toBeUndefined()
    expect(bad('{}').detail).toMatch(/^Malformed Lambda proxy response: /)
  })
})

const v2Cases: Case[] = [
  {
    name: 'structured: status, headers as given, default text/plain content type',
    payload: { statusCode: 201, headers: { 'x-list': 'a,b', 'X-Num': 3 }, body: 'hi ☕' },
    expect: {
      status: 201,
      body: 'hi ☕',
      headers: { 'x-list': 'a,b', 'x-num': '3', 'content-type': 'text/plain; charset=utf-8' },
    },
  },
  {
    name: 'structured: function Content-Type kept',
    payload: { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' },
    expect: { status: 200, body: '{"a":1}', headers: { 'content-type': 'application/json' } },
  },
  {
    name: 'structured: each cookie is its own Set-Cookie',
    payload: { statusCode: 200, cookies: ['a=1; Secure', 'b=2'], headers: { 'Set-Cookie': 'c=3' } },
    expect: { status: 200, body: '', setCookie: ['c=3', 'a=1; Secure', 'b=2'] },
  },
  {
    name: 'structured: isBase64Encoded decodes',
    payload: { statusCode: 200, body: '/wAB', isBase64Encoded: true, headers: { 'content-type': 'image/png' } },
    expect: { status: 200, body: [255, 0, 1], headers: { 'content-type': 'image/png' } },
  },
  {
    name: 'structured: isBase64Encoded false keeps the text',
    payload: { statusCode: 200, body: 'dGVzdC1kYXRh', isBase64Encoded: false },
    expect: { status: 200, body: 'dGVzdC1kYXRh' },
  },
  {
    name: 'structured: invalid base64 is a 500',
    payload: { statusCode: 200, body: 'ab!c', isBase64Encoded: true },
    error: { type: 'API_CONFIGURATION_ERROR', status: 500, body: '{"message":"Internal Server Error"}', errorType: null },
  },
  { name: 'statusCode 0: 500', payload: { statusCode: 0 }, error: HTTP_500 },
  { name: 'statusCode 200.5: 500', payload: { statusCode: 200.5, body: 'x' }, error: HTTP_500 },
  { name: 'statusCode 600: 500', payload: { statusCode: 600 }, error: HTTP_500 },
  { name: 'statusCode as a string: 500', payload: { statusCode: '200' }, error: HTTP_500 },
  {
    name: 'structured: Connection/Content-Length/Date/Server remapped, Transfer-Encoding dropped',
    payload: { statusCode: 200, headers: { Date: 'd', Server: 's', Connection: 'c', 'Content-Length': '1', 'Transfer-Encoding': 'chunked' } },
    expect: {
      status: 200,
      body: '',
      headers: {
        'x-amzn-remapped-date': 'd',
        'x-amzn-remapped-server': 's',
        'x-amzn-remapped-connection': 'c',
        'x-amzn-remapped-content-length': '1',
        'transfer-encoding': null,
      },
    },
  },
  {
    name: 'structured: 204 sent without a body',
    payload: { statusCode: 204, body: 'x' },
    expect: { status: 204, body: '' },
  },
  {
    name: 'object without statusCode: 200 JSON, text exactly as returned',
    payload: '{"name": "x",  "age": 3}',
    expect: { status: 200, body: '{"name": "x",  "age": 3}', headers: { 'content-type': 'application/json' } },
  },
  {
    name: 'JSON array: raw text',
    payload: '[1, 2, 3]',
    expect: { status: 200, body: '[1, 2, 3]', headers: { 'content-type': 'application/json' } },
  },
  { name: 'JSON number: raw text', payload: '42', expect: { status: 200, body: '42', headers: { 'content-type': 'application/json' } } },
  { name: 'JSON boolean: raw text', payload: 'true', expect: { status: 200, body: 'true', headers: { 'content-type': 'application/json' } } },
  {
    name: 'JSON string: unwrapped',
    payload: '"test"',
    expect: { status: 200, body: 'test', headers: { 'content-type': 'application/json' } },
  },
  { name: 'JSON string "": empty body', payload: '""', expect: { status: 200, body: '' } },
  { name: 'empty payload: empty body', payload: '', expect: { status: 200, body: '' } },
  {
    name: 'malformed JSON: raw text echoed',
    payload: '{"name": "x", "age":',
    expect: { status: 200, body: '{"name": "x", "age":', headers: { 'content-type': 'application/json' } },
  },
  {
    name: 'JSON null: null (not recorded from AWS)',
    payload: 'null',
    expect: { status: 200, body: 'null', headers: { 'content-type': 'application/json' } },
  },
]

describe('parseProxyResponseV2 (§1.6)', () => {
  test.each(v2Cases)('$name', async (c) => {
    const run = () => parseProxyResponseV2(payloadText(c.payload))
    if (c.error) await checkError(run, 'HTTP', c.error)
    else await check(run(), c.expect!)
  })
})
