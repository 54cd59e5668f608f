import { describe, expect, test } from 'vitest'
import { buildEventV1, decodePercent, parseQueryString } from '../../../src/integrations/lambda/event-v1.ts'
import { stableApiId } from '../../../src/core/ids.ts'
import {
  ABSENT,
  TEST_DOMAIN,
  TEST_REST_REQUEST_ID,
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

function run(cases: Case[], base: MakeRequestOptions) {
  test.each(cases)('$name', ({ req, body, fields }) => {
    const event = buildEventV1(makeRequest({ ...base, ...req }), body ?? null, CTX)
    for (const [path, value] of Object.entries(fields)) expect(field(event, path), path).toStrictEqual(value)
  })
}

const REST: MakeRequestOptions = { apiType: 'REST' }

describe('buildEventV1: REST API (§1.2)', () => {
  run(
    [
      {
        name: 'top-level shape: no version, resource template, raw path, method',
        req: { method: 'POST', path: '/proxy-value' },
        fields: { version: ABSENT, resource: '/{proxy+}', path: '/proxy-value', httpMethod: 'POST', isBase64Encoded: false },
      },
      {
        name: 'trailing slash kept in path, stripped from the greedy parameter',
        req: { path: '/proxy-value/' },
        fields: { path: '/proxy-value/', 'pathParameters.proxy': 'proxy-value', 'requestContext.path': '/prod/proxy-value/' },
      },
      {
        name: 'double slash kept in path and greedy parameter',
        req: { path: '/proxy-value//double-slash' },
        fields: { path: '/proxy-value//double-slash', 'pathParameters.proxy': 'proxy-value//double-slash' },
      },
      {
        name: 'path parameters stay percent-encoded',
        req: { route: 'GET /users/{username}', path: '/users/John%20Doe' },
        fields: {
          resource: '/users/{username}',
          path: '/users/John%20Doe',
          pathParameters: { username: 'John%20Doe' },
          'requestContext.path': '/prod/users/John%20Doe',
          'requestContext.resourcePath': '/users/{username}',
        },
      },
      {
        name: 'a route without parameters gives null pathParameters',
        req: { route: 'GET /health', path: '/health' },
        fields: { pathParameters: null },
      },
      {
        name: 'repeated query key: last value in the single map, all in the multi map',
        req: { rawQueryString: 'price=10&price=20&price=30' },
        fields: { queryStringParameters: { price: '30' }, multiValueQueryStringParameters: { price: ['10', '20', '30'] } },
      },
      {
        name: 'query decoding: + is a space, %2B a plus',
        req: { rawQueryString: 'q=a+b%2Bc&name=John%20Doe' },
        fields: { 'queryStringParameters.q': 'a b+c', 'queryStringParameters.name': 'John Doe' },
      },
      {
        name: 'query key without = gets an empty value',
        req: { rawQueryString: 'flag&x=1' },
        fields: { queryStringParameters: { flag: '', x: '1' }, multiValueQueryStringParameters: { flag: [''], x: ['1'] } },
      },
      {
        name: 'malformed percent escapes are kept raw',
        req: { rawQueryString: 'bad=%ZZ%41&cut=%E0%A4%41&end=50%' },
        fields: { 'queryStringParameters.bad': '%ZZA', 'queryStringParameters.cut': '%E0%A4A', 'queryStringParameters.end': '50%' },
      },
      {
        name: 'a semicolon splits the query data',
        req: { rawQueryString: 'a=1;b=2' },
        fields: { queryStringParameters: { a: '1', b: '2' } },
      },
      {
        name: 'query keys are decoded and case-sensitive',
        req: { rawQueryString: 'my%20key=1&Key=2&key=3' },
        fields: { queryStringParameters: { 'my key': '1', Key: '2', key: '3' } },
      },
      {
        name: 'no query string: both query maps are null',
        req: { rawQueryString: '' },
        fields: { queryStringParameters: null, multiValueQueryStringParameters: null },
      },
      {
        name: 'no stage variables: null',
        fields: { stageVariables: null },
      },
      {
        name: 'stage variables',
        req: { stageVariables: { backend: 'blue' } },
        fields: { stageVariables: { backend: 'blue' } },
      },
      {
        name: 'headers keep casing; single map holds the last value, grouped case-insensitively',
        req: { headers: [['X-Multi', 'a'], ['x-multi', 'b'], ['Accept', '*/*']] },
        fields: {
          'headers.X-Multi': 'b',
          'headers.x-multi': ABSENT,
          'multiValueHeaders.X-Multi': ['a', 'b'],
          'headers.Accept': '*/*',
          'multiValueHeaders.Accept': ['*/*'],
        },
      },
      {
        name: 'Content-Length is not forwarded',
        req: { method: 'POST', headers: [['Content-Type', 'text/plain'], ['Content-Length', '5']] },
        body: enc('hello'),
        fields: { 'headers.Content-Length': ABSENT, 'multiValueHeaders.Content-Length': ABSENT, body: 'hello' },
      },
      {
        name: 'headers API Gateway drops before the integration',
        req: {
          headers: [
            ['Expect', '100-continue'],
            ['Content-MD5', 'x'],
            ['Max-Forwards', '3'],
            ['Server', 's'],
            ['WWW-Authenticate', 'w'],
            ['Proxy-Authenticate', 'p'],
            ['Connection', 'keep-alive'],
            ['X-Kept', 'yes'],
          ],
        },
        fields: {
          'headers.Expect': ABSENT,
          'headers.Content-MD5': ABSENT,
          'headers.Max-Forwards': ABSENT,
          'headers.Server': ABSENT,
          'headers.WWW-Authenticate': ABSENT,
          'headers.Proxy-Authenticate': ABSENT,
          'headers.Connection': ABSENT,
          'headers.X-Kept': 'yes',
        },
      },
      {
        name: 'forwarding headers added by the gateway',
        req: { peerIp: '198.51.100.7', headers: [['X-Forwarded-For', '192.0.2.1']] },
        fields: {
          'headers.X-Forwarded-For': '192.0.2.1, 198.51.100.7',
          'headers.X-Forwarded-Proto': 'https',
          'headers.X-Forwarded-Port': '443',
          'headers.X-Amzn-Trace-Id': TEST_TRACE_ID,
          'multiValueHeaders.X-Forwarded-For': ['192.0.2.1, 198.51.100.7'],
        },
      },
      {
        name: 'no body: null',
        fields: { body: null, isBase64Encoded: false },
      },
      {
        name: 'empty body: null',
        body: new Uint8Array(0),
        fields: { body: null, isBase64Encoded: false },
      },
      {
        name: 'JSON body as UTF-8 text',
        req: { method: 'POST', headers: [['Content-Type', 'application/json']] },
        body: enc('{"name":"☕"}'),
        fields: { body: '{"name":"☕"}', isBase64Encoded: false },
      },
      {
        name: 'binaryMediaTypes */* with application/octet-stream: base64',
        req: { method: 'POST', binaryMediaTypes: ['*/*'], headers: [['Content-Type', 'application/octet-stream']] },
        body: new Uint8Array([0, 255, 1, 128]),
        fields: { body: 'AP8BgA==', isBase64Encoded: true },
      },
      {
        name: 'binaryMediaTypes application/octet-stream, content type with parameters: base64',
        req: {
          method: 'POST',
          binaryMediaTypes: ['application/octet-stream'],
          headers: [['content-type', 'Application/Octet-Stream; charset=binary']],
        },
        body: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
        fields: { body: '3q2+7w==', isBase64Encoded: true },
      },
      {
        name: 'binaryMediaTypes image/* matches image/png',
        req: { method: 'POST', binaryMediaTypes: ['image/*'], headers: [['Content-Type', 'image/png']] },
        body: new Uint8Array([137, 80, 78, 71]),
        fields: { body: 'iVBORw==', isBase64Encoded: true },
      },
      {
        name: 'content type not in binaryMediaTypes: text',
        req: { method: 'POST', binaryMediaTypes: ['image/png'], headers: [['Content-Type', 'text/plain']] },
        body: enc('hello'),
        fields: { body: 'hello', isBase64Encoded: false },
      },
      {
        name: 'no binaryMediaTypes: octet-stream still goes as text',
        req: { method: 'POST', headers: [['Content-Type', 'application/octet-stream']] },
        body: enc('abc'),
        fields: { body: 'abc', isBase64Encoded: false },
      },
      {
        name: 'requestContext fields',
        req: {
          method: 'POST',
          path: '/proxy-value',
          sourceIp: '198.51.100.9',
          peerIp: '10.0.0.1',
          headers: [['User-Agent', 'curl/8']],
        },
        fields: {
          'requestContext.accountId': '123456789012',
          'requestContext.apiId': 'abc123defg',
          'requestContext.deploymentId': stableApiId('abc123defgprod', 6),
          'requestContext.domainName': TEST_DOMAIN,
          'requestContext.domainPrefix': 'abc123defg',
          'requestContext.extendedRequestId': TEST_SHORT_ID,
          'requestContext.requestId': TEST_REST_REQUEST_ID,
          'requestContext.httpMethod': 'POST',
          'requestContext.path': '/prod/proxy-value',
          'requestContext.protocol': 'HTTP/1.1',
          'requestContext.requestTime': '14/Apr/2025:22:11:01 +0000',
          'requestContext.requestTimeEpoch': TEST_TIME_EPOCH,
          'requestContext.resourcePath': '/{proxy+}',
          'requestContext.stage': 'prod',
          'requestContext.identity.sourceIp': '198.51.100.9',
          'requestContext.identity.userAgent': 'curl/8',
          'requestContext.identity.accessKey': null,
          'requestContext.identity.cognitoIdentityId': null,
          'requestContext.identity.userArn': null,
          'requestContext.identity.clientCert': ABSENT,
          'requestContext.authorizer': ABSENT,
        },
      },
      {
        name: 'named stage in requestContext',
        req: { stageName: 'test' },
        fields: { 'requestContext.stage': 'test', 'requestContext.path': '/test/proxy-value', path: '/proxy-value' },
      },
      {
        name: 'authorizer present when one ran',
        req: { authorizer: { principalId: 'user', role: 'admin' } },
        fields: { 'requestContext.authorizer': { principalId: 'user', role: 'admin' } },
      },
    ],
    REST,
  )

  test('resourceId is the route resource id and identity has exactly the documented keys', () => {
    const req = makeRequest(REST)
    const event = buildEventV1(req, null, CTX)
    const ctx = event.requestContext as Record<string, unknown>
    expect(ctx.resourceId).toBe(req.route.resourceId)
    expect(Object.keys(ctx.identity as object).sort()).toEqual(
      [
        'accessKey', 'accountId', 'apiKey', 'apiKeyId', 'caller', 'cognitoAuthenticationProvider',
        'cognitoAuthenticationType', 'cognitoIdentityId', 'cognitoIdentityPoolId', 'principalOrgId',
        'sourceIp', 'user', 'userAgent', 'userArn',
      ].sort(),
    )
    expect(Object.keys(event)).toEqual([
      'resource', 'path', 'httpMethod', 'headers', 'multiValueHeaders', 'queryStringParameters',
      'multiValueQueryStringParameters', 'pathParameters', 'stageVariables', 'requestContext', 'body',
      'isBase64Encoded',
    ])
  })

  test('survives JSON serialization unchanged (what a remote invoke sends)', () => {
    const event = buildEventV1(makeRequest({ ...REST, rawQueryString: 'a=1&a=2' }), enc('x'), CTX)
    expect(JSON.parse(JSON.stringify(event))).toEqual(event)
  })

  test('client-chosen names cannot alter object prototypes', () => {
    const event = buildEventV1(
      makeRequest({ ...REST, rawQueryString: '__proto__=x&toString=1&constructor=2', headers: [['__proto__', 'h']] }),
      null,
      CTX,
    )
    expect(event.queryStringParameters).toEqual({ ['__proto__']: 'x', toString: '1', constructor: '2' })
    expect(Object.getPrototypeOf(event.multiValueQueryStringParameters)).toBe(Object.prototype)
    expect(Object.hasOwn(event.headers as object, '__proto__')).toBe(true)
  })
})

const HTTP1: MakeRequestOptions = {
  apiType: 'HTTP',
  payloadFormatVersion: '1.0',
  route: 'POST /test1/api/users/{userId}/orders',
  method: 'POST',
  path: '/test1/api/users/John%20Doe/orders',
}

describe('buildEventV1: HTTP API payload 1.0 (§1.3)', () => {
  run(
    [
      {
        name: 'version 1.0, resource and raw path',
        fields: {
          version: '1.0',
          resource: '/test1/api/users/{userId}/orders',
          path: '/test1/api/users/John%20Doe/orders',
          httpMethod: 'POST',
        },
      },
      {
        name: 'path parameters and requestContext.path are decoded; $default has no stage prefix',
        fields: {
          pathParameters: { userId: 'John Doe' },
          'requestContext.path': '/test1/api/users/John Doe/orders',
          'requestContext.stage': '$default',
        },
      },
      {
        name: 'resourceId is the route key',
        fields: {
          'requestContext.resourceId': 'POST /test1/api/users/{userId}/orders',
          'requestContext.resourcePath': '/test1/api/users/{userId}/orders',
        },
      },
      {
        name: 'requestId equals extendedRequestId (the short id)',
        fields: { 'requestContext.requestId': TEST_SHORT_ID, 'requestContext.extendedRequestId': TEST_SHORT_ID },
      },
      {
        name: 'named stage: stage prefix in path and requestContext.path',
        req: { stageName: 'dev' },
        fields: {
          path: '/dev/test1/api/users/John%20Doe/orders',
          'requestContext.path': '/dev/test1/api/users/John Doe/orders',
          'requestContext.stage': 'dev',
        },
      },
      {
        name: 'Content-Length is forwarded',
        req: { headers: [['Content-Type', 'application/json'], ['Content-Length', '2']] },
        body: enc('{}'),
        fields: { 'headers.Content-Length': '2', 'multiValueHeaders.Content-Length': ['2'], body: '{}' },
      },
      {
        name: 'binary content type is base64 without any configuration',
        req: { headers: [['Content-Type', 'application/octet-stream']] },
        body: new Uint8Array([0, 1, 2]),
        fields: { body: 'AAEC', isBase64Encoded: true },
      },
      {
        name: 'JSON body stays text',
        req: { headers: [['Content-Type', 'application/vnd.api+json']] },
        body: enc('{"a":1}'),
        fields: { body: '{"a":1}', isBase64Encoded: false },
      },
      {
        name: 'missing content type counts as text',
        req: { headers: [] },
        body: enc('plain'),
        fields: { body: 'plain', isBase64Encoded: false },
      },
      {
        name: 'query parameters: last value and all values',
        req: { rawQueryString: 'tag=a&tag=b+c' },
        fields: { queryStringParameters: { tag: 'b c' }, multiValueQueryStringParameters: { tag: ['a', 'b c'] } },
      },
      {
        name: '$default route: resource $default, no path parameters',
        req: { route: '$default', method: 'GET', path: '/any/thing' },
        fields: {
          resource: '$default',
          path: '/any/thing',
          pathParameters: null,
          'requestContext.resourceId': '$default',
          'requestContext.resourcePath': '$default',
        },
      },
      {
        name: 'nulls for empty collections as in REST',
        req: { rawQueryString: '' },
        fields: { queryStringParameters: null, multiValueQueryStringParameters: null, stageVariables: null, body: null },
      },
    ],
    HTTP1,
  )
})

describe('query and percent decoding helpers', () => {
  test.each([
    ['', []],
    ['a=1&&b=', [['a', '1'], ['b', '']]],
    ['x=%E2%98%95%20Coffee', [['x', '☕ Coffee']]],
    ['x=%2B+%2b', [['x', '+ +']]],
    ['x=a=b', [['x', 'a=b']]],
  ] as [string, [string, string][]][])('parseQueryString(%j)', (raw, pairs) => {
    expect(parseQueryString(raw)).toEqual(pairs)
  })

  test.each([
    ['John%20Doe', 'John Doe'],
    ['a+b', 'a+b'],
    ['%ZZ', '%ZZ'],
    ['%', '%'],
    ['%C3%28', '%C3('],
    ['%E2%98%95%FF', '☕%FF'],
  ])('decodePercent(%j) = %j', (raw, decoded) => {
    expect(decodePercent(raw)).toBe(decoded)
  })
})
