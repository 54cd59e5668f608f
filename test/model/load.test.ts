/** The model loader: defaults, and a table of invalid configs with their exact messages. */
import { describe, expect, it } from 'vitest'
import { ConfigError, formatIssue, loadModel } from '../../src/model/load.ts'

const lambda = { type: 'lambda', function: 'getUser' }
const functions = { getUser: { handler: 'users.get' } }
const rest = (routes: unknown[], api: Record<string, unknown> = {}) => ({ functions, apis: [{ name: 'r', type: 'REST', routes, ...api }] })

function problems(config: unknown): string[] {
  try {
    loadModel(config)
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map(formatIssue)
    throw e
  }
  return []
}

describe('defaults', () => {
  it('fills in stages, ids, timeouts and payload versions', () => {
    const { model } = loadModel({
      functions,
      apis: [
        { name: 'r', type: 'REST', routes: [{ method: 'GET', path: '/users/{id}', integration: lambda }] },
        { name: 'h', type: 'HTTP', basePath: '/v2', routes: [{ route: 'GET /users/{id}', integration: lambda }] },
      ],
    })
    const [r, h] = model.apis
    expect(r!.stages.map((s) => s.name)).toEqual(['prod'])
    expect(h!.stages.map((s) => s.name)).toEqual(['$default'])
    expect(r!.id).toMatch(/^[a-z0-9]{10}$/)
    expect(r!.id).toBe(loadModel({ apis: [{ name: 'r', type: 'REST' }] }).model.apis[0]!.id)
    expect(r!.routes[0]!.integration.timeoutMs).toBe(29_000)
    expect(h!.routes[0]!.integration.timeoutMs).toBe(30_000)
    expect(r!.routes[0]!.payloadFormatVersion).toBe('1.0')
    expect(h!.routes[0]!.payloadFormatVersion).toBe('2.0')
    expect(h!.routes[0]!.routeKey).toBe('GET /users/{id}')
    expect(model.settings).toMatchObject({ region: 'us-east-1', maxPayloadBytes: 10_485_760, maxHeaderBytes: 10_240 })
    expect(model.functions.getUser!.config.timeout).toBe(6)
  })
  it('warns about stage variables a stage does not define', () => {
    const { warnings } = loadModel(
      rest([{ method: 'GET', path: '/a', integration: { type: 'http_proxy', uri: 'http://${stageVariables.host}/a' } }], {
        stages: [{ name: 'prod', variables: { host: 'h' } }, { name: 'dev' }],
      }),
    )
    expect(warnings).toEqual(['API "r" stage "dev" has no variable "host", used by route "GET /a": its requests will fail with 500'])
  })
  it('derives ids of the documented shape', () => {
    for (const name of ['users-rest', 'a', 'bench', 'x'.repeat(100)]) {
      const api = loadModel({ apis: [{ name, type: 'REST', routes: [{ method: 'GET', path: '/a', integration: lambda }] }], functions }).model.apis[0]!
      expect(api.id).toMatch(/^[a-z0-9]{10}$/)
      expect(api.routes[0]!.resourceId).toMatch(/^[a-z0-9]{6}$/)
    }
  })
  it('warns about an API without routes', () => {
    expect(loadModel({ apis: [{ name: 'r', type: 'REST' }] }).warnings).toEqual([
      'API "r" has no routes: every request will be rejected',
    ])
  })
})

