/**
 * Where serving would differ from AWS, the import fails: a ConfigError whose issues carry the
 * path in serverless.yml and an exact message.
 */
import { describe, expect, it } from 'vitest'
import { importServerless } from '../../../src/importers/serverless.ts'
import { ConfigError, type ConfigIssue } from '../../../src/model/load.ts'

type Doc = Record<string, any>

function issuesOf(doc: unknown, opts: { env?: Record<string, string>; region?: string } = {}): ConfigIssue[] {
  try {
    importServerless(doc, { env: opts.env ?? {}, region: opts.region })
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return (e as ConfigError).issues
  }
  throw new Error('the import did not fail')
}

/** A service with one function `fn` whose events are `events`. */
const svc = (events: unknown[], extra: Doc = {}, fn: Doc = {}): Doc => ({
  service: 'users',
  provider: { name: 'aws', ...(extra.provider ?? {}) },
  functions: { fn: { handler: 'users.get', events, ...fn }, auth: { handler: 'users.get' }, ...(extra.functions ?? {}) },
  ...(extra.custom ? { custom: extra.custom } : {}),
})
const http = (e: Doc) => ({ http: { path: 'users/{id}', method: 'get', ...e } })

const CASES: [name: string, doc: unknown, issues: ConfigIssue[]][] = [
  ['a document that is not a mapping', ['service'], [{ path: [], message: 'a serverless.yml document is a mapping (service, provider, functions)' }]],
  ['another provider', { service: 's', provider: { name: 'azure' } }, [{ path: ['provider', 'name'], message: 'Portico serves AWS services only (provider.name is "azure")' }]],
  ['a placeholder region', { service: 's', provider: { name: 'aws', region: 'region' } }, [{ path: ['provider', 'region'], message: '"region" is not a region such as us-east-1' }]],
  [
    'an http integration without uri',
    svc([http({ integration: 'http' })]),
    [{ path: ['functions', 'fn', 'events', 0, 'http', 'request', 'uri'], message: 'an http integration needs request.uri (the backend URL)' }],
  ],
  [
    'a request template that does not parse',
    svc([http({ integration: 'lambda', request: { template: { 'application/json': '{"id": "$input.params(\'id\'"}' } } })]),
    [
      {
        path: ['functions', 'fn', 'events', 0, 'http', 'request', 'template', 'application/json'],
        message: 'the template does not parse: line 1: unrecognised text near "\\"$input.params(\'id\'\\"}"',
      },
    ],
  ],
  [
    'an http-proxy without uri',
    svc([http({ integration: 'http-proxy' })]),
    [{ path: ['functions', 'fn', 'events', 0, 'http', 'request', 'uri'], message: 'an http-proxy integration needs request.uri (the backend URL)' }],
  ],
  [
    'an unknown integration',
    svc([http({ integration: 'grpc' })]),
    [{ path: ['functions', 'fn', 'events', 0, 'http', 'integration'], message: '"grpc" is not an integration type (lambda-proxy, lambda, http-proxy, http, mock)' }],
  ],
  [
    'a response template with an unclosed #foreach',
    svc([http({ integration: 'mock', response: { template: "#foreach($x in $input.path('$'))$x" } })]),
    [{ path: ['functions', 'fn', 'events', 0, 'http', 'response', 'template'], message: '#foreach on line 1 has no #end' }],
  ],
  [
    'a status pattern that is not a regular expression',
    svc([http({ integration: 'lambda', response: { statusCodes: { 200: { pattern: '' }, 400: { pattern: '(' } } } })]),
    [{ path: ['functions', 'fn', 'events', 0, 'http', 'response', 'statusCodes', '400', 'pattern'], message: 'not a regular expression: "(" (Invalid regular expression: /(/: Unterminated group)' }],
  ],
  [
    'a static response header without quotes',
    svc([http({ integration: 'lambda', response: { headers: { 'Content-Type': 'text/html' } } })]),
    [
      {
        path: ['functions', 'fn', 'events', 0, 'http', 'response', 'headers', 'Content-Type'],
        message:
          '"text/html" is not a response parameter source: integration.response.header.X, integration.response.multivalueheader.X, integration.response.body[.a.b], context.X, stageVariables.X or \'static\' (static values are written in single quotes, e.g. "\'text/html\'")',
      },
    ],
  ],
  [
    'an unknown passThrough',
    svc([http({ integration: 'lambda', request: { passThrough: 'SOMETIMES' } })]),
    [{ path: ['functions', 'fn', 'events', 0, 'http', 'request', 'passThrough'], message: 'passThrough is NEVER, WHEN_NO_MATCH or WHEN_NO_TEMPLATES' }],
  ],
  [
    'an authorizer function that does not exist',
    svc([http({ authorizer: 'authorizerFunc' })]),
    [{ path: ['functions', 'fn', 'events', 0, 'http', 'authorizer'], message: 'no function "authorizerFunc" in functions (an authorizer given by name is one of this service\'s functions)' }],
  ],
  [
    'an existing authorizer by id',
    svc([http({ authorizer: { authorizerId: 'abc123', type: 'COGNITO_USER_POOLS' } })]),
    [{ path: ['functions', 'fn', 'events', 0, 'http', 'authorizer', 'authorizerId'], message: 'an existing authorizer (authorizerId) is not in this file: define it here with name / arn / type' }],
  ],
  [
    'an authorizer ARN from CloudFormation',
    svc([http({ authorizer: { name: 'pool', arn: { 'Fn::GetAtt': ['Pool', 'Arn'] } } })]),
    [{ path: ['functions', 'fn', 'events', 0, 'http', 'authorizer', 'arn'], message: 'the CloudFormation reference {Fn::GetAtt} cannot be resolved by Portico: give the ARN itself' }],
  ],
  [
    'scopes on a Lambda authorizer',
    svc([http({ authorizer: { name: 'auth', scopes: ['read'] } })]),
    [{ path: ['functions', 'fn', 'events', 0, 'http', 'authorizer', 'scopes'], message: 'scopes apply to COGNITO_USER_POOLS authorizers only' }],
  ],
  [
    'an unknown authorizer type',
    svc([http({ authorizer: { name: 'auth', type: 'jwt' } })]),
    [{ path: ['functions', 'fn', 'events', 0, 'http', 'authorizer', 'type'], message: '"jwt" is not an authorizer type (token, request, COGNITO_USER_POOLS, aws_iam)' }],
  ],
  [
    'one authorizer name, two definitions',
    svc([http({ authorizer: { name: 'auth' } }), { http: { path: 'x', method: 'get', authorizer: { name: 'auth', type: 'request', identitySource: 'method.request.header.X' } } }]),
    [{ path: ['functions', 'fn', 'events', 1, 'http', 'authorizer'], message: 'authorizer "auth" is already defined differently at functions.fn.events[0].http.authorizer' }],
  ],
  [
    'a cache key Portico cannot build',
    svc([http({ caching: { enabled: true, cacheKeyParameters: [{ name: 'context.identity.sourceIp' }] } })]),
    [{ path: ['functions', 'fn', 'events', 0, 'http', 'caching', 'cacheKeyParameters', 0], message: '"context.identity.sourceIp" cannot be part of a Portico cache key (request.path.X, request.querystring.X or request.header.X); keying without it would share entries between requests that differ' }],
  ],
  [
    'a mapped cache key parameter',
    svc([http({ caching: { enabled: true, cacheKeyParameters: [{ name: 'integration.request.header.bodyValue', mappedFrom: 'method.request.body' }] } })]),
    [{ path: ['functions', 'fn', 'events', 0, 'http', 'caching', 'cacheKeyParameters', 0], message: 'mapped cache key parameters (value, mappedFrom) are not supported yet: entries would be shared between requests that differ' }],
  ],
  [
    'a cache key on a path parameter the route lacks',
    svc([http({ caching: { enabled: true, cacheKeyParameters: [{ name: 'request.path.userId' }] } })]),
    [{ path: ['functions', 'fn', 'events', 0, 'http', 'caching', 'cacheKeyParameters', 0], message: '{userId} is not a path parameter of this route' }],
  ],
  [
    'the same route twice',
    svc([http({}), { http: 'GET /users/{id}/' }]),
    [{ path: ['functions', 'fn', 'events', 1, 'http'], message: 'route GET /users/{id} is already defined at functions.fn.events[0].http' }],
  ],
  ['a method that is not one', svc([http({ method: 'fetch' })]), [{ path: ['functions', 'fn', 'events', 0, 'http', 'method'], message: '"fetch" is not an HTTP method (get, post, put, patch, delete, head, options, any)' }]],
  [
    'an invalid path part',
    svc([http({ path: 'users/{id}/x y' })]),
    [{ path: ['functions', 'fn', 'events', 0, 'http', 'path'], message: 'path part "x y" is not valid: use letters, digits, _ - . , : or a whole-segment {param} / {param+}' }],
  ],
  ['a runtime Portico cannot run', svc([], {}, { runtime: 'java17' }), [{ path: ['functions', 'fn', 'runtime'], message: 'Portico runs nodejs* and python3* handlers (got "java17")' }]],
  ['a container image', { service: 's', provider: { name: 'aws' }, functions: { fn: { image: 'repo:tag' } } }, [{ path: ['functions', 'fn', 'image'], message: 'container image functions are not supported by Portico: give a handler' }]],
  ['a function without handler', { service: 's', provider: { name: 'aws' }, functions: { fn: { events: [] } } }, [{ path: ['functions', 'fn', 'handler'], message: 'a function needs a handler ("file.export", relative to serverless.yml)' }]],
  [
    'an API key value AWS would refuse',
    svc([], { provider: { apiGateway: { apiKeys: [{ name: 'k', value: 'short' }] } } }),
    [{ path: ['provider', 'apiGateway', 'apiKeys', 0, 'value'], message: 'an API key value is 20 to 128 characters (as on AWS)' }],
  ],
  [
    'keys grouped under a plan that does not exist',
    svc([], { provider: { apiGateway: { apiKeys: [{ gold: ['k1'] }], usagePlan: [{ free: { quota: { limit: 1, period: 'DAY' } } }] } } }),
    [{ path: ['provider', 'apiGateway', 'apiKeys'], message: 'keys are grouped under "gold", which is not one of provider.apiGateway.usagePlan\'s plans' }],
  ],
  [
    'ungrouped keys with several plans',
    svc([], { provider: { apiGateway: { apiKeys: ['k1'], usagePlan: [{ free: {} }, { paid: {} }] } } }),
    [{ path: ['provider', 'apiGateway', 'apiKeys'], message: 'with several usage plans, group the keys by plan: - <plan>: [key, ...]' }],
  ],
  [
    'an httpApi authorizer that is not defined',
    svc([{ httpApi: { method: 'get', path: '/me', authorizer: { name: 'jwt' } } }]),
    [{ path: ['functions', 'fn', 'events', 0, 'httpApi', 'authorizer', 'name'], message: 'no authorizer "jwt" in provider.httpApi.authorizers' }],
  ],
  [
    'a cached request authorizer without identity source',
    svc([], { provider: { httpApi: { authorizers: { custom: { type: 'request', functionName: 'auth' } } } } }),
    [{ path: ['provider', 'httpApi', 'authorizers', 'custom', 'identitySource'], message: 'a request authorizer whose results are cached (resultTtlInSeconds 300, the default) needs identitySource, the cache key' }],
  ],
  [
    'scopes with a request authorizer',
    svc([{ httpApi: { method: 'get', path: '/me', authorizer: { name: 'custom', scopes: ['a'] } } }], {
      provider: { httpApi: { authorizers: { custom: { type: 'request', functionName: 'auth', identitySource: '$request.header.X' } } } },
    }),
    [{ path: ['functions', 'fn', 'events', 0, 'httpApi', 'authorizer', 'scopes'], message: 'scopes apply to jwt authorizers only' }],
  ],
  [
    'a catch-all route with one method',
    svc([{ httpApi: { method: 'get', path: '*' } }]),
    [{ path: ['functions', 'fn', 'events', 0, 'httpApi', 'method'], message: 'the catch-all route (path *) takes every method: method *' }],
  ],
  ['an existing HTTP API', svc([], { provider: { httpApi: { id: 'abc' } } }), [{ path: ['provider', 'httpApi', 'id'], message: 'an existing HTTP API (id) is not in this file: Portico serves the routes defined here only' }]],
  [
    'caching configured twice',
    svc([http({})], { provider: { apiGateway: { caching: { enabled: true } } }, custom: { apiGatewayCaching: { enabled: true } } }),
    [{ path: ['custom', 'apiGatewayCaching'], message: 'caching is configured twice: use provider.apiGateway.caching or custom.apiGatewayCaching, not both' }],
  ],
]

describe('import errors', () => {
  it.each(CASES)('%s', (_name, doc, issues) => {
    expect(issuesOf(doc)).toEqual(issues)
  })

  it('lists every problem at once', () => {
    const issues = issuesOf(svc([http({ integration: 'http' }), { http: { path: 'b', method: 'nope' } }], {}, { runtime: 'go1.x' }))
    expect(issues.map((i) => i.path.join('.'))).toEqual(['functions.fn.runtime', 'functions.fn.events.0.http.request.uri', 'functions.fn.events.1.http.method'])
  })

  it('a bad --region names the option', () => {
    expect(issuesOf(svc([]), { region: 'mars' })).toEqual([{ path: [], message: '--region "mars" is not a region such as us-east-1' }])
  })
})
