/** WebSocket APIs in the model: what loads, the defaults, and every refusal with its path. */
import { describe, expect, it } from 'vitest'
import { ConfigError, formatIssue, loadModel } from '../../src/model/load.ts'
import { compileRouteSelection, SelectionExpressionError } from '../../src/websocket/selection.ts'

const functions = { f: { handler: 'h.f' }, auth: { handler: 'h.auth' } }
const lambda = { type: 'lambda', function: 'f' }
const wsApi = (routes: unknown[], api: Record<string, unknown> = {}, root: Record<string, unknown> = {}) => ({
  functions,
  apis: [{ name: 'w', type: 'WEBSOCKET', routes, ...api }],
  ...root,
})

function issues(config: unknown): string[] {
  try {
    loadModel(config)
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map(formatIssue)
    throw e
  }
  return []
}

describe('a WebSocket API', () => {
  it('loads with defaults: stage prod, $request.body.action, limits of API Gateway, @connections open without IAM credentials', () => {
    const { model, warnings } = loadModel(wsApi([
      { route: '$connect', integration: lambda },
      { route: '$default', integration: lambda, routeResponseSelectionExpression: '$default' },
      { route: 'sendMessage', integration: lambda },
    ]))
    expect(warnings).toEqual([])
    const api = model.apis[0]!
    expect(api.stages.map((s) => s.name)).toEqual(['prod'])
    const ws = api.websocket!
    expect(ws.selector.source).toBe('$request.body.action')
    expect([...ws.routes.keys()]).toEqual(['$connect', '$default', 'sendMessage'])
    expect(ws.routes.get('$default')!.routeResponse).toBe(true)
    expect(ws.routes.get('sendMessage')!.routeResponse).toBe(false)
    expect(ws.routes.get('sendMessage')!.integration.timeoutMs).toBe(29_000)
    expect(ws.connect).toBe(ws.routes.get('$connect'))
    expect(ws.connectionsAuthorization).toBe('NONE')
    expect(ws.settings).toEqual({ maxMessageBytes: 131_072, idleTimeoutSeconds: 600, maxConnectionSeconds: 7200 })
  })

  it('accepts every connection when it has no $connect route', () => {
    const ws = loadModel(wsApi([{ route: '$default', integration: lambda }])).model.apis[0]!.websocket!
    expect(ws.connect.integration.type).toBe('mock')
    expect(ws.routes.has('$connect')).toBe(false)
  })

  it('requires SigV4 on @connections when IAM credentials exist, and says so when it cannot be met', () => {
    const iam = { iam: { credentials: [{ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 's', arn: 'arn:aws:iam::123456789012:user/u' }] } }
    expect(loadModel(wsApi([], {}, iam)).model.apis[0]!.websocket!.connectionsAuthorization).toBe('AWS_IAM')
    expect(loadModel(wsApi([], { connectionsApi: { authorization: 'NONE' } }, iam)).model.apis[0]!.websocket!.connectionsAuthorization).toBe('NONE')
    const { warnings } = loadModel(wsApi([{ route: '$default', integration: lambda }], { connectionsApi: { authorization: 'AWS_IAM' } }))
    expect(warnings).toEqual([expect.stringContaining('iam.credentials is empty: every HTTP call to it will be refused')])
  })

  it('takes a REQUEST authorizer on $connect with route.request identity sources', () => {
    const { model, warnings } = loadModel(wsApi(
      [{ route: '$connect', integration: lambda, authorization: { authorizer: 'a' } }],
      { authorizers: { a: { type: 'request', function: 'auth', identitySource: ['route.request.querystring.token', 'route.request.header.Auth'] } } },
    ))
    expect(warnings).toEqual([])
    const auth = model.apis[0]!.websocket!.connect.authorization
    expect(typeof auth === 'object' && auth.authorizer.name).toBe('a')
  })

  it('warns that a written resultTtlInSeconds is not used: WebSocket authorizers never cache', () => {
    const { warnings } = loadModel(wsApi(
      [{ route: '$connect', integration: lambda, authorization: { authorizer: 'a' } }],
      { authorizers: { a: { type: 'request', function: 'auth', identitySource: 'route.request.querystring.token', resultTtlInSeconds: 300 } } },
    ))
    expect(warnings).toEqual([expect.stringMatching(/^apis\[0\]\.authorizers\.a\.resultTtlInSeconds: WebSocket API authorizers .* not cached/)])
  })
})

