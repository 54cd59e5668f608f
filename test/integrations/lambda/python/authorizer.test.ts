/**
 * The guide's token authorizer in Python (import jwt; HS256 with os.environ['JWT_SECRET']),
 * run by Debian's /usr/bin/python3 with python3-jwt: invoked directly through the Python
 * invoker, and as the TOKEN authorizer of a REST route.
 */
import { describe, expect, it } from 'vitest'
import { SignJWT } from 'jose'
import { lambdaAuthorizerFeature } from '../../../../src/features/auth-lambda/index.ts'
import { makeGateway, restApi } from '../../../helpers/gateway.ts'
import { PY_FIXTURES, never, pythonInvoker, pythonProblem, pythonRouter, target } from './helpers.ts'

const INTERPRETER = '/usr/bin/python3'
const problem = pythonProblem(INTERPRETER, 'import sys, jwt; assert sys.version_info >= (3, 8)')
const SECRET = 'python-guide-secret-0123456789abcdef'
const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/me'

async function token(claims: Record<string, unknown>, opts: { secret?: string; expires?: number | string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setJti(crypto.randomUUID())
    .setExpirationTime(opts.expires ?? '1h')
    .sign(new TextEncoder().encode(opts.secret ?? SECRET))
}

const authorizer = () => target('authorizer.lambda_authorizer', { environment: { JWT_SECRET: SECRET } }, 'authorizer')

function policy(effect: string, principalId: string, context?: Record<string, unknown>) {
  return {
    principalId,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: METHOD_ARN }] },
    ...(context ? { context } : {}),
  }
}

if (problem !== undefined) {
  describe('the guide\'s Python token authorizer', () => {
    it.skip(`needs ${INTERPRETER} with PyJWT (Debian: apt-get install python3-jwt); ${problem}`, () => {})
  })
}

describe.skipIf(problem !== undefined)('the guide\'s Python token authorizer (/usr/bin/python3 + python3-jwt)', () => {
  it('a valid token: Allow for the method ARN, with user_id and role as context', async () => {
    const { invoker } = pythonInvoker({ interpreter: INTERPRETER })
    const event = { type: 'TOKEN', authorizationToken: `Bearer ${await token({ user_id: 'u-42', role: 'admin' })}`, methodArn: METHOD_ARN }
    const outcome = await invoker.invoke({ target: authorizer(), event, signal: never() })
    expect(outcome.kind).toBe('ok')
    expect(JSON.parse(outcome.payload)).toEqual(policy('Allow', 'u-42', { user_id: 'u-42', role: 'admin' }))
  })

  it.each([
    ['signed with another secret', () => token({ user_id: 'u-1', role: 'admin' }, { secret: 'another-secret-0123456789abcdef' })],
    ['expired', () => token({ user_id: 'u-1', role: 'admin' }, { expires: Math.floor(Date.now() / 1000) - 60 })],
    ['not a JWT', async () => 'not.a.jwt'],
  ])('a token %s: Deny for principal "user"', async (_name, make) => {
    const { invoker } = pythonInvoker({ interpreter: INTERPRETER })
    const event = { type: 'TOKEN', authorizationToken: `Bearer ${await make()}`, methodArn: METHOD_ARN }
    const outcome = await invoker.invoke({ target: authorizer(), event, signal: never() })
    expect(outcome.kind).toBe('ok')
    expect(JSON.parse(outcome.payload)).toEqual(policy('Deny', 'user'))
  })

  it('without JWT_SECRET in its environment the function fails (KeyError), as it would in Lambda', async () => {
    const { invoker } = pythonInvoker({ interpreter: INTERPRETER, env: { PATH: process.env.PATH } })
    const event = { type: 'TOKEN', authorizationToken: `Bearer ${await token({ user_id: 'u', role: 'r' })}`, methodArn: METHOD_ARN }
    const outcome = await invoker.invoke({ target: target('authorizer.lambda_authorizer', {}, 'noSecret'), event, signal: never() })
    expect(outcome.kind).toBe('function-error')
    expect(JSON.parse(outcome.payload)).toMatchObject({ errorType: 'KeyError', errorMessage: "'JWT_SECRET'" })
  })

  it('as the TOKEN authorizer of a REST route: allowed requests reach a Python handler with the context', async () => {
    const { invoker, logger } = pythonInvoker({ interpreter: INTERPRETER })
    const config = {
      functions: {
        authorizer: { handler: 'authorizer.lambda_authorizer', environment: { JWT_SECRET: SECRET } },
        profile: { handler: 'users.profile' },
      },
      ...restApi([{ method: 'GET', path: '/me', integration: { type: 'lambda', function: 'profile' }, authorization: { authorizer: 'jwt' } }], {
        authorizers: { jwt: { type: 'token', function: 'authorizer' } },
      }),
    }
    const { app } = makeGateway(config, { invoker: pythonRouter(invoker), baseDir: PY_FIXTURES, deps: { logger }, gateway: { features: [lambdaAuthorizerFeature] } })
    const allowed = await app.request('/prod/me', { headers: { Authorization: `Bearer ${await token({ user_id: 'u-7', role: 'member' })}` } })
    expect(allowed.status).toBe(200)
    expect(await allowed.json()).toEqual({ user_id: 'u-7', role: 'member', principal: 'u-7' })
    const denied = await app.request('/prod/me', { headers: { Authorization: `Bearer ${await token({ user_id: 'u-7', role: 'member' }, { secret: 'wrong-secret-0123456789abcdef' })}` } })
    expect(denied.status).toBe(403)
    expect(await denied.json()).toEqual({ Message: 'User is not authorized to access this resource with an explicit deny' })
  })
})
