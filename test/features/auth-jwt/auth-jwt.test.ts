/**
 * JWT (HTTP API) and Cognito user pool (REST) authorizers against a real local IdP: claims in
 * the right event place, JWKS caching / refetch / floor / staleness / TTL with the fake clock,
 * a table of attacks that must answer 401 without reaching the integration, scopes, and
 * Cognito's token_use rules.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { SignJWT, base64url, type JWTPayload } from 'jose'
import { makeGateway, scriptedInvoker } from '../../helpers/gateway.ts'
import { jwtFeature, javaDate, restClaims, httpApiClaims, cognitoIssuer } from '../../../src/features/auth-jwt/index.ts'
import { makeKey, sign, startIdp, type Idp, type SigningKey } from './idp.ts'

const functions = { fn: { handler: 'echo.handler' } }
const POOL_ARN = 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Test'

let idp: Idp
let rsa: SigningKey
let ec: SigningKey
let ed: SigningKey
let stranger: SigningKey

beforeAll(async () => {
  idp = await startIdp()
  ;[rsa, ec, ed, stranger] = await Promise.all([makeKey('rsa-1'), makeKey('ec-1', 'ES256'), makeKey('ed-1', 'EdDSA'), makeKey('rsa-1')])
})
afterAll(() => idp.close())
beforeEach(() => {
  idp.keys = [rsa, ec, ed]
  idp.counts.discovery = 0
  idp.counts.jwks = 0
  idp.mode = 'up'
})

/** Seconds since the epoch on the gateway's fake clock. */
const secs = (clock: { now(): number }) => Math.floor(clock.now() / 1000)

function httpSetup(authorizer: Record<string, unknown> = {}) {
  const recorder = scriptedInvoker(() => ({ statusCode: 200, body: 'ok' }))
  const lambda = (v: string) => ({ type: 'lambda', function: 'fn', payloadFormatVersion: v })
  const gw = makeGateway(
    {
      functions,
      apis: [
        {
          name: 'http',
          type: 'HTTP',
          authorizers: { jwt: { type: 'jwt', issuer: idp.issuer, audience: ['api-client'], ...authorizer } },
          routes: [
            { route: 'GET /me', integration: lambda('2.0'), authorization: { authorizer: 'jwt' } },
            { route: 'GET /v1', integration: lambda('1.0'), authorization: { authorizer: 'jwt' } },
            { route: 'GET /admin', integration: lambda('2.0'), authorization: { authorizer: 'jwt', scopes: ['admin', 'root'] } },
            { route: 'GET /open', integration: lambda('2.0') },
          ],
        },
      ],
    },
    { invoker: recorder.invoker, gateway: { features: [jwtFeature] } },
  )
  const claims = (extra: JWTPayload = {}): JWTPayload => {
    const now = secs(gw.clock)
    return { iss: idp.issuer, aud: 'api-client', sub: 'user-1', iat: now, exp: now + 3600, ...extra }
  }
  const call = async (path: string, token?: string, headers: Record<string, string> = {}) =>
    gw.app.request(path, { headers: token === undefined ? headers : { authorization: `Bearer ${token}`, ...headers } })
  return { ...gw, events: recorder.events, claims, call }
}

function restSetup(authorizer: Record<string, unknown> = {}) {
  const recorder = scriptedInvoker(() => ({ statusCode: 200, body: 'ok' }))
  const lambda = { type: 'lambda', function: 'fn' }
  const gw = makeGateway(
    {
      functions,
      apis: [
        {
          name: 'rest',
          type: 'REST',
          stages: [{ name: 'prod' }],
          authorizers: { pool: { type: 'cognito_user_pools', providerArns: [POOL_ARN], issuer: idp.issuer, ...authorizer } },
          routes: [
            { method: 'GET', path: '/me', integration: lambda, authorization: { authorizer: 'pool' } },
            { method: 'GET', path: '/orders', integration: lambda, authorization: { authorizer: 'pool', scopes: ['orders/read', 'orders/all'] } },
          ],
        },
      ],
    },
    { invoker: recorder.invoker, gateway: { features: [jwtFeature] } },
  )
  const now = () => secs(gw.clock)
  const idToken = (extra: JWTPayload = {}) =>
    sign(rsa, { iss: idp.issuer, aud: 'client-abc', sub: 'user-1', token_use: 'id', auth_time: now(), iat: now(), exp: now() + 3600, ...extra })
  const accessToken = (extra: JWTPayload = {}) =>
    sign(rsa, { iss: idp.issuer, client_id: 'client-abc', sub: 'user-1', token_use: 'access', scope: 'orders/read profile', iat: now(), exp: now() + 3600, ...extra })
  const call = async (path: string, token?: string) => gw.app.request(`/prod${path}`, { headers: token === undefined ? {} : { Authorization: token } })
  return { ...gw, events: recorder.events, idToken, accessToken, call }
}