describe('refusals', () => {
  const cases: [string, unknown, string[]][] = [
    ['method and path', wsApi([{ method: 'GET', path: '/x', integration: lambda }]), ['apis[0].routes[0].method: WebSocket routes have a route key ("route": $connect, $disconnect, $default or e.g. sendMessage), not method and path']],
    ['no route key', wsApi([{ integration: lambda }]), ['apis[0].routes[0].route: a WebSocket route needs "route": $connect, $disconnect, $default or a custom key such as sendMessage']],
    ['unknown $ key', wsApi([{ route: '$other', integration: lambda }]), ['apis[0].routes[0].route: "$other": the only route keys starting with $ are $connect, $disconnect and $default']],
    ['duplicate key', wsApi([{ route: 'a', integration: lambda }, { route: 'a', integration: lambda }]), ['apis[0].routes[1]: route "a" is already defined at routes[0]']],
    ['non-lambda integration', wsApi([{ route: 'a', integration: { type: 'mock' } }]), ['apis[0].routes[0].integration.type: mock integrations are not supported on WebSocket APIs yet: use a lambda (proxy) integration']],
    ['payload format', wsApi([{ route: 'a', integration: { ...lambda, payloadFormatVersion: '2.0' } }]), ['apis[0].routes[0].integration.payloadFormatVersion: WebSocket APIs have one event format; payloadFormatVersion is for HTTP APIs']],
    ['timeout over 29 s', wsApi([{ route: 'a', integration: { ...lambda, timeoutMs: 30_000 } }]), ['apis[0].routes[0].integration.timeoutMs: WebSocket integrations time out between 50 and 29000 ms']],
    [
      'authorization on a message route',
      wsApi([{ route: 'a', integration: lambda, authorization: 'AWS_IAM', apiKeyRequired: true }]),
      ['apis[0].routes[0].authorization: WebSocket APIs authorize on the $connect route only (as on AWS)', 'apis[0].routes[0].apiKeyRequired: WebSocket APIs check API keys on the $connect route only (as on AWS)'],
    ],
    ['route response on $disconnect', wsApi([{ route: '$disconnect', integration: lambda, routeResponseSelectionExpression: '$default' }]), ['apis[0].routes[0].routeResponseSelectionExpression: $disconnect cannot answer with a frame: route responses apply to $default and custom routes']],
    ['route response key other than $default', wsApi([{ route: 'a', integration: lambda, routeResponseSelectionExpression: '$request.body.x' }]), ['apis[0].routes[0].routeResponseSelectionExpression: Invalid input: expected "$default"']],
    ['throttle', wsApi([{ route: 'a', integration: lambda, throttle: { rateLimit: 1, burstLimit: 1 } }]), ['apis[0].routes[0].throttle: route throttling is not supported on WebSocket APIs yet']],
    [
      'a TOKEN authorizer',
      wsApi([{ route: '$connect', integration: lambda, authorization: { authorizer: 'a' } }], { authorizers: { a: { type: 'token', function: 'auth' } } }),
      [
        'apis[0].authorizers.a.type: TOKEN authorizers exist on REST APIs only; HTTP and WebSocket APIs use request',
        'apis[0].routes[0].authorization.authorizer: authorizer "a" is a token authorizer; WebSocket APIs take Lambda REQUEST authorizers only (type: request)',
      ],
    ],
    [
      'REST identity sources',
      wsApi([], { authorizers: { a: { type: 'request', function: 'auth', identitySource: 'method.request.header.Auth' } } }),
      ['apis[0].authorizers.a.identitySource: "method.request.header.Auth" is not an identity source of WEBSOCKET APIs (route.request.header.X, route.request.querystring.X, stageVariables.X, context.X)'],
    ],
    ['a bad selection expression', wsApi([], { routeSelectionExpression: '$request.header.x' }), ['apis[0].routeSelectionExpression: a "$" must start $request.body.<path> or ${request.body.<path>} (write \\$ for a literal "$")']],
    ['resource policy', wsApi([], { resourcePolicy: { Statement: { Effect: 'Allow', Action: '*', Resource: '*' } } }), ['apis[0].resourcePolicy: resource policies exist on REST APIs only (as on AWS)']],
    ['$default stage', wsApi([], { stages: [{ name: '$default' }] }), ['apis[0].stages[0].name: $default stages exist on HTTP APIs only']],
    ['connectionsApi on an HTTP API', { apis: [{ name: 'h', type: 'HTTP', connectionsApi: { authorization: 'NONE' } }] }, ['apis[0].connectionsApi: the @connections API exists on WebSocket APIs only']],
    ['message limit below 1 KiB', wsApi([], {}, { settings: { websocket: { maxMessageBytes: 10 } } }), ['settings.websocket.maxMessageBytes: Too small: expected number to be >=1024']],
  ]
  for (const [name, config, expected] of cases) {
    it(name, () => expect(issues(config)).toEqual(expected))
  }
})

describe('route selection expressions', () => {
  const body = JSON.stringify({ action: 'join', service: 'chat', n: 3, flag: true, nil: null, list: ['a', 'b'], obj: { k: 'v', m: 1 }, nested: { deep: [{ x: 'y' }] }, 'odd key': 'o' })
  const cases: [string, string | null][] = [
    ['$request.body.action', 'join'],
    ['${request.body.service}/${request.body.action}', 'chat/join'],
    ['${request.body.action}-${request.body.missing}', 'join-'],
    ['$request.body.n', '3'],
    ['$request.body.flag', 'true'],
    ['$request.body.nil', ''],
    ['$request.body.list', '[a, b]'],
    ['$request.body.obj', '{k=v, m=1}'],
    ['$request.body.nested.deep[0].x', 'y'],
    ["$request.body['odd key']", 'o'],
    ['$request.body.list[5]', ''],
    ['static', 'static'],
    ['\\$default', '$default'],
  ]
  for (const [expression, key] of cases) {
    it(`${expression} → ${JSON.stringify(key)}`, () => expect(compileRouteSelection(expression).select(body)).toBe(key))
  }
  it('gives null (the $default route) for a message that is not JSON, unless the key is static', () => {
    expect(compileRouteSelection('$request.body.action').select('hello')).toBeNull()
    expect(compileRouteSelection('static').select('hello')).toBe('static')
    expect(compileRouteSelection('$request.body.action').select('[1,2]')).toBe('')
  })
  it('refuses other variables', () => {
    expect(() => compileRouteSelection('${context.routeKey}')).toThrow(SelectionExpressionError)
    expect(() => compileRouteSelection('$request.body')).toThrow(SelectionExpressionError)
  })
})