describe('invalid configs', () => {
  const cases: [name: string, config: unknown, messages: string[]][] = [
    ['not an object', 'apis', ['(root): Invalid input: expected object, received string']],
    ['no apis', {}, ['apis: Invalid input: expected array, received undefined']],
    ['unknown top-level key', { apis: [{ name: 'r', type: 'REST' }], extra: 1 }, ['extra: unknown key (check its spelling; unknown keys are not ignored)']],
    [
      'unknown route key',
      rest([{ method: 'GET', path: '/a', integration: lambda, cache: true }]),
      ['apis[0].routes[0].cache: unknown key (check its spelling; unknown keys are not ignored)'],
    ],
    [
      'bad API type',
      { apis: [{ name: 'r', type: 'GRPC' }] },
      ['apis[0].type: Invalid option: expected one of "REST"|"HTTP"|"WEBSOCKET"'],
    ],
    [
      'WebSocket-only keys on a REST API',
      rest([{ method: 'GET', path: '/a', integration: lambda, routeResponseSelectionExpression: '$default' }], { routeSelectionExpression: '$request.body.action' }),
      ['apis[0].routes[0].routeResponseSelectionExpression: route responses exist on WebSocket APIs only', 'apis[0].routeSelectionExpression: routeSelectionExpression applies to WebSocket APIs only'],
    ],
    [
      'bad integration type',
      rest([{ method: 'GET', path: '/a', integration: { type: 'aws' } }]),
      ["apis[0].routes[0].integration.type: Invalid discriminator value. Expected 'lambda' | 'http_proxy' | 'mock' | 'lambda_custom' | 'http'"],
    ],
    [
      'unknown function',
      rest([{ method: 'GET', path: '/a', integration: { type: 'lambda', function: 'nope' } }]),
      ['apis[0].routes[0].integration.function: no function "nope" in functions (known: getUser), and it is not a Lambda ARN'],
    ],
    [
      'bad method',
      rest([{ method: 'FETCH', path: '/a', integration: lambda }]),
      ['apis[0].routes[0].method: Invalid option: expected one of "GET"|"POST"|"PUT"|"PATCH"|"DELETE"|"HEAD"|"OPTIONS"|"ANY"'],
    ],
    [
      'parameter not a whole segment',
      rest([{ method: 'GET', path: '/res{id}', integration: lambda }]),
      ['apis[0].routes[0].path: path part "res{id}" is not valid: use letters, digits, _ - . , : or a whole-segment {param} / {param+}'],
    ],
    [
      'greedy not last',
      rest([{ method: 'GET', path: '/{proxy+}/x', integration: lambda }]),
      ['apis[0].routes[0].path: greedy parameter "{proxy+}" must be the last path part'],
    ],
    [
      'path without slash',
      rest([{ method: 'GET', path: 'users', integration: lambda }]),
      ['apis[0].routes[0].path: must start with "/"'],
    ],
    [
      'duplicate route',
      rest([
        { method: 'GET', path: '/a', integration: lambda },
        { method: 'GET', path: '/a/', integration: lambda },
      ]),
      ['apis[0].routes[1]: route "GET /a" is already defined at routes[0]'],
    ],
    [
      'route and path together',
      rest([{ route: 'GET /a', path: '/a', integration: lambda }]),
      ['apis[0].routes[0].route: give either "route" or "method" + "path", not both'],
    ],
    [
      'bad route key',
      { functions, apis: [{ name: 'h', type: 'HTTP', routes: [{ route: 'GET', integration: lambda }] }] },
      ['apis[0].routes[0].route: a route key is "METHOD /path" (e.g. "GET /users/{id}") or "$default"'],
    ],
    [
      '$default route on REST',
      rest([{ route: '$default', integration: lambda }]),
      ['apis[0].routes[0].route: the $default route exists on HTTP APIs only'],
    ],
    [
      '$default stage on REST',
      rest([], { stages: [{ name: '$default' }] }),
      ['apis[0].stages[0].name: $default stages exist on HTTP APIs only'],
    ],
    [
      'payload 2.0 on REST',
      rest([{ method: 'GET', path: '/a', integration: { ...lambda, payloadFormatVersion: '2.0' } }]),
      ['apis[0].routes[0].integration.payloadFormatVersion: REST APIs always send payload 1.0'],
    ],
    [
      'timeout too long for HTTP APIs',
      { functions, apis: [{ name: 'h', type: 'HTTP', routes: [{ route: 'GET /a', integration: { ...lambda, timeoutMs: 40000 } }] }] },
      ['apis[0].routes[0].integration.timeoutMs: must be at most 30000 ms on HTTP APIs'],
    ],
    [
      'timeout too short',
      rest([{ method: 'GET', path: '/a', integration: { ...lambda, timeoutMs: 10 } }]),
      ['apis[0].routes[0].integration.timeoutMs: Too small: expected number to be >=50'],
    ],
    [
      'function with neither handler nor arn',
      { functions: { f: {} }, apis: [{ name: 'r', type: 'REST' }] },
      ['functions.f: a function needs exactly one of "handler" (local module) or "arn" (remote Lambda)'],
    ],
    [
      'bad handler string',
      { functions: { f: { handler: 'users' } }, apis: [{ name: 'r', type: 'REST' }] },
      ['functions.f.handler: handler is "<module path>.<export>", e.g. src/users.get'],
    ],
    [
      'http_proxy uri naming an unknown parameter',
      rest([{ method: 'GET', path: '/a/{id}', integration: { type: 'http_proxy', uri: 'http://b/{proxy}' } }]),
      ['apis[0].routes[0].integration.uri: {proxy} is not a path parameter of /a/{id}'],
    ],
    [
      'http_proxy uri not a URL',
      rest([{ method: 'GET', path: '/a', integration: { type: 'http_proxy', uri: 'ftp://b' } }]),
      ['apis[0].routes[0].integration.uri: uri must be an http(s) URL (it may start with ${stageVariables.x})'],
    ],
    [
      'mock on an HTTP API',
      { apis: [{ name: 'h', type: 'HTTP', routes: [{ route: 'GET /a', integration: { type: 'mock' } }] }] },
      ['apis[0].routes[0].integration.type: mock integrations exist on REST APIs only (as on AWS)'],
    ],
    [
      'gateway responses on an HTTP API',
      { apis: [{ name: 'h', type: 'HTTP', gatewayResponses: { DEFAULT_4XX: { statusCode: 400 } } }] },
      ['apis[0].gatewayResponses: gateway responses can only be customised on REST APIs (as on AWS)'],
    ],
    [
      'unknown gateway response type',
      rest([], { gatewayResponses: { TEAPOT: {} } }),
      ['apis[0].gatewayResponses.TEAPOT: unknown key (check its spelling; unknown keys are not ignored)'],
    ],
    [
      'two APIs on the same base path',
      { apis: [{ name: 'a', type: 'REST' }, { name: 'b', type: 'HTTP' }] },
      ['apis[1].basePath: "/" is already used by API "a" on the same hosts: give one of them another basePath or hosts'],
    ],
    [
      'bad stage variable name',
      rest([], { stages: [{ name: 'prod', variables: { 'bad-name': 'x' } }] }),
      ['apis[0].stages[0].variables.bad-name: stage variable names are letters, digits and _ (1-64)'],
    ],
    [
      'stage variable value too long',
      rest([], { stages: [{ name: 'prod', variables: { v: 'x'.repeat(513) } }] }),
      ['apis[0].stages[0].variables.v: stage variable values are at most 512 characters'],
    ],
    [
      'sibling variable path parts (REST)',
      rest([
        { method: 'GET', path: '/p/{id}', integration: lambda },
        { method: 'POST', path: '/p/{name}/x', integration: lambda },
      ]),
      ['apis[0].routes[1].path: {name} under /p conflicts with {id} of routes[0]: a resource can have only one variable child (as on AWS)'],
    ],
    [
      'JWT authorizer on a REST API',
      rest([], { authorizers: { j: { type: 'jwt', issuer: 'https://idp.example.com' } } }),
      ['apis[0].authorizers.j.type: JWT authorizers exist on HTTP APIs only; REST APIs use cognito_user_pools'],
    ],
    [
      'Cognito authorizer on an HTTP API',
      { apis: [{ name: 'h', type: 'HTTP', authorizers: { c: { type: 'cognito_user_pools', providerArns: ['arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc'] } } }] },
      ['apis[0].authorizers.c.type: Cognito user pool authorizers exist on REST APIs only; HTTP APIs use jwt'],
    ],
    [
      'TOKEN authorizer on an HTTP API',
      { functions, apis: [{ name: 'h', type: 'HTTP', authorizers: { t: { type: 'token', function: 'getUser' } } }] },
      ['apis[0].authorizers.t.type: TOKEN authorizers exist on REST APIs only; HTTP and WebSocket APIs use request'],
    ],
    [
      'route naming an unknown authorizer',
      rest([{ method: 'GET', path: '/a', integration: lambda, authorization: { authorizer: 'nope' } }], { authorizers: { t: { type: 'token', function: 'getUser' } } }),
      ['apis[0].routes[0].authorization.authorizer: no authorizer "nope" in this API\'s authorizers (known: t)'],
    ],
    [
      'scopes on a Lambda authorizer',
      rest([{ method: 'GET', path: '/a', integration: lambda, authorization: { authorizer: 't', scopes: ['read'] } }], { authorizers: { t: { type: 'token', function: 'getUser' } } }),
      ['apis[0].routes[0].authorization.scopes: scopes apply to JWT and Cognito authorizers only'],
    ],
    [
      'API key on an HTTP API route',
      { functions, apis: [{ name: 'h', type: 'HTTP', routes: [{ route: 'GET /a', integration: lambda, apiKeyRequired: true }] }] },
      ['apis[0].routes[0].apiKeyRequired: API keys exist on REST APIs only (as on AWS)'],
    ],
    [
      'cached REQUEST authorizer without identity sources',
      rest([], { authorizers: { r: { type: 'request', function: 'getUser' } } }),
      ['apis[0].authorizers.r.identitySource: a REQUEST authorizer with caching (resultTtlInSeconds > 0) needs identity sources, the cache key'],
    ],
    [
      'HTTP identity source on a REST authorizer',
      rest([], { authorizers: { r: { type: 'request', function: 'getUser', identitySource: ['$request.header.X'] } } }),
      ['apis[0].authorizers.r.identitySource: "$request.header.X" is not an identity source of REST APIs (method.request.header.X, method.request.querystring.X, stageVariables.X, context.X)'],
    ],
    [
      'bad identityValidationExpression',
      rest([], { authorizers: { t: { type: 'token', function: 'getUser', identityValidationExpression: '([' } } }),
      ['apis[0].authorizers.t.identityValidationExpression: not a valid regular expression: Invalid regular expression: /([/: Unterminated character class'],
    ],
    [
      'simple responses on a REST authorizer',
      rest([], { authorizers: { r: { type: 'request', function: 'getUser', identitySource: 'method.request.header.X', enableSimpleResponses: true } } }),
      ['apis[0].authorizers.r.enableSimpleResponses: simple responses exist for HTTP API authorizers with payload 2.0 only'],
    ],
    [
      'API key given twice',
      { apiKeys: [{ name: 'a', value: 'k'.repeat(20) }, { name: 'b', value: 'k'.repeat(20) }], apis: [{ name: 'r', type: 'REST' }] },
      ['apiKeys[1].value: the same value as apiKeys[0]'],
    ],
    [
      'API key too short',
      { apiKeys: [{ name: 'a', value: 'short' }], apis: [{ name: 'r', type: 'REST' }] },
      ['apiKeys[0].value: Too small: expected string to have >=20 characters'],
    ],
    [
      'IAM credential with two secrets',
      { iam: { credentials: [{ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x', secretAccessKeyEnv: 'S', arn: 'arn:aws:iam::123456789012:user/a' }] }, apis: [{ name: 'r', type: 'REST' }] },
      ['iam.credentials[0]: give exactly one of secretAccessKey or secretAccessKeyEnv'],
    ],
    [
      'policy statement without Action',
      rest([], { resourcePolicy: { Statement: [{ Effect: 'Allow', Resource: '*' }] } }),
      ['apis[0].resourcePolicy.Statement[0]: a statement needs exactly one of Action or NotAction'],
    ],
    [
      'duplicate stage',
      rest([], { stages: [{ name: 'prod' }, { name: 'prod' }] }),
      ['apis[0].stages[1].name: stage "prod" is declared twice'],
    ],
    [
      'payload limit out of bounds',
      { settings: { maxPayloadBytes: 0 }, apis: [{ name: 'r', type: 'REST' }] },
      ['settings.maxPayloadBytes: Too small: expected number to be >=1'],
    ],
  ]
  it.each(cases)('%s', (_name, config, messages) => {
    expect(problems(config)).toEqual(messages)
  })

  it('reports every problem at once', () => {
    const found = problems(
      rest([
        { method: 'GET', path: 'x', integration: lambda },
        { method: 'FETCH', path: '/a', integration: lambda },
      ]),
    )
    expect(found.map((f) => f.split(':')[0])).toEqual(['apis[0].routes[0].path', 'apis[0].routes[1].method'])
  })
})