describe('claims reach the integration where AWS puts them', () => {
  it('HTTP API payload 2.0: requestContext.authorizer.jwt.{claims,scopes}, values stringified', async () => {
    const { call, claims, events } = httpSetup()
    const token = await sign(rsa, claims({ 'cognito:groups': ['admin', 'ops'], email_verified: true, age: 42, gone: null, nested: { a: 1 } }))
    const res = await call('/me', token)
    expect(res.status).toBe(200)
    expect(events).toHaveLength(1)
    const authorizer = events[0].requestContext.authorizer
    expect(Object.keys(authorizer)).toEqual(['jwt'])
    const c = authorizer.jwt.claims
    expect(c.sub).toBe('user-1')
    expect(c.iss).toBe(idp.issuer)
    expect(c.exp).toMatch(/^\d{10}$/)
    expect(c['cognito:groups']).toBe('[admin ops]')
    expect(c.email_verified).toBe('true')
    expect(c.age).toBe('42')
    expect(c.nested).toBe('{"a":1}')
    expect('gone' in c).toBe(false)
    // No route scopes: AWS sends null even when the token carries a scope claim.
    expect(authorizer.jwt.scopes).toBeNull()
  })

  it('HTTP API payload 1.0: requestContext.authorizer.{claims,scopes}', async () => {
    const { call, claims, events } = httpSetup()
    const res = await call('/v1', await sign(rsa, claims({ scope: 'a b' })))
    expect(res.status).toBe(200)
    expect(events[0].version).toBe('1.0')
    expect(events[0].requestContext.authorizer).toEqual({ claims: expect.objectContaining({ sub: 'user-1', scope: 'a b' }), scopes: null })
  })

  it('REST (Cognito, 1.0): requestContext.authorizer.claims, Java dates for exp/iat, arrays comma-joined', async () => {
    const { call, idToken, events, clock } = restSetup()
    const res = await call('/me', await idToken({ 'cognito:groups': ['group-a', 'group-b'], email_verified: false }))
    expect(res.status).toBe(200)
    const authorizer = events[0].requestContext.authorizer
    expect(Object.keys(authorizer)).toEqual(['claims'])
    const c = authorizer.claims
    expect(c.sub).toBe('user-1')
    expect(c.token_use).toBe('id')
    expect(c['cognito:groups']).toBe('group-a,group-b')
    expect(c.email_verified).toBe('false')
    expect(c.iat).toBe(javaDate(clock.now()))
    expect(c.iat).toBe('Thu Jan 15 12:00:00 UTC 2026')
    expect(c.exp).toBe('Thu Jan 15 13:00:00 UTC 2026')
    expect(c.auth_time).toBe(String(secs(clock)))
  })

  it('ES256 and EdDSA tokens verify on a JWT authorizer (every asymmetric algorithm by default)', async () => {
    const { call, claims, events } = httpSetup()
    expect((await call('/me', await sign(ec, claims()))).status).toBe(200)
    expect((await call('/me', await sign(ed, claims()))).status).toBe(200)
    expect(events).toHaveLength(2)
  })

  it('a token without the "Bearer " prefix is accepted', async () => {
    const gw = httpSetup()
    const res = await gw.app.request('/me', { headers: { authorization: await sign(rsa, gw.claims()) } })
    expect(res.status).toBe(200)
  })

  it('identity source from the query string or a cookie', async () => {
    const q = httpSetup({ identitySource: '$request.querystring.access_token' })
    const token = await sign(rsa, q.claims())
    expect((await q.app.request(`/me?x=1&access_token=${token}`)).status).toBe(200)
    expect((await q.app.request('/me', { headers: { authorization: `Bearer ${token}` } })).status).toBe(401)

    const k = httpSetup({ identitySource: '$request.cookie.session' })
    const t2 = await sign(rsa, k.claims())
    expect((await k.app.request('/me', { headers: { cookie: `theme=dark; session=${t2}` } })).status).toBe(200)
    expect((await k.app.request('/me', { headers: { cookie: 'theme=dark' } })).status).toBe(401)
  })

  it('routes without the authorizer are untouched', async () => {
    const { call, events } = httpSetup()
    expect((await call('/open')).status).toBe(200)
    expect(events[0].requestContext.authorizer).toBeUndefined()
    expect(idp.counts.jwks).toBe(0)
  })
})

