/**
 * The authorizer's IAM policy evaluated against the method ARN: Allow / explicit Deny /
 * implicit deny, * and ? wildcards, NotResource, NotAction, and what reaches the integration.
 */
import { describe, expect, it } from 'vitest'
import { decide, parseOutput } from '../../../src/features/auth-lambda/decision.ts'
import { lambdaAuthorizerFeature } from '../../../src/features/auth-lambda/index.ts'
import type { Feature } from '../../../src/core/feature.ts'
import { makeGateway } from '../../helpers/gateway.ts'
import { gateway, policy, restConfig, scripted } from './helpers.ts'

const ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/42'

function decision(statements: unknown[]): string {
  const output = parseOutput(JSON.stringify({ principalId: 'p', policyDocument: { Version: '2012-10-17', Statement: statements } }), {
    simple: false,
    requirePrincipal: true,
  })
  return decide(output, ARN, '203.0.113.5')
}
const allow = (Resource: unknown, Action: unknown = 'execute-api:Invoke') => ({ Effect: 'Allow', Action, Resource })
const deny = (Resource: unknown, Action: unknown = 'execute-api:Invoke') => ({ Effect: 'Deny', Action, Resource })

describe('policy evaluation', () => {
  it.each([
    ['exact ARN', [allow(ARN)], 'ALLOW'],
    ['another method', [allow(ARN.replace('/GET/', '/POST/'))], 'IMPLICIT_DENY'],
    ['another path', [allow(ARN + '/x')], 'IMPLICIT_DENY'],
    ['* for everything', [allow('*')], 'ALLOW'],
    ['arn:aws:execute-api:*:*:*', [allow('arn:aws:execute-api:*:*:*')], 'ALLOW'],
    ['stage wildcard /*', [allow('arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*')], 'ALLOW'],
    ['* spans slashes', [allow('arn:aws:execute-api:us-east-1:*:abc123/*/GET/*')], 'ALLOW'],
    ['verb wildcard', [allow('arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*/pets/42')], 'ALLOW'],
    ['? is one character', [allow('arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/4?')], 'ALLOW'],
    ['? is exactly one character', [allow('arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/?')], 'IMPLICIT_DENY'],
    ['ARNs are case-sensitive', [allow(ARN.replace('/GET/', '/get/'))], 'IMPLICIT_DENY'],
    ['another stage', [allow('arn:aws:execute-api:us-east-1:123456789012:abc123/dev/*')], 'IMPLICIT_DENY'],
    ['Resource as a list', [allow(['arn:aws:execute-api:*:*:*/dev/*', ARN])], 'ALLOW'],
    ['explicit Deny wins over Allow', [allow('*'), deny(ARN)], 'EXPLICIT_DENY'],
    ['Deny listed first still wins', [deny('arn:aws:execute-api:*:*:abc123/prod/GET/*'), allow(ARN)], 'EXPLICIT_DENY'],
    ['a Deny for another method does not deny', [allow('*'), deny(ARN.replace('/GET/', '/DELETE/'))], 'ALLOW'],
    ['only a Deny that does not match', [deny(ARN.replace('/GET/', '/DELETE/'))], 'IMPLICIT_DENY'],
    ['NotResource excludes', [{ Effect: 'Allow', Action: 'execute-api:Invoke', NotResource: ARN }], 'IMPLICIT_DENY'],
    ['NotResource allows the rest', [{ Effect: 'Allow', Action: 'execute-api:Invoke', NotResource: 'arn:aws:execute-api:*:*:*/admin/*' }], 'ALLOW'],
    ['Deny with NotResource', [allow('*'), { Effect: 'Deny', Action: 'execute-api:Invoke', NotResource: 'arn:aws:execute-api:*:*:*/prod/GET/public/*' }], 'EXPLICIT_DENY'],
    ['action wildcard', [allow(ARN, 'execute-api:*')], 'ALLOW'],
    ['action is case-insensitive', [allow(ARN, 'Execute-API:invoke')], 'ALLOW'],
    ['another action', [allow(ARN, 'execute-api:InvalidateCache')], 'IMPLICIT_DENY'],
    ['NotAction', [{ Effect: 'Allow', NotAction: 'execute-api:InvalidateCache', Resource: ARN }], 'ALLOW'],
    ['no statements', [], 'IMPLICIT_DENY'],
    ['source IP condition met', [{ ...allow(ARN), Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } } }], 'ALLOW'],
    ['source IP condition not met', [{ ...allow(ARN), Condition: { IpAddress: { 'aws:SourceIp': '198.51.100.0/24' } } }], 'IMPLICIT_DENY'],
  ])('%s', (_name, statements, expected) => {
    expect(decision(statements)).toBe(expected)
  })

  it('a single Statement object is accepted as well as a list', () => {
    const output = parseOutput(JSON.stringify({ principalId: 'p', policyDocument: { Statement: allow(ARN) } }), { simple: false, requirePrincipal: true })
    expect(decide(output, ARN, '127.0.0.1')).toBe('ALLOW')
  })
})

