/**
 * The guide's two authorizers (test/fixtures/authorizers) end to end over a real Node server:
 * a TOKEN authorizer verifying HS256 JWTs with JWT_SECRET from the function's environment,
 * a REQUEST authorizer checking X-API-Key, and a handler reading requestContext.authorizer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serve } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { SignJWT } from 'jose'
import { createGateway } from '../../../src/gateway.ts'
import { loadModel } from '../../../src/model/load.ts'
import { nodeDeps } from '../../../src/runtime/node/index.ts'
import { memoryLogger } from '../../../src/core/deps.ts'
import { FIXTURES } from '../../helpers/gateway.ts'
import { features } from './helpers.ts'

const SECRET = 'guide-secret-for-tests-only-0123456789'
const GOLD = 'key-gold-0123456789abcdef'

let server: Server
let url: string
const calls: Record<string, number> = {}
const logger = memoryLogger()
let closeDeps: () => Promise<void>

beforeAll(async () => {
  const { model } = loadModel(
    {
      functions: {
        authorizer: { handler: 'authorizers/token-jwt.handler', environment: { JWT_SECRET: SECRET } },
        apiKeyAuthorizer: { handler: 'authorizers/request-api-key.handler' },
        users: { handler: 'authorizers/users.handler' },
        echo: { handler: 'echo.handler' },
      },
      apis: [
        {
          name: 'users-rest',
          type: 'REST',
          stages: [{ name: 'prod' }],
          authorizers: {
            jwt: { type: 'token', function: 'authorizer' },
            apiKey: { type: 'request', function: 'apiKeyAuthorizer', identitySource: 'method.request.header.X-API-Key' },
          },
          routes: [
            { method: 'GET', path: '/users', integration: { type: 'lambda', function: 'users' }, authorization: { authorizer: 'jwt' } },
            { method: 'POST', path: '/users', integration: { type: 'lambda', function: 'users' }, authorization: { authorizer: 'jwt' } },
            { method: 'GET', path: '/reports', integration: { type: 'lambda', function: 'echo' }, authorization: { authorizer: 'apiKey' } },
          ],
        },
        {
          name: 'users-http',
          type: 'HTTP',
          basePath: '/v2',
          authorizers: {
            apiKey: { type: 'request', function: 'apiKeyAuthorizer', identitySource: '$request.header.X-API-Key', payloadFormatVersion: '1.0' },
          },
          routes: [{ route: 'GET /reports', integration: { type: 'lambda', function: 'echo', payloadFormatVersion: '2.0' }, authorization: { authorizer: 'apiKey' } }],
        },
      ],
    },
    { baseDir: FIXTURES },
  )
  // nodeDeps puts the functions' environment (JWT_SECRET) into process.env, as `portico start` does.
  const deps = nodeDeps(model, { logger })
  closeDeps = deps.close
  const inner = deps.invoker
  deps.invoker = {
    invoke(invocation) {
      calls[invocation.target.name] = (calls[invocation.target.name] ?? 0) + 1
      return inner.invoke(invocation)
    },
  }
  const gateway = createGateway(model, deps, { features })
  await gateway.ready
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: gateway.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server)) as Server
  })
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise<void>((r) => {
    server?.close(() => r())
    server?.closeAllConnections?.()
  })
  await closeDeps?.()
  delete process.env.JWT_SECRET
})

/** A fresh HS256 token (jti keeps tokens with the same claims apart, so each test has its own cache entry). */
async function token(claims: Record<string, unknown>, opts: { secret?: string; expires?: string | number } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setJti(crypto.randomUUID())
    .setExpirationTime(opts.expires ?? '1h')
    .sign(new TextEncoder().encode(opts.secret ?? SECRET))
}

const snapshot = () => ({ ...calls })
const delta = (before: Record<string, number>, name: string) => (calls[name] ?? 0) - (before[name] ?? 0)