describe('JWKS fetching and caching', () => {
  it('discovers the JWKS once and serves many requests from the cache', async () => {
    const { call, claims } = httpSetup()
    for (let i = 0; i < 5; i++) expect((await call('/me', await sign(rsa, claims()))).status).toBe(200)
    // Concurrent first requests of another gateway share one fetch.
    const other = httpSetup()
    const tokens = await Promise.all(Array.from({ length: 10 }, () => sign(rsa, other.claims())))
    const statuses = await Promise.all(tokens.map((t) => other.call('/me', t).then((r) => r.status)))
    expect(statuses.every((s) => s === 200)).toBe(true)
    expect(idp.counts).toEqual({ discovery: 2, jwks: 2 })
  })

  it('a configured jwksUri skips discovery; an inline JWKS fetches nothing', async () => {
    const viaUri = httpSetup({ jwksUri: idp.jwksUri })
    expect((await viaUri.call('/me', await sign(rsa, viaUri.claims()))).status).toBe(200)
    expect(idp.counts).toEqual({ discovery: 0, jwks: 1 })
    const inline = httpSetup({ jwks: { keys: [rsa.jwk] } })
    expect((await inline.call('/me', await sign(rsa, inline.claims()))).status).toBe(200)
    expect((await inline.call('/me', await sign(ec, inline.claims()))).status).toBe(401)
    expect(idp.counts).toEqual({ discovery: 0, jwks: 1 })
  })

  it('refetches once for an unknown kid (key rotation), after the floor', async () => {
    const { call, claims, clock } = httpSetup()
    expect((await call('/me', await sign(rsa, claims()))).status).toBe(200)
    const rotated = await makeKey('rsa-2')
    idp.keys = [rotated]
    // Right after a fetch, an unknown kid does not refetch (the floor).
    expect((await call('/me', await sign(rotated, claims()))).status).toBe(401)
    expect(idp.counts.jwks).toBe(1)
    clock.advance(31_000)
    expect((await call('/me', await sign(rotated, claims()))).status).toBe(200)
    expect(idp.counts.jwks).toBe(2)
    // The new set is cached: the same kid again costs nothing.
    expect((await call('/me', await sign(rotated, claims()))).status).toBe(200)
    expect(idp.counts.jwks).toBe(2)
  })

  it('a flood of unknown kids causes at most one refetch per floor', async () => {
    const { call, claims, clock, events } = httpSetup()
    expect((await call('/me', await sign(rsa, claims()))).status).toBe(200)
    clock.advance(31_000)
    const bogus = await Promise.all(Array.from({ length: 30 }, (_, i) => sign({ ...stranger, kid: `bogus-${i}` }, claims())))
    const statuses = await Promise.all(bogus.map((t) => call('/me', t).then((r) => r.status)))
    expect(new Set(statuses)).toEqual(new Set([401]))
    expect(idp.counts.jwks).toBe(2)
    for (const t of bogus.slice(0, 10)) expect((await call('/me', t)).status).toBe(401)
    expect(idp.counts.jwks).toBe(2)
    expect(events).toHaveLength(1)
  })

  it('refetches after the TTL (fake clock)', async () => {
    const { call, claims, clock } = httpSetup({ jwksCacheSeconds: 60 })
    expect((await call('/me', await sign(rsa, claims()))).status).toBe(200)
    clock.advance(59_000)
    expect((await call('/me', await sign(rsa, claims()))).status).toBe(200)
    expect(idp.counts.jwks).toBe(1)
    clock.advance(2_000)
    expect((await call('/me', await sign(rsa, claims()))).status).toBe(200)
    expect(idp.counts.jwks).toBe(2)
  })

  it('uses the stale keys while the issuer is down, within the grace period', async () => {
    const { call, claims, clock, logger } = httpSetup({ jwksCacheSeconds: 60 })
    expect((await call('/me', await sign(rsa, claims()))).status).toBe(200)
    idp.mode = 'down'
    clock.advance(61_000)
    expect((await call('/me', await sign(rsa, claims()))).status).toBe(200)
    // A failed refresh is not retried by every request.
    expect((await call('/me', await sign(rsa, claims()))).status).toBe(200)
    expect(idp.counts.discovery + idp.counts.jwks).toBe(3)
    expect(logger.lines.some((l) => l.message === 'jwks fetch failed' && l.fields?.staleKeys === true)).toBe(true)
    // Past TTL + grace, stale keys are no longer trusted.
    clock.advance(2 * 3600_000)
    expect((await call('/me', await sign(rsa, claims()))).status).toBe(401)
    idp.mode = 'up'
    clock.advance(31_000)
    expect((await call('/me', await sign(rsa, claims()))).status).toBe(200)
  })

  it('an unreachable issuer with no keys yet gives 401, and is not retried on every request', async () => {
    const { call, claims, logger } = httpSetup()
    idp.mode = 'down'
    for (let i = 0; i < 5; i++) expect((await call('/me', await sign(rsa, claims()))).status).toBe(401)
    expect(idp.counts.discovery).toBe(1)
    expect(logger.lines.some((l) => String(l.fields?.detail).includes('keys unavailable'))).toBe(true)
  })

  it('a JWKS over 150,000 bytes is refused', async () => {
    const { call, claims, logger } = httpSetup({ jwksUri: idp.jwksUri })
    idp.mode = 'huge'
    expect((await call('/me', await sign(rsa, claims()))).status).toBe(401)
    expect(logger.lines.some((l) => l.message === 'jwks fetch failed' && /exceeds 150000/.test(String(l.fields?.error)))).toBe(true)
  })

  it('a JWKS request that stalls is abandoned after 1500 ms', async () => {
    const { call, claims, logger } = httpSetup({ jwksUri: idp.jwksUri })
    idp.mode = 'stall'
    const started = Date.now()
    expect((await call('/me', await sign(rsa, claims()))).status).toBe(401)
    const took = Date.now() - started
    expect(took).toBeGreaterThanOrEqual(1400)
    expect(took).toBeLessThan(5000)
    expect(logger.lines.some((l) => l.message === 'jwks fetch failed' && /timed out/.test(String(l.fields?.error)))).toBe(true)
  })
})

