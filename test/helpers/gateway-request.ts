/**
 * Builds fully populated GatewayRequest objects for unit tests. The API, stage and route are
 * compiled from a one-route config by the real loader, so their ids and templates are the ones
 * the gateway would produce.
 */
import type { GatewayRequest } from '../../src/core/request.ts'
import { loadModel } from '../../src/model/load.ts'
import { matchTemplate, splitPath } from '../../src/core/path-template.ts'

export interface MakeRequestOptions extends Partial<Omit<GatewayRequest, 'api' | 'stage' | 'route'>> {
  /** REST (default) or HTTP. */
  apiType?: 'REST' | 'HTTP'
  /** API id (requestContext.apiId); default `abc123defg`. */
  apiId?: string
  /** Route key of the single route; default `ANY /{proxy+}`. `$default` for HTTP APIs. */
  route?: string
  /** Stage name; default `prod` (REST) or `$default` (HTTP). */
  stageName?: string
  stageVariables?: Record<string, string>
  /** REST only. */
  binaryMediaTypes?: string[]
  /** HTTP only; default 2.0. */
  payloadFormatVersion?: '1.0' | '2.0'
}

export const TEST_TIME_EPOCH = 1744668661718
export const TEST_DOMAIN = 'abc123defg.execute-api.us-east-1.amazonaws.com'
export const TEST_REST_REQUEST_ID = '4acd49e9-9210-4d04-8e04-0f26a4e92537'
export const TEST_SHORT_ID = 'JCIudEUfPHcEhog='
export const TEST_TRACE_ID = 'Root=1-67fd8835-0123456789abcdef01234567'

/**
 * A GatewayRequest as the gateway would have resolved it. Unless given, `stagePath` is derived
 * from the stage and `path`, `pathParameters` by matching `path` against the route (raw values),
 * and `userAgent` from the User-Agent header.
 */
export function makeRequest(opts: MakeRequestOptions = {}): GatewayRequest {
  const {
    apiType = 'REST',
    apiId = 'abc123defg',
    route: routeKey = 'ANY /{proxy+}',
    stageName = apiType === 'HTTP' ? '$default' : 'prod',
    stageVariables = {},
    binaryMediaTypes = [],
    payloadFormatVersion,
    ...fields
  } = opts

  const { model } = loadModel({
    functions: { fn: { handler: 'handlers/fn.handler' } },
    apis: [
      {
        name: 'test-api',
        type: apiType,
        id: apiId,
        ...(apiType === 'REST' ? { binaryMediaTypes } : {}),
        stages: [{ name: stageName, variables: stageVariables }],
        routes: [
          {
            route: routeKey,
            integration: {
              type: 'lambda',
              function: 'fn',
              ...(apiType === 'HTTP' && payloadFormatVersion ? { payloadFormatVersion } : {}),
            },
          },
        ],
      },
    ],
  })
  const api = model.apis[0]!
  const stage = api.stages[0]!
  const route = api.routes[0]!

  const path = fields.path ?? '/proxy-value'
  const method = fields.method ?? (route.method === 'ANY' ? 'GET' : route.method)
  const stagePath = fields.stagePath ?? (stageName === '$default' ? path : `/${stageName}${path}`)
  const headers = fields.headers ?? [
    ['Host', TEST_DOMAIN],
    ['User-Agent', 'curl/8.5.0'],
    ['Accept', '*/*'],
  ]
  const uaHeader = headers.findLast(([k]) => k.toLowerCase() === 'user-agent')?.[1] ?? null
  let pathParameters: Record<string, string> | null
  if ('pathParameters' in fields) pathParameters = fields.pathParameters ?? null
  else {
    const matched = route.template ? matchTemplate(route.template, splitPath(path)) : null
    pathParameters = matched && Object.keys(matched).length ? matched : null
  }
  const rawQueryString = fields.rawQueryString ?? ''
  const scheme = fields.scheme ?? 'https'
  const domainName = fields.domainName ?? TEST_DOMAIN
  const requestId = fields.requestId ?? (apiType === 'REST' ? TEST_REST_REQUEST_ID : TEST_SHORT_ID)

  return {
    requestId,
    extendedRequestId: fields.extendedRequestId ?? TEST_SHORT_ID,
    traceId: fields.traceId ?? TEST_TRACE_ID,
    timeEpoch: fields.timeEpoch ?? TEST_TIME_EPOCH,
    api,
    stage,
    route,
    method,
    stagePath,
    path,
    rawQueryString,
    pathParameters,
    headers,
    request:
      fields.request ??
      new Request(`${scheme}://${domainName}${stagePath}${rawQueryString ? `?${rawQueryString}` : ''}`, { method }),
    sourceIp: fields.sourceIp ?? '203.0.113.5',
    peerIp: fields.peerIp ?? fields.sourceIp ?? '203.0.113.5',
    userAgent: 'userAgent' in fields ? (fields.userAgent ?? null) : uaHeader,
    scheme,
    port: fields.port ?? '443',
    domainName,
    protocol: fields.protocol ?? 'HTTP/1.1',
    maxPayloadBytes: fields.maxPayloadBytes ?? 10_485_760,
    ...(fields.authorizer ? { authorizer: fields.authorizer } : {}),
    timings: fields.timings ?? {},
  }
}

/** Marks a key that must not exist at all (as opposed to being null). */
export const ABSENT = Symbol('absent')

/**
 * Reads a dotted path (`requestContext.identity.sourceIp`) from an event; ABSENT when a key on
 * the way is missing, so tables can tell "null" from "left out".
 */
export function field(source: unknown, path: string): unknown {
  let value: unknown = source
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return ABSENT
    value = (value as Record<string, unknown>)[key]
  }
  return value
}