describe('the guide\'s TOKEN authorizer (HS256 JWT)', () => {
  it('an admin token: the handler sees user_id and role in requestContext.authorizer', async () => {
    const jwt = await token({ user_id: 'u-42', role: 'admin' })
    const res = await fetch(`${url}/prod/users`, { headers: { Authorization: jwt } })
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body.users).toEqual(['u-1', 'u-2', 'u-3'])
    expect(body.as).toBe('u-42')
    expect(body.authorizer).toEqual({ principalId: 'u-42', user_id: 'u-42', role: 'admin', integrationLatency: expect.any(Number) })
  })

  it('"Bearer " is stripped by the authorizer, as the guide\'s code does', async () => {
    const jwt = await token({ user_id: 'u-7', role: 'member' })
    const res = await fetch(`${url}/prod/users`, { headers: { Authorization: `Bearer ${jwt}` } })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ user: 'u-7', role: 'member' })
  })

  it.each([
    ['signed with another secret', () => token({ user_id: 'u-1', role: 'admin' }, { secret: 'not-the-secret-0123456789abcdef' })],
    ['expired', () => token({ user_id: 'u-1', role: 'admin' }, { expires: Math.floor(Date.now() / 1000) - 60 })],
    ['not a JWT', async () => `not.a.jwt-${crypto.randomUUID()}`],
  ])('a token %s: 403 explicit deny, the handler never runs', async (_name, make) => {
    const before = snapshot()
    const res = await fetch(`${url}/prod/users`, { headers: { Authorization: await make() } })
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({ Message: 'User is not authorized to access this resource with an explicit deny' })
    expect(res.headers.get('x-amzn-ErrorType')).toBe('AccessDeniedException')
    expect(delta(before, 'authorizer')).toBe(1)
    expect(delta(before, 'users')).toBe(0)
  })

  it('no Authorization header: 401 without invoking the authorizer', async () => {
    const before = snapshot()
    const res = await fetch(`${url}/prod/users`)
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ message: 'Unauthorized' })
    expect(delta(before, 'authorizer')).toBe(0)
    expect(delta(before, 'users')).toBe(0)
  })

  it('as on AWS, the cached policy names only the first method: POST with the same token is denied from cache', async () => {
    const jwt = await token({ user_id: 'u-9', role: 'admin' })
    const before = snapshot()
    expect((await fetch(`${url}/prod/users`, { headers: { Authorization: jwt } })).status).toBe(200)
    const res = await fetch(`${url}/prod/users`, { method: 'POST', headers: { Authorization: jwt }, body: '{}' })
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({ Message: 'User is not authorized to access this resource' })
    expect(delta(before, 'authorizer')).toBe(1)
    expect(delta(before, 'users')).toBe(1)
  })
})

describe('the guide\'s REQUEST authorizer (X-API-Key)', () => {
  it('REST: a known key passes with its tier; the event keeps the client\'s header casing on Node', async () => {
    const res = await fetch(`${url}/prod/reports`, { headers: { 'X-API-Key': GOLD } })
    expect(res.status).toBe(200)
    const event = await res.json()
    expect(event.requestContext.authorizer).toEqual({ principalId: 'user', api_key: GOLD, tier: 'gold', integrationLatency: expect.any(Number) })
    expect(event.headers['X-API-Key']).toBe(GOLD)
  })

  it('REST: an unknown key is denied, a missing one is 401 without invoking', async () => {
    const before = snapshot()
    expect((await fetch(`${url}/prod/reports`, { headers: { 'X-API-Key': 'nope' } })).status).toBe(403)
    expect((await fetch(`${url}/prod/reports`)).status).toBe(401)
    expect(delta(before, 'apiKeyAuthorizer')).toBe(1)
    expect(delta(before, 'echo')).toBe(0)
  })

  it('HTTP API (authorizer payload 1.0, integration 2.0): the tier under requestContext.authorizer.lambda', async () => {
    const res = await fetch(`${url}/v2/reports`, { headers: { 'x-api-key': 'key-free-0123456789abcdef' } })
    expect(res.status).toBe(200)
    const event = await res.json()
    expect(event.requestContext.authorizer).toEqual({ lambda: { api_key: 'key-free-0123456789abcdef', tier: 'free' } })
    const denied = await fetch(`${url}/v2/reports`, { headers: { 'x-api-key': 'nope' } })
    expect(denied.status).toBe(403)
    expect(await denied.json()).toEqual({ message: 'Forbidden' })
  })

  it('no token or key value is ever logged', () => {
    expect(JSON.stringify(logger.lines)).not.toContain(GOLD)
    expect(JSON.stringify(logger.lines)).not.toContain('eyJ')
  })
})
