/**
 * The users example under workerd, through the Worker entry (src/runtime/workers/index.ts, as
 * wrangler.toml names it): the same answers as on Node and Bun.
 */
import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'

const BASE = 'https://example.com'

function call(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(BASE + path, init))
}

describe('users example on Workers', () => {
  it('REST: GET /prod/users/42 invokes the bundled getUser handler', async () => {
    const res = await call('/prod/users/42')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    const body = (await res.json()) as { id: string; name: string; requestId: string; invocation: string }
    expect(body).toMatchObject({ id: '42', name: 'User 42' })
    expect(res.headers.get('x-amzn-RequestId')).toBe(body.requestId)
    expect(body.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    expect(res.headers.get('x-amz-apigw-id')).toBeTruthy()
    expect(res.headers.get('X-Amzn-Trace-Id')).toMatch(/^Root=1-/)
  })

  it('REST: POST /prod/users creates a user', async () => {
    const res = await call('/prod/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }),
    })
    expect(res.status).toBe(201)
    const created = (await res.json()) as { id: string; name: string; email: string }
    expect(created).toMatchObject({ name: 'Ada', email: 'ada@example.com' })
    // The handler module keeps its state for the isolate's life, as a warm Lambda does.
    const again = await call(`/prod/users/${created.id}`)
    expect(await again.json()).toMatchObject({ id: created.id, name: 'Ada' })
  })

  it('REST: a bad body is the handler\'s 400', async () => {
    const res = await call('/prod/users', { method: 'POST', body: 'not json' })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ message: 'body must be JSON' })
  })

  it('HTTP API: GET /v2/users/42 answers with apigw-requestid', async () => {
    const res = await call('/v2/users/42')
    expect(res.status).toBe(200)
    const body = (await res.json()) as { id: string; name: string; requestId: string }
    expect(body).toMatchObject({ id: '42', name: 'User 42' })
    expect(res.headers.get('apigw-requestid')).toBe(body.requestId)
    expect(res.headers.get('x-amzn-RequestId')).toBeNull()
  })

  it('REST: an unknown path is 403 Missing Authentication Token', async () => {
    const res = await call('/prod/nowhere')
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({ message: 'Missing Authentication Token' })
    expect(res.headers.get('x-amzn-ErrorType')).toBe('MissingAuthenticationTokenException')
    expect(res.headers.get('x-amzn-RequestId')).toBeTruthy()
  })

  it('HTTP API: an unknown path is 404 Not Found', async () => {
    const res = await call('/v2/nowhere')
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ message: 'Not Found' })
    expect(res.headers.get('apigw-requestid')).toBeTruthy()
  })

  it('REST: the mock route answers without a backend', async () => {
    const res = await call('/prod/health')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
  })

  it('REST: the token authorizer (jose, process.env.JWT_SECRET under nodejs_compat) guards /prod/me', async () => {
    const { SignJWT } = await import('jose')
    const token = await new SignJWT({ user_id: '42', role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('dev-only-secret-change-me'))
    const ok = await call('/prod/me', { headers: { Authorization: `Bearer ${token}` } })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ user_id: '42', role: 'admin', principalId: '42' })
    expect((await call('/prod/me')).status).toBe(401)
  })

  it('REST: the partner route needs the demo API key', async () => {
    expect((await call('/prod/partner/users/7')).status).toBe(403)
    const ok = await call('/prod/partner/users/7', { headers: { 'x-api-key': 'demo-partner-key-0123456789' } })
    expect(ok.status).toBe(200)
  })
})
