/**
 * Identity policies (Allow, explicit Deny, implicit deny) and API resource policies
 * (aws:SourceIp IpAddress / NotIpAddress, principals), alone and combined as API Gateway
 * combines them; credentials from the environment.
 */
import { describe, expect, it } from 'vitest'
import { ACCOUNT, ALICE, BASE, allowAll, iamConfig, iamGateway, signAws4fetch } from './helpers.ts'
import { iamFeature, resourcePolicyFeature, maskAccount } from '../../../src/features/auth-iam/index.ts'
import { makeGateway } from '../../helpers/gateway.ts'

const BOB = { accessKeyId: 'AKIABOBEXAMPLE000001', secretAccessKey: 'bob-secret', arn: 'arn:aws:iam::210987654321:user/bob' }

const allow = (resource: string) => ({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: resource })
const deny = (resource: string) => ({ Effect: 'Deny', Action: 'execute-api:Invoke', Resource: resource })
const doc = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement })

function arnOf(gw: ReturnType<typeof iamGateway>, method: string, path: string, stage = 'prod', api = 0) {
  return `arn:aws:execute-api:us-east-1:********9012:${gw.model.apis[api]!.id}/${stage}/${method}/${path}`
}

async function send(gw: ReturnType<typeof iamGateway>, url: string, init: { method?: string; ip?: string; creds?: typeof BOB } = {}) {
  const req = await signAws4fetch(`${BASE}${url}`, { method: init.method, creds: init.creds, headers: init.ip ? { 'x-forwarded-for': init.ip } : undefined })
  return gw.app.request(req)
}

async function sendUnsigned(gw: ReturnType<typeof iamGateway>, url: string, ip: string) {
  return gw.app.request(`${BASE}${url}`, { headers: { 'x-forwarded-for': ip } })
}

describe('identity policies', () => {
  const onlyGets = doc(allow('arn:aws:execute-api:us-east-1:*:*/prod/GET/items/*'))

  it('Allow on a matching method ARN (wildcards) lets the request through', async () => {
    const gw = iamGateway(iamConfig({ credentials: [{ ...ALICE, policies: [onlyGets] }] }))
    expect((await send(gw, '/prod/items/1')).status).toBe(200)
    expect(gw.events).toHaveLength(1)
  })

  it('no matching Allow: 403 with the caller and the masked method ARN', async () => {
    const gw = iamGateway(iamConfig({ credentials: [{ ...ALICE, policies: [onlyGets] }] }))
    const res = await send(gw, '/prod/items/1', { method: 'DELETE' })
    expect(res.status).toBe(403)
    expect(res.headers.get('x-amzn-ErrorType')).toBe('AccessDeniedException')
    expect(await res.json()).toEqual({
      Message: `User: ${ALICE.arn} is not authorized to perform: execute-api:Invoke on resource: ${arnOf(gw, 'DELETE', 'items/1')}`,
    })
    expect(gw.events).toHaveLength(0)
  })

  it('explicit Deny wins over Allow: "with an explicit deny"', async () => {
    const policies = [allowAll, doc(deny('arn:aws:execute-api:*:*:*/*/*/items/secret'))]
    const gw = iamGateway(iamConfig({ credentials: [{ ...ALICE, policies }] }))
    expect((await send(gw, '/prod/items/public')).status).toBe(200)
    const res = await send(gw, '/prod/items/secret')
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({
      Message: `User: ${ALICE.arn} is not authorized to perform: execute-api:Invoke on resource: ${arnOf(gw, 'GET', 'items/secret')} with an explicit deny`,
    })
    expect(gw.events).toHaveLength(1)
  })

  it('no policies at all: implicit deny', async () => {
    const gw = iamGateway(iamConfig({ credentials: [{ ...ALICE, policies: [] }] }))
    const res = await send(gw, '/prod/items/1')
    expect(res.status).toBe(403)
    expect((await res.json()).Message).toMatch(/^User: arn:aws:iam::123456789012:user\/alice is not authorized/)
    expect(gw.events).toHaveLength(0)
  })

  it('HTTP APIs answer a denial with 403 {"message":"Forbidden"}', async () => {
    const gw = iamGateway(iamConfig({ credentials: [{ ...ALICE, policies: [onlyGets] }] }))
    const res = await send(gw, '/v2/things/1')
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({ message: 'Forbidden' })
  })

  it('the $default stage appears in the HTTP API method ARN', async () => {
    const gw = iamGateway(iamConfig({ credentials: [{ ...ALICE, policies: [doc(allow('arn:aws:execute-api:us-east-1:123456789012:*/$default/POST/things/*'))] }] }))
    expect((await send(gw, '/v2/things/1', { method: 'POST' })).status).toBe(200)
    expect((await send(gw, '/v2/things/1', { method: 'GET' })).status).toBe(403)
  })
})

