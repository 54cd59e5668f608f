/**
 * The events API Gateway sends to a Lambda authorizer (reference §6.1, §6.5): REST TOKEN,
 * REST REQUEST, and the HTTP API REQUEST event in payload formats 1.0 and 2.0.
 *
 * REQUEST events carry the proxy event's request fields, so they are cut from the proxy event
 * builders: an authorizer sees the same headers, query strings and requestContext as the
 * integration behind it. Authorizer events never carry the body.
 */
import type { GatewayRequest } from '../../core/request.ts'
import { buildEventV1 } from '../../integrations/lambda/event-v1.ts'
import { buildEventV2 } from '../../integrations/lambda/event-v2.ts'

/** REST TOKEN: `{type, authorizationToken, methodArn}` and nothing else. */
export function tokenEvent(token: string, methodArn: string): Record<string, unknown> {
  return { type: 'TOKEN', authorizationToken: token, methodArn }
}

const V1_REQUEST_FIELDS = [
  'resource',
  'path',
  'httpMethod',
  'headers',
  'multiValueHeaders',
  'queryStringParameters',
  'multiValueQueryStringParameters',
  'pathParameters',
  'stageVariables',
  'requestContext',
] as const

/**
 * REST REQUEST, or HTTP API REQUEST in payload 1.0 (which adds `version`, `identitySource` and
 * `authorizationToken`, both the identity values joined with ",").
 * @param identity the resolved identity-source values (HTTP APIs only)
 */
export function requestEventV1(
  req: GatewayRequest,
  methodArn: string,
  ctx: { accountId: string; identity?: string[] },
): Record<string, unknown> {
  const proxy = buildEventV1(req, null, { accountId: ctx.accountId })
  const event: Record<string, unknown> = {}
  if (req.api.type === 'HTTP') {
    event.version = '1.0'
    event.type = 'REQUEST'
    event.methodArn = methodArn
    const joined = ctx.identity?.length ? ctx.identity.join(',') : null
    event.identitySource = joined
    event.authorizationToken = joined
  } else {
    event.type = 'REQUEST'
    event.methodArn = methodArn
  }
  for (const key of V1_REQUEST_FIELDS) event[key] = proxy[key]
  return event
}

const V2_REQUEST_FIELDS = [
  'routeKey',
  'rawPath',
  'rawQueryString',
  'cookies',
  'headers',
  'queryStringParameters',
  'requestContext',
  'pathParameters',
  'stageVariables',
] as const

/** HTTP API REQUEST in payload 2.0: `routeArn` and `identitySource` as an array of values. */
export function requestEventV2(
  req: GatewayRequest,
  routeArn: string,
  ctx: { accountId: string; identity: string[] },
): Record<string, unknown> {
  const proxy = buildEventV2(req, null, { accountId: ctx.accountId })
  const event: Record<string, unknown> = {
    version: '2.0',
    type: 'REQUEST',
    routeArn,
    identitySource: ctx.identity,
  }
  // The 2.0 proxy event leaves empty collections out; the authorizer event does the same.
  for (const key of V2_REQUEST_FIELDS) if (proxy[key] !== undefined) event[key] = proxy[key]
  return event
}
