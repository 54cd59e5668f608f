import { describe, expect, test } from 'vitest'
import { buildEventV2 } from '../../../src/integrations/lambda/event-v2.ts'
import {
  ABSENT,
  TEST_DOMAIN,
  TEST_SHORT_ID,
  TEST_TIME_EPOCH,
  TEST_TRACE_ID,
  field,
  makeRequest,
  type MakeRequestOptions,
} from '../../helpers/gateway-request.ts'

const CTX = { accountId: '123456789012' }
const enc = (s: string) => new TextEncoder().encode(s)

interface Case {
  name: string
  req?: MakeRequestOptions
  body?: Uint8Array | null
  /** Dotted path in the event → expected value (ABSENT: the key must not exist). */
  fields: Record<string, unknown>
}

const BASE: MakeRequestOptions = {
  apiType: 'HTTP',
  route: 'POST /users/{userId}/orders',
  method: 'POST',
  path: '/users/123/orders',
}

const cases: Case[] = [
  {
    name: 'version, routeKey, rawPath for the $default stage',
    fields: { version: '2.0', routeKey: 'POST /users/{userId}/orders', rawPath: '/users/123/orders' },
  },
  {
    name: 'rawPath and http.path are decoded',
    req: { path: '/users/John%20Doe/orders' },
    fields: {
      rawPath: '/users/John Doe/orders',
      'requestContext.http.path': '/users/John Doe/orders',
      pathParameters: { userId: 'John Doe' },
    },
  },
  {
    name: 'named stage: /{stage} prefix in rawPath and http.path',
    req: { stageName: 'dev' },
    fields: { rawPath: '/dev/users/123/orders', 'requestContext.http.path': '/dev/users/123/orders', 'requestContext.stage': 'dev' },
  },
  {
    name: 'path parameters decoded (UTF-8)',
    req: { path: '/users/%E2%98%95%20Coffee/orders' },
    fields: { pathParameters: { userId: '☕ Coffee' } },
  },
  {
    name: 'no path parameters: omitted',
    req: { route: '$default', path: '/anything' },
    fields: { pathParameters: ABSENT, routeKey: '$default', 'requestContext.routeKey': '$default', rawPath: '/anything' },
  },
  {
    name: 'rawQueryString as sent; duplicates joined with a comma',
    req: { rawQueryString: 'status=pending&tag=important&tag=urgent' },
    fields: {
      rawQueryString: 'status=pending&tag=important&tag=urgent',
      queryStringParameters: { status: 'pending', tag: 'important,urgent' },
    },
  },
  {
    name: 'query values decoded, rawQueryString keeps the encoding',
    req: { rawQueryString: 'q=a%20b%23c&p=1+2%2B3' },
    fields: { rawQueryString: 'q=a%20b%23c&p=1+2%2B3', queryStringParameters: { q: 'a b#c', p: '1 2+3' } },
  },
  {
    name: 'no query string: rawQueryString "" and queryStringParameters omitted',
    fields: { rawQueryString: '', queryStringParameters: ABSENT },
  },
  {
    name: 'Cookie header split into cookies, no cookie header left',
    req: { headers: [['Cookie', 'session=abc123; theme=dark']] },
    fields: { cookies: ['session=abc123', 'theme=dark'], 'headers.cookie': ABSENT },
  },
  {
    name: 'several Cookie headers are joined, spaces trimmed, empty parts dropped',
    req: { headers: [['Cookie', 'a=1;b=2 '], ['cookie', ' c=3; ;']] },
    fields: { cookies: ['a=1', 'b=2', 'c=3'], 'headers.cookie': ABSENT },
  },
  {
    name: 'no Cookie header: cookies omitted',
    fields: { cookies: ABSENT },
  },
  {
    name: 'headers lowercased, duplicates joined with a plain comma',
    req: { headers: [['X-Dup', 'a'], ['x-dup', 'b'], ['Content-Type', 'text/plain']] },
    fields: { 'headers.x-dup': 'a,b', 'headers.X-Dup': ABSENT, 'headers.content-type': 'text/plain' },
  },
  {
    name: 'Content-Length is forwarded',
    req: { headers: [['Content-Type', 'application/json'], ['Content-Length', '2']] },
    body: enc('{}'),
    fields: { 'headers.content-length': '2', body: '{}' },
  },
  {
    name: 'gateway forwarding headers, lowercased',
    req: { peerIp: '198.51.100.7', headers: [] },
    fields: {
      'headers.x-forwarded-for': '198.51.100.7',
      'headers.x-forwarded-proto': 'https',
      'headers.x-forwarded-port': '443',
      'headers.x-amzn-trace-id': TEST_TRACE_ID,
    },
  },
  {
    name: 'no multiValue fields in 2.0',
    req: { rawQueryString: 'a=1' },
    fields: { multiValueHeaders: ABSENT, multiValueQueryStringParameters: ABSENT },
  },
  {
    name: 'no stage variables: omitted',
    fields: { stageVariables: ABSENT },
  },
  {
    name: 'stage variables',
    req: { stageVariables: { k: 'v' } },
    fields: { stageVariables: { k: 'v' } },
  },
  {
    name: 'no body: body omitted, isBase64Encoded false',
    fields: { body: ABSENT, isBase64Encoded: false },
  },
  {
    name: 'empty body: omitted',
    body: new Uint8Array(0),
    fields: { body: ABSENT, isBase64Encoded: false },
  },
  {
    name: 'binary body base64 without configuration',
    req: { headers: [['Content-Type', 'application/octet-stream']] },
    body: new Uint8Array([0xff, 0xfe, 0x00]),
    fields: { body: '//4A', isBase64Encoded: true },
  },
  {
    name: 'JSON body stays text',
    req: { headers: [['Content-Type', 'application/json; charset=utf-8']] },
    body: enc('{"n":"☕"}'),
    fields: { body: '{"n":"☕"}', isBase64Encoded: false },
  },
  {
    name: 'text/* body stays text',
    req: { headers: [['Content-Type', 'text/csv']] },
    body: enc('a,b\n1,2'),
    fields: { body: 'a,b\n1,2', isBase64Encoded: false },
  },
  {
    name: 'form body stays text',
    req: { headers: [['Content-Type', 'application/x-www-form-urlencoded']] },
    body: enc('a=1&b=2'),
    fields: { body: 'a=1&b=2', isBase64Encoded: false },
  },
  {
    name: 'requestContext fields',
    req: { sourceIp: '192.0.2.1', peerIp: '10.0.0.1', headers: [['User-Agent', 'agent']] },
    fields: {
      'requestContext.accountId': '123456789012',
      'requestContext.apiId': 'abc123defg',
      'requestContext.domainName': TEST_DOMAIN,
      'requestContext.domainPrefix': 'abc123defg',
      'requestContext.http': {
        method: 'POST',
        path: '/users/123/orders',
        protocol: 'HTTP/1.1',
        sourceIp: '192.0.2.1',
        userAgent: 'agent',
      },
      'requestContext.requestId': TEST_SHORT_ID,
      'requestContext.routeKey': 'POST /users/{userId}/orders',
      'requestContext.stage': '$default',
      'requestContext.time': '14/Apr/2025:22:11:01 +0000',
      'requestContext.timeEpoch': TEST_TIME_EPOCH,
      'requestContext.authorizer': ABSENT,
      'requestContext.authentication': ABSENT,
      'requestContext.deploymentId': ABSENT,
    },
  },
  {
    name: 'no User-Agent: empty string',
    req: { headers: [] },
    fields: { 'requestContext.http.userAgent': '' },
  },
  {
    name: 'authorizer present when one ran',
    req: { authorizer: { jwt: { claims: { sub: 'u1' }, scopes: null } } },
    fields: { 'requestContext.authorizer': { jwt: { claims: { sub: 'u1' }, scopes: null } } },
  },
]

describe('buildEventV2 (§1.4)', () => {
  test.each(cases)('$name', ({ req, body, fields }) => {
    const event = buildEventV2(makeRequest({ ...BASE, ...req }), body ?? null, CTX)
    for (const [path, value] of Object.entries(fields)) expect(field(event, path), path).toStrictEqual(value)
  })

  test('key order follows the documented shape', () => {
    const event = buildEventV2(
      makeRequest({
        ...BASE,
        rawQueryString: 'a=1',
        stageVariables: { k: 'v' },
        headers: [['Cookie', 'a=1'], ['Content-Type', 'text/plain']],
      }),
      enc('x'),
      CTX,
    )
    expect(Object.keys(event)).toEqual([
      'version', 'routeKey', 'rawPath', 'rawQueryString', 'cookies', 'headers', 'queryStringParameters',
      'pathParameters', 'stageVariables', 'body', 'isBase64Encoded', 'requestContext',
    ])
  })
})