describe('resource policies', () => {
  // The schema's Condition record currently wants both operators (see the report), so each
  // condition names both: office ranges, minus a lab subnet.
  const officeOnly = doc({
    Effect: 'Allow',
    Principal: '*',
    Action: 'execute-api:Invoke',
    Resource: 'execute-api:/*',
    Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '2001:db8::/32'] }, NotIpAddress: { 'aws:SourceIp': '10.66.0.0/16' } },
  })
  // IAM's usual form: allow everyone, then deny what is not from the office.
  const denyOutside = doc(
    { Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:*:*:*' },
    { Effect: 'Deny', Principal: '*', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:*:*:*', Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' }, IpAddress: { 'aws:SourceIp': ['0.0.0.0/0', '::/0'] } } },
  )

  it('IpAddress: an address inside the ranges is allowed (anonymous route; execute-api:/* shorthand)', async () => {
    const gw = iamGateway(iamConfig({ resourcePolicy: officeOnly }))
    expect((await sendUnsigned(gw, '/prod/open', '10.1.2.3')).status).toBe(200)
    expect((await sendUnsigned(gw, '/prod/open', '2001:db8::1')).status).toBe(200)
    expect((await sendUnsigned(gw, '/prod/open', '10.66.1.1')).status).toBe(403)
    expect(gw.events).toHaveLength(2)
  })

  it('IpAddress: outside the ranges is an implicit deny for "anonymous"', async () => {
    const gw = iamGateway(iamConfig({ resourcePolicy: officeOnly }))
    const res = await sendUnsigned(gw, '/prod/open', '192.168.1.1')
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({
      Message: `User: anonymous is not authorized to perform: execute-api:Invoke on resource: ${arnOf(gw, 'GET', 'open')}`,
    })
    expect(gw.events).toHaveLength(0)
  })

  it('NotIpAddress Deny: outside the office is an explicit deny; inside passes', async () => {
    const gw = iamGateway(iamConfig({ resourcePolicy: denyOutside }))
    const res = await sendUnsigned(gw, '/prod/open', '203.0.113.9')
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({
      Message: `User: anonymous is not authorized to perform: execute-api:Invoke on resource: ${arnOf(gw, 'GET', 'open')} with an explicit deny`,
    })
    expect((await sendUnsigned(gw, '/prod/open', '10.9.9.9')).status).toBe(200)
    expect(gw.events).toHaveLength(1)
  })

  it('applies on AWS_IAM routes too, after the signature, with the caller as principal', async () => {
    const gw = iamGateway(iamConfig({ resourcePolicy: denyOutside }))
    const res = await send(gw, '/prod/items/1', { ip: '203.0.113.9' })
    expect(res.status).toBe(403)
    expect((await res.json()).Message).toBe(`User: ${ALICE.arn} is not authorized to perform: execute-api:Invoke on resource: ${arnOf(gw, 'GET', 'items/1')} with an explicit deny`)
    expect((await send(gw, '/prod/items/1', { ip: '10.0.0.1' })).status).toBe(200)
    // Unsigned requests are refused for the signature first.
    const unsigned = await sendUnsigned(gw, '/prod/items/1', '10.0.0.1')
    expect(unsigned.status).toBe(403)
    expect(await unsigned.json()).toEqual({ message: 'Missing Authentication Token' })
    expect(gw.events).toHaveLength(1)
  })

  it('Principal {AWS: <arn>} Deny singles out one caller', async () => {
    const policy = doc(
      { Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:*:*:*' },
      { Effect: 'Deny', Principal: { AWS: [ALICE.arn] }, Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:*:*:*/*/DELETE/*' },
    )
    const gw = iamGateway(iamConfig({ resourcePolicy: policy, credentials: [{ ...ALICE, policies: [allowAll] }, { ...BOB, policies: [allowAll] }] }))
    expect((await send(gw, '/prod/items/1', { method: 'DELETE' })).status).toBe(403)
    expect((await send(gw, '/prod/items/1', { method: 'DELETE', creds: BOB })).status).toBe(200)
    expect((await send(gw, '/prod/items/1', { method: 'GET' })).status).toBe(200)
    // Anonymous callers are not the principal named.
    expect(gw.events).toHaveLength(2)
  })

  it('same account: a resource policy Allow is enough without an identity policy', async () => {
    const policy = doc({ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:*:*:*' })
    const gw = iamGateway(iamConfig({ resourcePolicy: policy, credentials: [{ ...ALICE, policies: [] }] }))
    expect((await send(gw, '/prod/items/1')).status).toBe(200)
    expect(gw.events[0].requestContext.identity.userArn).toBe(ALICE.arn)
  })

  it('same account: an identity Allow is enough when the resource policy says nothing about the caller', async () => {
    const policy = doc({ Effect: 'Allow', Principal: { AWS: BOB.arn }, Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:*:*:*' })
    const gw = iamGateway(iamConfig({ resourcePolicy: policy }))
    expect((await send(gw, '/prod/items/1')).status).toBe(200)
  })

  it('another account needs both: identity Allow without a resource policy Allow is refused', async () => {
    const policy = doc({ Effect: 'Allow', Principal: { AWS: ALICE.arn }, Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:*:*:*' })
    const gw = iamGateway(iamConfig({ resourcePolicy: policy, credentials: [{ ...ALICE, policies: [allowAll] }, { ...BOB, policies: [allowAll] }] }))
    const res = await send(gw, '/prod/items/1', { creds: BOB })
    expect(res.status).toBe(403)
    expect((await res.json()).Message).toBe(`User: ${BOB.arn} is not authorized to perform: execute-api:Invoke on resource: ${arnOf(gw, 'GET', 'items/1')}`)
    expect(gw.events).toHaveLength(0)
  })

  it('another account with both Allows passes; without its identity Allow it does not', async () => {
    const policy = doc({ Effect: 'Allow', Principal: { AWS: '210987654321' }, Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:*:*:*' })
    const ok = iamGateway(iamConfig({ resourcePolicy: policy, credentials: [{ ...BOB, policies: [allowAll] }] }))
    expect((await send(ok, '/prod/items/1', { creds: BOB })).status).toBe(200)
    const noIdentity = iamGateway(iamConfig({ resourcePolicy: policy, credentials: [{ ...BOB, policies: [] }] }))
    expect((await send(noIdentity, '/prod/items/1', { creds: BOB })).status).toBe(403)
    expect(noIdentity.events).toHaveLength(0)
  })

  it('the execute-api:/ shorthand names this API only', async () => {
    const policy = doc({ Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/prod/GET/open' })
    const gw = iamGateway(iamConfig({ resourcePolicy: policy }))
    expect((await sendUnsigned(gw, '/prod/open', '1.2.3.4')).status).toBe(200)
    const other = iamGateway(iamConfig({ resourcePolicy: doc({ ...policy.Statement[0]!, Resource: 'execute-api:/test/GET/open' }) }))
    expect((await sendUnsigned(other, '/prod/open', '1.2.3.4')).status).toBe(403)
  })

  it('HTTP API with a resource policy: denial renders 403 Forbidden', async () => {
    const gw = iamGateway(iamConfig({ httpResourcePolicy: denyOutside }))
    const res = await send(gw, '/v2/things/1', { ip: '198.51.100.1' })
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({ message: 'Forbidden' })
  })

  it('an API without a resource policy gets no resource-policy step', () => {
    const gw = iamGateway()
    const api = gw.model.apis[0]!
    expect(resourcePolicyFeature.create({ route: api.routes[2]!, api, model: gw.model, deps: gw.gateway.deps })).toBeUndefined()
    expect(iamFeature.create({ route: api.routes[2]!, api, model: gw.model, deps: gw.gateway.deps })).toBeUndefined()
  })
})

describe('credentials from config', () => {
  const fromEnv = [{ accessKeyId: ALICE.accessKeyId, secretAccessKeyEnv: 'ALICE_SECRET', arn: ALICE.arn, policies: [allowAll] }]

  it('secretAccessKeyEnv is read from deps.env', async () => {
    const gw = iamGateway(iamConfig({ credentials: fromEnv }), { ALICE_SECRET: ALICE.secretAccessKey })
    expect((await send(gw, '/prod/items/1')).status).toBe(200)
  })

  it('a missing environment variable stops the gateway with an error naming it', () => {
    expect(() => makeGateway(iamConfig({ credentials: fromEnv }), { deps: { env: {} }, gateway: { features: [iamFeature] } })).toThrow(
      /iam\.credentials\[0\] \(AKIAIOSFODNN7EXAMPLE\): environment variable ALICE_SECRET is not set/,
    )
  })

  it('the same access key id twice is refused', () => {
    const twice = [{ ...ALICE, policies: [] }, { ...ALICE, arn: BOB.arn, policies: [] }]
    expect(() => makeGateway(iamConfig({ credentials: twice }), { gateway: { features: [iamFeature] } })).toThrow(/listed twice/)
  })

  it('masks the account in ARNs as AWS does', () => {
    expect(maskAccount('arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/x')).toBe('arn:aws:execute-api:us-east-1:********9012:abc/prod/GET/x')
  })
})
