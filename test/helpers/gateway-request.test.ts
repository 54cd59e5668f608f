import { describe, expect, test } from 'vitest'
import { ABSENT, field, makeRequest } from './gateway-request.ts'

describe('makeRequest test helper', () => {
  test.each([
    { name: 'REST defaults', opts: {}, want: { stagePath: '/prod/proxy-value', pathParameters: { proxy: 'proxy-value' }, userAgent: 'curl/8.5.0' } },
    { name: 'HTTP $default stage', opts: { apiType: 'HTTP' as const }, want: { stagePath: '/proxy-value' } },
    {
      name: 'raw path parameters from the route',
      opts: { route: 'GET /users/{id}', path: '/users/a%20b' },
      want: { pathParameters: { id: 'a%20b' }, method: 'GET' },
    },
    { name: 'explicit null pathParameters wins', opts: { pathParameters: null }, want: { pathParameters: null } },
  ])('$name', ({ opts, want }) => {
    const req = makeRequest(opts)
    for (const [k, v] of Object.entries(want)) expect(field(req, k), k).toStrictEqual(v)
  })

  test('api, stage and route come from the real loader', () => {
    const req = makeRequest({ apiType: 'HTTP', route: '$default', stageName: 'dev', stageVariables: { a: 'b' } })
    expect(req.route.routeKey).toBe('$default')
    expect(req.stage).toMatchObject({ name: 'dev', variables: { a: 'b' } })
    expect(req.api.type).toBe('HTTP')
    expect(field(req, 'authorizer')).toBe(ABSENT)
  })
})