describe('attacks answer 401 and never reach the integration', () => {
  let s: ReturnType<typeof httpSetup>
  beforeEach(async () => {
    s = httpSetup()
    // Warm the cache so every case below is judged with keys in hand.
    expect((await s.call('/me', await sign(rsa, s.claims()))).status).toBe(200)
    s.events.length = 0
  })
  afterEach(() => {
    expect(s.events).toHaveLength(0)
  })

  const b64 = (v: unknown) => base64url.encode(JSON.stringify(v))
  const cases: [string, (s: ReturnType<typeof httpSetup>) => Promise<string | undefined>, RegExp][] = [
    ['alg none', async (s) => `${b64({ alg: 'none', kid: 'rsa-1' })}.${b64(s.claims())}.`, /algorithm "none"/],
    [
      'HS256 signed with the RSA public key (alg confusion)',
      (s) => new SignJWT(s.claims()).setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' }).sign(new TextEncoder().encode(rsa.pem)),
      /algorithm "HS256"/,
    ],
    ['expired', (s) => sign(rsa, s.claims({ iat: secs(s.clock) - 7200, exp: secs(s.clock) - 3600 })), /expired/],
    ['expired just beyond the clock skew', (s) => sign(rsa, s.claims({ exp: secs(s.clock) - 6 })), /expired/],
    ['not yet valid (nbf)', (s) => sign(rsa, s.claims({ nbf: secs(s.clock) + 3600 })), /nbf/],
    ['iat in the future', (s) => sign(rsa, s.claims({ iat: secs(s.clock) + 3600 })), /iat/],
    ['no exp', (s) => sign(rsa, s.claims({ exp: undefined })), /exp/],
    ['wrong iss', (s) => sign(rsa, s.claims({ iss: 'https://evil.example/pool' })), /issuer/],
    ['iss with a trailing slash', (s) => sign(rsa, s.claims({ iss: `${idp.issuer}/` })), /issuer/],
    ['wrong aud', (s) => sign(rsa, s.claims({ aud: 'someone-else' })), /audience/],
    ['unknown kid', (s) => sign({ ...stranger, kid: 'nope' }, s.claims()), /no key for kid/],
    ['known kid, other key (key substitution)', (s) => sign(stranger, s.claims()), /signature/],
    [
      'tampered payload',
      async (s) => {
        const [h, , sig] = (await sign(rsa, s.claims())).split('.')
        return `${h}.${b64(s.claims({ sub: 'admin' }))}.${sig}`
      },
      /signature/,
    ],
    ['over maxTokenBytes', (s) => sign(rsa, s.claims({ pad: 'x'.repeat(6500) })), /maxTokenBytes/],
    ['garbage', async () => 'not-a-token', /compact JWS/],
    ['three dots of garbage', async () => 'a.b.c', /malformed/],
    ['empty bearer', async () => '', /no token/],
    ['missing header', async () => undefined, /no token/],
  ]

  it.each(cases)('%s', async (_name, make, reason) => {
    const token = await make(s)
    const res = await s.call('/me', token)
    expect(res.status).toBe(401)
    const body = await res.text()
    expect(body).toBe('{"message":"Unauthorized"}')
    expect(res.headers.get('www-authenticate')).toBe('Bearer scope="" error="invalid_token" error_description="the token is invalid"')
    const line = s.logger.lines.find((l) => l.message === 'request rejected')
    expect(String(line?.fields?.detail)).toMatch(reason)
    // The token itself never reaches the log.
    if (token && token.length > 20) expect(JSON.stringify(s.logger.lines)).not.toContain(token.split('.')[2] || token)
  })
})

