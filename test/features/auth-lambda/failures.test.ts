/**
 * What the client gets when the authorizer fails: "Unauthorized", other errors, timeouts,
 * unusable answers, invoke failures; REST gateway responses and HTTP API fixed bodies. The
 * integration is never reached.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { InvokeError } from '../../../src/integrations/lambda/types.ts'
import { countingLocalInvoker, gateway, httpConfig, policy, restConfig, scripted } from './helpers.ts'

const REST_CONFIG_ERROR = { status: 500, body: '{"message": null}', type: 'AuthorizerConfigurationException' }
const REST_FAILURE = { status: 500, body: '{"message": null}', type: 'AuthorizerFailureException' }
const REST_401 = { status: 401, body: '{"message":"Unauthorized"}', type: 'UnauthorizedException' }
const HTTP_500 = { status: 500, body: '{"message":"Internal Server Error"}' }
const HTTP_401 = { status: 401, body: '{"message":"Unauthorized"}' }

/** REST and HTTP configs whose authorizer is the named export of misbehaving.mjs (a real local handler). */
function withHandler(exportName: string, api: 'REST' | 'HTTP', timeout = 6) {
  const config: any = api === 'REST' ? restConfig({ type: 'token', resultTtlInSeconds: 0 }) : httpConfig({ identitySource: '$request.header.Authorization', resultTtlInSeconds: 0 })
  config.functions.auth = { handler: `authorizers/misbehaving.${exportName}`, timeout }
  return config
}

describe('failures of real local authorizers', () => {
  it.each([
    ['throws "Unauthorized"', 'unauthorized', REST_401, HTTP_401],
    ['callback("Unauthorized")', 'unauthorizedCallback', REST_401, HTTP_401],
    ['throws another error', 'throws', REST_CONFIG_ERROR, HTTP_500],
    ['times out (function timeout 0.05 s)', 'never', REST_CONFIG_ERROR, HTTP_500],
    ['returns a string', 'garbage', REST_CONFIG_ERROR, HTTP_500],
    ['returns context with an object', 'objectContext', REST_CONFIG_ERROR, HTTP_500],
  ])('%s', async (_name, exportName, rest, http) => {
    for (const api of ['REST', 'HTTP'] as const) {
      const { invoker, calls } = countingLocalInvoker()
      const { app } = gateway(withHandler(exportName, api, 0.05), invoker)
      const res = await app.request(api === 'REST' ? '/prod/pets/1' : '/pets/1', { headers: { Authorization: 'tok' } })
      const expected = api === 'REST' ? rest : http
      expect(res.status).toBe(expected.status)
      expect(await res.text()).toBe(expected.body)
      expect(res.headers.get('x-amzn-ErrorType')).toBe('type' in expected ? expected.type : null)
      expect(calls.auth).toBe(1)
      expect(calls.echo).toBeUndefined()
    }
  })

  it('the log says why, without the token', async () => {
    const { invoker } = countingLocalInvoker()
    const { app, logger } = gateway(withHandler('throws', 'REST'), invoker)
    await app.request('/prod/pets/1', { headers: { Authorization: 'Bearer very-secret-token' } })
    const line = logger.lines.find((l) => l.message === 'request rejected')!
    expect(line.fields!.detail).toContain('database unavailable')
    expect(JSON.stringify(logger.lines)).not.toContain('very-secret-token')
  })
})

describe('unusable answers (500 AUTHORIZER_CONFIGURATION_ERROR)', () => {
  const arn = 'arn:aws:execute-api:*:*:*'
  const statement = { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: arn }
  it.each([
    ['null', null],
    ['a number', { __raw: '42' }],
    ['not JSON', { __raw: '{oops' }],
    ['an array', [policy('Allow', arn)]],
    ['no principalId', { policyDocument: { Version: '2012-10-17', Statement: [statement] } }],
    ['an empty principalId', { principalId: '', policyDocument: { Statement: [statement] } }],
    ['principalId an object', { principalId: { id: 1 }, policyDocument: { Statement: [statement] } }],
    ['no policyDocument', { principalId: 'p' }],
    ['policyDocument a string', { principalId: 'p', policyDocument: 'allow' }],
    ['lowercase statement', { principalId: 'p', policyDocument: { Version: '2012-10-17', statement: [statement] } }],
    ['lowercase effect', { principalId: 'p', policyDocument: { Statement: [{ ...statement, Effect: 'allow' }] } }],
    ['no Action', { principalId: 'p', policyDocument: { Statement: [{ Effect: 'Allow', Resource: arn }] } }],
    ['Resource and NotResource', { principalId: 'p', policyDocument: { Statement: [{ ...statement, NotResource: arn }] } }],
    ['Resource a number', { principalId: 'p', policyDocument: { Statement: [{ ...statement, Resource: 7 }] } }],
    ['an unknown statement element', { principalId: 'p', policyDocument: { Statement: [{ ...statement, Principal: '*' }] } }],
    ['an unsupported condition', { principalId: 'p', policyDocument: { Statement: [{ ...statement, Condition: { StringEquals: { 'aws:x': 'y' } } }] } }],
    ['context an array', policy('Allow', arn, { context: ['a'] })],
    ['context value an object', policy('Allow', arn, { context: { user: { id: 1 } } })],
    ['context value an array', policy('Allow', arn, { context: { roles: ['a'] } })],
    ['context value null', policy('Allow', arn, { context: { role: null } })],
    ['usageIdentifierKey a number', policy('Allow', arn, { usageIdentifierKey: 5 })],
  ])('%s', async (_name, answer) => {
    const s = scripted(() => answer)
    const { app } = gateway(restConfig({ type: 'token', resultTtlInSeconds: 0 }), s.invoker)
    const res = await app.request('/prod/pets/1', { headers: { Authorization: 'tok' } })
    expect(res.status).toBe(500)
    expect(await res.text()).toBe('{"message": null}')
    expect(res.headers.get('x-amzn-ErrorType')).toBe('AuthorizerConfigurationException')
    expect(s.integrationEvents).toHaveLength(0)
  })

  it('null context and null usageIdentifierKey are the same as none', async () => {
    const s = scripted(() => policy('Allow', arn, { context: null, usageIdentifierKey: null }))
    const { app } = gateway(restConfig({ type: 'token', resultTtlInSeconds: 0 }), s.invoker)
    expect((await app.request('/prod/pets/1', { headers: { Authorization: 'tok' } })).status).toBe(200)
  })

  it('REST gateway responses can override AUTHORIZER_CONFIGURATION_ERROR and UNAUTHORIZED', async () => {
    const s = scripted((e) => (e.authorizationToken === 'bad' ? { __error: { errorType: 'Error', errorMessage: 'Unauthorized' } } : 'garbage'))
    const config = restConfig({ type: 'token', resultTtlInSeconds: 0 }, undefined, {
      gatewayResponses: {
        UNAUTHORIZED: { statusCode: 401, body: '{"error":"login required"}' },
        AUTHORIZER_CONFIGURATION_ERROR: { statusCode: 502, body: '{"error":"auth broken"}' },
      },
    })
    const { app } = gateway(config, s.invoker)
    const unauthorized = await app.request('/prod/pets/1', { headers: { Authorization: 'bad' } })
    expect(await unauthorized.text()).toBe('{"error":"login required"}')
    const broken = await app.request('/prod/pets/1', { headers: { Authorization: 'x' } })
    expect(broken.status).toBe(502)
    expect(await broken.text()).toBe('{"error":"auth broken"}')
  })
})