describe('decisions end to end (REST)', () => {
  const config = restConfig({ type: 'token', resultTtlInSeconds: 0 })

  it('Allow: the integration runs and sees principalId, the context as strings, integrationLatency', async () => {
    const s = scripted((e) => policy('Allow', e.methodArn, { context: { user_id: 'u-7', n: 1, f: 1.5, admin: true, off: false, empty: '' } }))
    const { app } = gateway(config, s.invoker)
    const res = await app.request('/prod/pets/1', { headers: { Authorization: 'tok' } })
    expect(res.status).toBe(200)
    expect(s.integrationEvents).toHaveLength(1)
    expect(s.integrationEvents[0].requestContext.authorizer).toEqual({
      principalId: 'user-1',
      user_id: 'u-7',
      n: '1',
      f: '1.5',
      admin: 'true',
      off: 'false',
      empty: '',
      integrationLatency: 0,
    })
  })

  it('explicit Deny: 403 with the explicit-deny message and a capital M', async () => {
    const s = scripted((e) => policy('Deny', e.methodArn))
    const { app } = gateway(config, s.invoker)
    const res = await app.request('/prod/pets/1', { headers: { Authorization: 'tok' } })
    expect(res.status).toBe(403)
    expect(await res.text()).toBe('{"Message":"User is not authorized to access this resource with an explicit deny"}')
    expect(res.headers.get('x-amzn-ErrorType')).toBe('AccessDeniedException')
    expect(s.integrationEvents).toHaveLength(0)
  })

  it('no matching Allow: 403 with the default message', async () => {
    const s = scripted((e) => policy('Allow', e.methodArn.replace('/GET/', '/POST/')))
    const { app } = gateway(config, s.invoker)
    const res = await app.request('/prod/pets/1', { headers: { Authorization: 'tok' } })
    expect(res.status).toBe(403)
    expect(await res.text()).toBe('{"Message":"User is not authorized to access this resource"}')
    expect(s.integrationEvents).toHaveLength(0)
  })

  it('usageIdentifierKey reaches the request for the API-key source AUTHORIZER', async () => {
    const s = scripted((e) => policy('Allow', e.methodArn, { usageIdentifierKey: 'key-value-0123456789abcdef' }))
    let seen: string | undefined
    // A later step (as the API-key feature is) sees the key on the request.
    const probe: Feature = {
      name: 'probe',
      priority: 1,
      create: () => async (req, next) => {
        seen = req.usageIdentifierKey
        return next()
      },
    }
    const { app } = makeGateway(config, { invoker: s.invoker, gateway: { features: [lambdaAuthorizerFeature, probe] } })
    expect((await app.request('/prod/pets/1', { headers: { Authorization: 'tok' } })).status).toBe(200)
    expect(seen).toBe('key-value-0123456789abcdef')
  })

  it('a context key cannot overwrite principalId or integrationLatency', async () => {
    const s = scripted((e) => policy('Allow', e.methodArn, { context: { principalId: 'forged', integrationLatency: 999 } }))
    const { app } = gateway(config, s.invoker)
    await app.request('/prod/pets/1', { headers: { Authorization: 'tok' } })
    expect(s.integrationEvents[0].requestContext.authorizer).toEqual({ principalId: 'user-1', integrationLatency: 0 })
  })
})