describe('scopes', () => {
  it('HTTP API: a valid token without a route scope gets 403 insufficient_scope', async () => {
    const { call, claims, events } = httpSetup()
    const res = await call('/admin', await sign(rsa, claims({ scope: 'read write' })))
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({ message: 'Forbidden' })
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"')
    expect(events).toHaveLength(0)
  })

  it('HTTP API: scope or scp (list or string) sharing one scope passes; scopes reach the event', async () => {
    const { call, claims, events } = httpSetup()
    expect((await call('/admin', await sign(rsa, claims({ scope: 'read root' })))).status).toBe(200)
    expect((await call('/admin', await sign(rsa, claims({ scp: ['admin'] })))).status).toBe(200)
    expect(events[0].requestContext.authorizer.jwt.scopes).toEqual(['read', 'root'])
    expect(events[1].requestContext.authorizer.jwt.scopes).toEqual(['admin'])
  })

  it('HTTP API: aud may be a list, or client_id stands in for it', async () => {
    const { call, claims } = httpSetup()
    expect((await call('/me', await sign(rsa, claims({ aud: ['x', 'api-client'] })))).status).toBe(200)
    expect((await call('/me', await sign(rsa, claims({ aud: undefined, client_id: 'api-client' })))).status).toBe(200)
    expect((await call('/me', await sign(rsa, claims({ aud: undefined, client_id: 'other' })))).status).toBe(401)
  })
})

