/** Verified tokens are reused for a minute at most, never past their exp, never for another token. */
import { describe, expect, it } from 'vitest'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { makeGateway, scriptedInvoker } from '../../helpers/gateway.ts'
import { jwtFeature } from '../../../src/features/auth-jwt/index.ts'

describe('the verified-token cache', async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }
  const issuer = 'https://idp.example.com/'
  const make = () => {
    const { invoker, events } = scriptedInvoker(() => ({ statusCode: 200, body: 'ok' }))
    const built = makeGateway(
      {
        apis: [
          {
            name: 'h',
            type: 'HTTP',
            authorizers: { j: { type: 'jwt', issuer, audience: ['a'], jwks: { keys: [jwk] }, clockSkewSeconds: 0 } },
            routes: [{ route: 'GET /x', authorization: { authorizer: 'j' }, integration: { type: 'lambda', function: 'arn:aws:lambda:us-east-1:123456789012:function:f' } }],
          },
        ],
      },
      { invoker, gateway: { features: [jwtFeature] } },
    )
    return { ...built, events }
  }
  const sign = (now: number, exp: number, sub = 'u1') =>
    new SignJWT({ sub }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(issuer).setAudience('a').setIssuedAt(now / 1000).setExpirationTime(exp / 1000).sign(privateKey)

  it('stops accepting a cached token at its exp', async () => {
    const { app, clock, events } = make()
    const token = await sign(clock.now(), clock.now() + 20_000)
    const call = () => app.request('/x', { headers: { authorization: `Bearer ${token}` } })
    expect((await call()).status).toBe(200)
    clock.advance(10_000)
    expect((await call()).status).toBe(200)
    clock.advance(11_000)
    expect((await call()).status).toBe(401)
    expect(events).toHaveLength(2)
  })
  it('never lets one token stand for another', async () => {
    const { app, clock, events } = make()
    const good = await sign(clock.now(), clock.now() + 3_600_000)
    expect((await app.request('/x', { headers: { authorization: `Bearer ${good}` } })).status).toBe(200)
    const tampered = good.slice(0, -4) + (good.endsWith('AAAA') ? 'BBBB' : 'AAAA')
    expect((await app.request('/x', { headers: { authorization: `Bearer ${tampered}` } })).status).toBe(401)
    expect(events).toHaveLength(1)
  })
})