describe('function errors by message', () => {
  it.each([
    ['Unauthorized', 401],
    ['unauthorized', 500],
    ['Unauthorized: expired', 500],
    ['Unauthorized ', 500],
  ])('errorMessage %j → %i', async (errorMessage, status) => {
    const s = scripted(() => ({ __error: { errorType: 'Error', errorMessage } }))
    const { app } = gateway(restConfig({ type: 'token', resultTtlInSeconds: 0 }), s.invoker)
    expect((await app.request('/prod/pets/1', { headers: { Authorization: 'tok' } })).status).toBe(status)
  })
})

describe('invoke failures and gateway timeouts', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('no permission to invoke → 500 AUTHORIZER_CONFIGURATION_ERROR; other invoke failures → AUTHORIZER_FAILURE', async () => {
    for (const [status, type] of [
      [403, 'AuthorizerConfigurationException'],
      [429, 'AuthorizerFailureException'],
      [undefined, 'AuthorizerFailureException'],
    ] as const) {
      const s = scripted(() => {
        throw new InvokeError('nope', { status })
      })
      const { app } = gateway(restConfig({ type: 'token', resultTtlInSeconds: 0 }), s.invoker)
      const res = await app.request('/prod/pets/1', { headers: { Authorization: 'tok' } })
      expect(res.status).toBe(500)
      expect(res.headers.get('x-amzn-ErrorType')).toBe(type)
      expect(s.integrationEvents).toHaveLength(0)
    }
  })

  it('REST: a remote authorizer that never answers fails after its function timeout', async () => {
    const s = scripted(() => new Promise(() => {}))
    const config: any = restConfig({ type: 'token', resultTtlInSeconds: 0 })
    config.functions.auth = { arn: 'arn:aws:lambda:us-east-1:123456789012:function:auth', timeout: 0.1 }
    const { app } = gateway(config, s.invoker)
    const started = Date.now()
    const res = await app.request('/prod/pets/1', { headers: { Authorization: 'tok' } })
    expect(Date.now() - started).toBeGreaterThanOrEqual(100)
    expect(res.status).toBe(REST_FAILURE.status)
    expect(await res.text()).toBe(REST_FAILURE.body)
    expect(res.headers.get('x-amzn-ErrorType')).toBe(REST_FAILURE.type)
    expect(s.integrationEvents).toHaveLength(0)
  })

  it('HTTP API: 10 s at most, whatever the function timeout', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    let aborted = false
    const s = scripted(() => new Promise(() => {}))
    const invoker = {
      invoke: (inv: any) => {
        inv.signal.addEventListener('abort', () => (aborted = true))
        return s.invoker.invoke(inv)
      },
    }
    const config: any = httpConfig({ identitySource: '$request.header.Authorization', resultTtlInSeconds: 0 })
    config.functions.auth = { arn: 'arn:aws:lambda:us-east-1:123456789012:function:auth', timeout: 60 }
    const { app } = gateway(config, invoker)
    let settled: Response | undefined
    const pending = Promise.resolve(app.request('/pets/1', { headers: { Authorization: 'tok' } })).then((r) => (settled = r))
    await vi.advanceTimersByTimeAsync(9_999)
    expect(settled).toBeUndefined()
    await vi.advanceTimersByTimeAsync(1)
    await pending
    expect(settled!.status).toBe(500)
    expect(await settled!.text()).toBe(HTTP_500.body)
    expect(aborted).toBe(true)
    expect(s.integrationEvents).toHaveLength(0)
  })
})