describe('Cognito user pool authorizer (REST)', () => {
  it('derives the issuer from the pool ARN', () => {
    expect(cognitoIssuer(POOL_ARN)).toBe('https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test')
  })

  it('takes the raw header value and tolerates a "Bearer " prefix', async () => {
    const { call, idToken } = restSetup()
    const token = await idToken()
    expect((await call('/me', token)).status).toBe(200)
    expect((await call('/me', `Bearer ${token}`)).status).toBe(200)
  })

  it('a method without scopes takes ID tokens only', async () => {
    const { call, accessToken, events } = restSetup()
    const res = await call('/me', await accessToken())
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ message: 'Unauthorized' })
    expect(res.headers.get('x-amzn-ErrorType')).toBe('UnauthorizedException')
    expect(res.headers.get('www-authenticate')).toBeNull()
    expect(events).toHaveLength(0)
  })

  it('a method with scopes takes access tokens sharing a scope; scopes reach the event', async () => {
    const { call, accessToken, idToken, events, logger } = restSetup()
    expect((await call('/orders', await idToken({ scope: 'orders/read' }))).status).toBe(401)
    expect((await call('/orders', await accessToken({ scope: 'profile email' }))).status).toBe(401)
    expect(logger.lines.filter((l) => l.message === 'request rejected').map((l) => l.fields?.detail)).toEqual([
      expect.stringMatching(/an access token is required/),
      expect.stringMatching(/none of the method scopes/),
    ])
    expect(events).toHaveLength(0)
    const res = await call('/orders', await accessToken())
    expect(res.status).toBe(200)
    expect(events[0].requestContext.authorizer.scopes).toEqual(['orders/read', 'profile'])
    expect(events[0].requestContext.authorizer.claims.client_id).toBe('client-abc')
  })

  it('token_use is required', async () => {
    const { call, idToken } = restSetup()
    expect((await call('/me', await idToken({ token_use: undefined }))).status).toBe(401)
  })

  it('identityValidationExpression applies to aud (so access tokens fail it)', async () => {
    const { call, idToken, accessToken } = restSetup({ identityValidationExpression: 'client-[a-z]+' })
    expect((await call('/me', await idToken())).status).toBe(200)
    expect((await call('/me', await idToken({ aud: 'client-abc-extra1' }))).status).toBe(401)
    expect((await call('/orders', await accessToken())).status).toBe(401)
  })

  it('audience restricts app clients through aud or client_id', async () => {
    const { call, idToken, accessToken } = restSetup({ audience: ['client-abc'] })
    expect((await call('/me', await idToken())).status).toBe(200)
    expect((await call('/orders', await accessToken())).status).toBe(200)
    expect((await call('/me', await idToken({ aud: 'client-zzz' }))).status).toBe(401)
  })

  it('accepts RS256 only by default: an ES256 token from the same JWKS is refused', async () => {
    const { call } = restSetup()
    const now = Math.floor(Date.UTC(2026, 0, 15, 12) / 1000)
    const token = await sign(ec, { iss: idp.issuer, aud: 'client-abc', token_use: 'id', iat: now, exp: now + 60 })
    expect((await call('/me', token)).status).toBe(401)
  })

  it('a REST gateway response override applies to the 401', async () => {
    const recorder = scriptedInvoker(() => ({ statusCode: 200, body: 'ok' }))
    const { app } = makeGateway(
      {
        functions,
        apis: [
          {
            name: 'rest',
            type: 'REST',
            authorizers: { pool: { type: 'cognito_user_pools', providerArns: [POOL_ARN], issuer: idp.issuer } },
            gatewayResponses: { UNAUTHORIZED: { headers: { 'Access-Control-Allow-Origin': "'*'" } } },
            routes: [{ method: 'GET', path: '/me', integration: { type: 'lambda', function: 'fn' }, authorization: { authorizer: 'pool' } }],
          },
        ],
      },
      { invoker: recorder.invoker, gateway: { features: [jwtFeature] } },
    )
    const res = await app.request('/prod/me')
    expect(res.status).toBe(401)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
  })
})

describe('claim rendering', () => {
  it('REST: Java Date#toString for exp/iat/nbf, padded day', () => {
    expect(javaDate(Date.UTC(2023, 3, 4, 18, 39, 39))).toBe('Tue Apr 04 18:39:39 UTC 2023')
    expect(restClaims({ exp: 1680633579, auth_time: 1680629979, flag: true, list: ['a', 1] })).toEqual({
      exp: 'Tue Apr 04 18:39:39 UTC 2023',
      auth_time: '1680629979',
      flag: 'true',
      list: 'a,1',
    })
  })
  it('HTTP API: numbers as strings, arrays in brackets, nulls dropped', () => {
    expect(httpApiClaims({ exp: 1787996002, groups: ['a', 'b'], n: null, o: { k: [1] } })).toEqual({
      exp: '1787996002',
      groups: '[a b]',
      o: '{"k":[1]}',
    })
  })
})
