/** IAM policy evaluation as API Gateway applies it to execute-api ARNs. */
import { describe, expect, it } from 'vitest'
import { evaluatePolicies, globMatch, ipInRange, methodArn } from '../../src/core/iam-policy.ts'

const arn = methodArn('us-east-1', '123456789012', 'abc123', 'prod', 'GET', '/pets/7')
const allow = (Resource: string | string[], Action: string | string[] = 'execute-api:Invoke') => ({ Effect: 'Allow' as const, Action, Resource })
const deny = (Resource: string | string[]) => ({ Effect: 'Deny' as const, Action: 'execute-api:Invoke', Resource })
const doc = (...Statement: any[]) => ({ Version: '2012-10-17', Statement })

describe('methodArn', () => {
  it('builds the ARN with the request path without its leading slash', () => {
    expect(arn).toBe('arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/7')
    expect(methodArn('r', 'a', 'i', 's', 'GET', '/')).toBe('arn:aws:execute-api:r:a:i/s/GET/')
  })
})

describe('globMatch', () => {
  it.each([
    ['arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/7', true],
    ['arn:aws:execute-api:us-east-1:*:abc123/prod/*', true],
    ['arn:aws:execute-api:*:*:*', true],
    ['arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/?', true],
    ['arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/??', false],
    ['arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/*', false],
    ['arn:aws:execute-api:us-east-1:123456789012:abc123/prod/get/pets/7', false],
    ['arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/pets/*', true],
    ['arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets', false],
    ['arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets.7', false],
  ])('%s → %s', (pattern, expected) => {
    expect(globMatch(pattern, arn)).toBe(expected)
  })
})

describe('evaluatePolicies', () => {
  const req = { action: 'execute-api:Invoke', resource: arn, sourceIp: '203.0.113.9' }
  it.each([
    ['an Allow on the ARN', [doc(allow(arn))], 'ALLOW'],
    ['an Allow elsewhere only', [doc(allow('arn:aws:execute-api:*:*:abc123/prod/POST/*'))], 'IMPLICIT_DENY'],
    ['Deny wins over Allow', [doc(allow('*'), deny(arn))], 'EXPLICIT_DENY'],
    ['Deny in another document wins too', [doc(allow('*')), doc(deny('arn:aws:execute-api:*:*:abc123/*'))], 'EXPLICIT_DENY'],
    ['action wildcard, case-insensitive', [doc(allow(arn, 'EXECUTE-API:*'))], 'ALLOW'],
    ['another action', [doc(allow(arn, 'execute-api:InvalidateCache'))], 'IMPLICIT_DENY'],
    ['NotResource', [doc({ Effect: 'Allow', Action: '*', NotResource: 'arn:aws:execute-api:*:*:abc123/prod/DELETE/*' })], 'ALLOW'],
    ['a single statement object', [{ Statement: allow(arn) }], 'ALLOW'],
    ['no policies', [], 'IMPLICIT_DENY'],
  ] as const)('%s → %s', (_n, docs, decision) => {
    expect(evaluatePolicies(docs as any, req)).toBe(decision)
  })
  it('applies aws:SourceIp conditions', () => {
    const onlyNet = doc({ ...allow('*'), Condition: { IpAddress: { 'aws:SourceIp': ['203.0.113.0/24'] } } })
    expect(evaluatePolicies([onlyNet], req)).toBe('ALLOW')
    expect(evaluatePolicies([onlyNet], { ...req, sourceIp: '198.51.100.1' })).toBe('IMPLICIT_DENY')
    const blockNet = doc(allow('*'), { ...deny('*'), Condition: { NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } } })
    expect(evaluatePolicies([blockNet], req)).toBe('ALLOW')
    expect(evaluatePolicies([blockNet], { ...req, sourceIp: '198.51.100.1' })).toBe('EXPLICIT_DENY')
  })
  it('matches resource-policy principals', () => {
    const p = doc({ ...allow('*'), Principal: { AWS: 'arn:aws:iam::123456789012:user/alice' } })
    expect(evaluatePolicies([p], { ...req, principal: 'arn:aws:iam::123456789012:user/alice' })).toBe('ALLOW')
    expect(evaluatePolicies([p], { ...req, principal: 'anonymous' })).toBe('IMPLICIT_DENY')
    const anyone = doc({ ...allow('*'), Principal: '*' })
    expect(evaluatePolicies([anyone], { ...req, principal: 'anonymous' })).toBe('ALLOW')
  })
})

describe('ipInRange', () => {
  it.each([
    ['10.1.2.3', '10.0.0.0/8', true],
    ['11.1.2.3', '10.0.0.0/8', false],
    ['10.1.2.3', '10.1.2.3', true],
    ['::ffff:10.1.2.3', '10.0.0.0/8', true],
    ['2001:db8::1', '2001:db8::/32', true],
    ['2001:db9::1', '2001:db8::/32', false],
    ['::1', '::1/128', true],
    ['10.1.2.3', '2001:db8::/32', false],
    ['not-an-ip', '10.0.0.0/8', false],
    ['10.1.2.3', '10.0.0.0/33', false],
  ])('%s in %s → %s', (ip, range, expected) => {
    expect(ipInRange(ip, range)).toBe(expected)
  })
})
