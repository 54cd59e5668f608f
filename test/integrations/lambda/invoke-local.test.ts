import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { createLocalInvoker, parseHandler } from '../../../src/integrations/lambda/invoke-local.ts'
import { applyFunctionEnvironment, nodeModuleLoader } from '../../../src/integrations/lambda/invoke-local-node.ts'
import { createInvoker } from '../../../src/integrations/lambda/invoker.ts'
import { createLambdaContext } from '../../../src/integrations/lambda/lambda-context.ts'
import { runHandler } from '../../../src/integrations/lambda/run-handler.ts'
import {
  InvokeError,
  type FunctionTarget,
  type InvokeOutcome,
  type LambdaInvoker,
} from '../../../src/integrations/lambda/types.ts'
import type { FunctionConfig } from '../../../src/model/schema.ts'

const fixtures = fileURLToPath(new URL('../../fixtures/handlers/', import.meta.url))
const REGION = 'eu-central-1'
const ACCOUNT = '111122223333'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

function fn(config: Partial<FunctionConfig>): FunctionConfig {
  return { timeout: 6, memorySize: 1024, environment: {}, ...config } as FunctionConfig
}

function local(handler: string, extra: Partial<FunctionConfig> = {}, name = 'users'): FunctionTarget {
  return { name, config: fn({ handler, ...extra }) }
}

function makeInvoker(loadModule = nodeModuleLoader(fixtures)): LambdaInvoker {
  return createLocalInvoker({ loadModule, region: REGION, accountId: ACCOUNT })
}

async function invoke(target: FunctionTarget, event: unknown = {}, signal = new AbortController().signal): Promise<InvokeOutcome> {
  return makeInvoker().invoke({ target, event, signal })
}

function errorOf(outcome: InvokeOutcome): { errorType: string; errorMessage: string; trace?: string[] } {
  expect(outcome.kind).toBe('function-error')
  return JSON.parse(outcome.payload)
}

describe('local invoker: handler styles', () => {
  it('runs an async handler from an .mjs module', async () => {
    const outcome = await invoke(local('async.handler'), { value: 7 })
    expect(outcome).toMatchObject({ kind: 'ok', payload: JSON.stringify({ statusCode: 200, body: '{"got":7}' }) })
  })

  it('runs a callback-style handler from a .js module', async () => {
    const outcome = await invoke(local('callback.handler'), { value: 'x' })
    expect(outcome).toMatchObject({ kind: 'ok', payload: '{"style":"callback","value":"x"}' })
  })

  it('passes the callback even to a handler declaring two parameters', async () => {
    expect(await invoke(local('callback.hidden'))).toMatchObject({ kind: 'ok', payload: '"from arguments"' })
  })

  it('honours context.succeed, context.done and context.fail', async () => {
    expect(await invoke(local('succeed.handler'))).toMatchObject({ kind: 'ok', payload: '{"legacy":true}' })
    expect(await invoke(local('succeed.done'), { value: 3 })).toMatchObject({ kind: 'ok', payload: '{"done":3}' })
    const failed = errorOf(await invoke(local('succeed.fail')))
    expect(failed).toMatchObject({ errorType: 'Error', errorMessage: 'legacy failure' })
    // The Node.js runtime reports a bare fail() as the string 'handled'.
    expect(errorOf(await invoke(local('succeed.bareFail')))).toEqual({ errorType: 'string', errorMessage: 'handled', trace: [] })
  })

  it('loads a TypeScript module', async () => {
    const outcome = await invoke(local('typed.greet'), { name: 'ts' })
    expect(outcome).toMatchObject({ kind: 'ok', payload: '{"statusCode":200,"body":"hello ts"}' })
  })

  it('finds handlers of a CommonJS module on its default export', async () => {
    expect(await invoke(local('common.handler'), { value: 1 })).toMatchObject({
      kind: 'ok',
      payload: '{"commonjs":true,"value":1}',
    })
  })

  it('falls back to the default export, which is all Node gives for such CommonJS modules', async () => {
    const handler = async () => 'via default'
    const invoker = makeInvoker(async () => ({ default: { handler } }))
    const outcome = await invoker.invoke({ target: local('cjs.handler'), event: {}, signal: new AbortController().signal })
    expect(outcome).toMatchObject({ kind: 'ok', payload: '"via default"' })
  })

  it('loads .cjs and .ts modules with the native import of a plain Node process', async () => {
    // Vitest routes import() through its own loader; a child process shows what Node itself does.
    const src = new URL('../../../src/integrations/lambda/', import.meta.url).href
    const script = `
      const { createLocalInvoker } = await import(${JSON.stringify(src + 'invoke-local.ts')})
      const { nodeModuleLoader } = await import(${JSON.stringify(src + 'invoke-local-node.ts')})
      const invoker = createLocalInvoker({ loadModule: nodeModuleLoader(${JSON.stringify(fixtures)}), region: 'us-east-1', accountId: '123456789012' })
      const out = []
      for (const handler of ['common.handler', 'typed.greet', 'callback.handler']) {
        const config = { handler, timeout: 1, memorySize: 128, environment: {} }
        const outcome = await invoker.invoke({ target: { name: 'f', config }, event: { value: 5, name: 'node' }, signal: new AbortController().signal })
        out.push({ kind: outcome.kind, payload: outcome.payload })
      }
      console.log(JSON.stringify(out))
    `
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 15_000 })
    expect(JSON.parse(stdout)).toMatchObject([
      { kind: 'ok', payload: '{"commonjs":true,"value":5}' },
      { kind: 'ok', payload: '{"statusCode":200,"body":"hello node"}' },
      { kind: 'ok', payload: '{"style":"callback","value":5}' },
    ])
  })

  it('splits the handler at its last dot, so directories may contain dots', async () => {
    expect(parseHandler('v1.2/users.list')).toEqual({ modulePath: 'v1.2/users', exportName: 'list' })
    expect(await invoke(local('v1.2/users.list'))).toMatchObject({ kind: 'ok', payload: '["ada","grace"]' })
  })

  it('answers null for an undefined result, from a promise or an empty callback', async () => {
    expect(await invoke(local('undefined.handler'))).toMatchObject({ kind: 'ok', payload: 'null' })
    expect(await invoke(local('undefined.callbackEmpty'))).toMatchObject({ kind: 'ok', payload: 'null' })
  })

  it('gives the function its own copy of the event', async () => {
    const event = { value: 'original' }
    const outcome = await invoke(local('async.mutate'), event)
    expect(JSON.parse(outcome.payload)).toEqual({ value: 'changed' })
    expect(event.value).toBe('original')
  })

  it('keeps the first completion and ignores later ones', async () => {
    expect(await invoke(local('callback.twice'))).toMatchObject({ kind: 'ok', payload: '"first"' })
  })
})

describe('local invoker: function errors', () => {
  it('reports a thrown error with its name, message and stack lines', async () => {
    const outcome = await invoke(local('throws.handler'))
    expect(outcome).toMatchObject({ kind: 'function-error', errorType: 'ValidationError', errorMessage: 'bad input' })
    const report = errorOf(outcome)
    expect(Object.keys(report)).toEqual(['errorType', 'errorMessage', 'trace'])
    expect(report.trace?.[0]).toBe('ValidationError: bad input')
    expect(report.trace?.some((line) => line.includes('throws.mjs'))).toBe(true)
  })

  it('reports a synchronous throw', async () => {
    const outcome = await invoke(local('callback.syncThrow'))
    expect(outcome).toMatchObject({ kind: 'function-error', errorType: 'RangeError', errorMessage: 'sync failure' })
  })

  it("reports callback('Unauthorized') with the string as errorMessage", async () => {
    const outcome = await invoke(local('unauthorized.handler'))
    expect(outcome).toEqual({
      kind: 'function-error',
      errorType: 'string',
      errorMessage: 'Unauthorized',
      payload: '{"errorType":"string","errorMessage":"Unauthorized","trace":[]}',
    })
  })

  it('reports rejections without an Error the way the runtime does', async () => {
    expect(errorOf(await invoke(local('throws.rejectEmpty')))).toEqual({ errorType: 'string', errorMessage: 'handled', trace: [] })
    expect(errorOf(await invoke(local('throws.rejectObject')))).toEqual({
      errorType: 'object',
      errorMessage: '[object Object]',
      trace: [],
    })
  })

  it('turns a result that cannot be serialised into a function error', async () => {
    for (const handler of ['throws.circular', 'throws.bigint']) {
      const outcome = await invoke(local(handler))
      expect(outcome).toMatchObject({
        kind: 'function-error',
        errorType: 'Error',
        errorMessage: 'Unable to stringify response body',
      })
    }
  })

  it('times out at the function timeout with Sandbox.Timedout', async () => {
    const started = Date.now()
    const outcome = await invoke(local('never.handler', { timeout: 0.2 }))
    const elapsed = Date.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(190)
    expect(elapsed).toBeLessThan(2000)
    expect(outcome.kind).toBe('function-error')
    if (outcome.kind !== 'function-error') return
    expect(outcome.errorType).toBe('Sandbox.Timedout')
    expect(outcome.errorMessage).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z [0-9a-f-]{36} Task timed out after 0\.20 seconds$/,
    )
    expect(JSON.parse(outcome.payload)).toEqual({ errorType: 'Sandbox.Timedout', errorMessage: outcome.errorMessage })
  })

  it('times out a callback handler that never calls back', async () => {
    const outcome = await invoke(local('never.forgetful', { timeout: 0.05 }))
    expect(outcome).toMatchObject({ kind: 'function-error', errorType: 'Sandbox.Timedout' })
    expect(outcome.kind === 'function-error' && outcome.errorMessage).toMatch(/Task timed out after 0\.05 seconds$/)
  })
})

describe('local invoker: context', () => {
  it('gives the handler a Node.js Lambda context', async () => {
    const outcome = await invoke(local('context.handler', { timeout: 2, memorySize: 512 }, 'reporter'))
    const ctx = JSON.parse(outcome.payload)
    expect(ctx.awsRequestId).toMatch(UUID)
    expect(ctx).toMatchObject({
      functionName: 'reporter',
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:reporter`,
      memoryLimitInMB: '512',
      logGroupName: '/aws/lambda/reporter',
      callbackWaitsForEmptyEventLoop: true,
    })
    expect(ctx.logStreamName).toMatch(/^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/)
    // The handler waited 20 ms before asking.
    expect(ctx.remaining).toBeLessThanOrEqual(1985)
    expect(ctx.remaining).toBeGreaterThan(1000)
  })

  it('gives each invocation a fresh request id', async () => {
    const invoker = makeInvoker()
    const signal = new AbortController().signal
    const target = local('context.handler')
    const a = JSON.parse((await invoker.invoke({ target, event: {}, signal })).payload)
    const b = JSON.parse((await invoker.invoke({ target, event: {}, signal })).payload)
    expect(a.awsRequestId).not.toBe(b.awsRequestId)
  })

  it('counts the remaining time down on the given clock and never below zero', () => {
    let clock = Date.UTC(2024, 4, 1, 12)
    const ctx = createLambdaContext({
      functionName: 'f',
      memoryLimitInMB: 128,
      timeoutMs: 3000,
      region: 'us-east-1',
      accountId: ACCOUNT,
      now: () => clock,
      awsRequestId: 'req-1',
    })
    expect(ctx.awsRequestId).toBe('req-1')
    expect(ctx.logStreamName.startsWith('2024/05/01/[$LATEST]')).toBe(true)
    expect(ctx.getRemainingTimeInMillis()).toBe(3000)
    clock += 1250
    expect(ctx.getRemainingTimeInMillis()).toBe(1750)
    clock += 5000
    expect(ctx.getRemainingTimeInMillis()).toBe(0)
    ctx.callbackWaitsForEmptyEventLoop = false
    expect(ctx.callbackWaitsForEmptyEventLoop).toBe(false)
  })
})

describe('runHandler timers', () => {
  const base = { functionName: 'f', memoryLimitInMB: 128, region: 'us-east-1', accountId: ACCOUNT, now: Date.now }

  function trackingTimer() {
    const state = { scheduled: 0, cancelled: 0, fire: () => {} }
    const setTimer = (fire: () => void, ms: number) => {
      state.scheduled++
      state.fire = fire
      expect(ms).toBe(4000)
      return () => {
        state.cancelled++
      }
    }
    return { state, setTimer }
  }

  it('cancels the timeout timer once the handler answers', async () => {
    const { state, setTimer } = trackingTimer()
    const outcome = await runHandler(async () => 'done', {}, { ...base, timeoutMs: 4000, setTimer })
    expect(outcome).toMatchObject({ kind: 'ok', payload: '"done"' })
    expect(state).toMatchObject({ scheduled: 1, cancelled: 1 })
  })

  it('reports the timeout with the timer fired and the request id in the message', async () => {
    const { state, setTimer } = trackingTimer()
    const now = () => Date.UTC(2024, 0, 2, 3, 4, 5, 678)
    const pending = runHandler(() => new Promise(() => {}), {}, { ...base, now, timeoutMs: 4000, setTimer, awsRequestId: 'abc' })
    state.fire()
    const outcome = await pending
    expect(outcome).toMatchObject({
      kind: 'function-error',
      errorType: 'Sandbox.Timedout',
      errorMessage: '2024-01-02T03:04:05.678Z abc Task timed out after 4.00 seconds',
    })
  })

  it('stops waiting when the signal aborts and clears its timer', async () => {
    const { state, setTimer } = trackingTimer()
    const controller = new AbortController()
    const pending = runHandler(() => new Promise(() => {}), {}, { ...base, timeoutMs: 4000, setTimer, signal: controller.signal })
    controller.abort(new Error('client gone'))
    await expect(pending).rejects.toBeInstanceOf(InvokeError)
    expect(state.cancelled).toBe(1)
    // A late timer firing changes nothing once settled.
    state.fire()
  })
})

describe('local invoker: loading', () => {
  it('resolves each handler once', async () => {
    const load = nodeModuleLoader(fixtures)
    const calls: string[] = []
    const invoker = makeInvoker(async (path) => {
      calls.push(path)
      return load(path)
    })
    const signal = new AbortController().signal
    await invoker.invoke({ target: local('async.handler'), event: { value: 1 }, signal })
    await invoker.invoke({ target: local('async.handler'), event: { value: 2 }, signal })
    expect(calls).toEqual(['async'])
  })

  it('names the handler and the files tried when the module is missing', async () => {
    const error = await invoke(local('missing/users.get')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvokeError)
    const message = (error as Error).message
    expect(message).toContain('"missing/users.get"')
    for (const ext of ['.ts', '.mts', '.mjs', '.js', '.cjs']) {
      expect(message).toContain(`missing/users${ext}`)
    }
  })

  it('names the handler when the export is missing or not a function', async () => {
    await expect(invoke(local('async.nope'))).rejects.toThrow(
      /Handler "async.nope": module "async" has no exported function "nope"/,
    )
    await expect(invoke(local('async.notAFunction'))).rejects.toThrow(/it is a number, not a function/)
  })

  it('retries a failed resolution on the next invocation', async () => {
    let attempts = 0
    const invoker = makeInvoker(async () => {
      attempts++
      if (attempts === 1) throw new Error('syntax error')
      return { handler: async () => 'fixed' }
    })
    const signal = new AbortController().signal
    await expect(invoker.invoke({ target: local('x.handler'), event: {}, signal })).rejects.toThrow(/syntax error/)
    expect(await invoker.invoke({ target: local('x.handler'), event: {}, signal })).toMatchObject({ kind: 'ok', payload: '"fixed"' })
  })

  it('refuses a target without a handler', async () => {
    await expect(invoke({ name: 'remote', arn: 'remote' })).rejects.toBeInstanceOf(InvokeError)
  })

  it('stops waiting when the invocation signal aborts', async () => {
    const controller = new AbortController()
    const pending = invoke(local('never.handler', { timeout: 30 }), {}, controller.signal)
    setTimeout(() => controller.abort(new Error('integration timeout')), 20)
    const error = await pending.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvokeError)
    expect((error as InvokeError).cause).toEqual(new Error('integration timeout'))
  })
})

describe('applyFunctionEnvironment', () => {
  const touched = ['PORTICO_TEST_GREETING', 'PORTICO_TEST_SHARED']
  afterEach(() => {
    for (const key of touched) delete process.env[key]
  })

  it('puts local functions\' variables in process.env, where handlers read them', async () => {
    const warnings = applyFunctionEnvironment({
      greeter: { config: fn({ handler: 'context.env', environment: { PORTICO_TEST_GREETING: 'hej' } }) },
    })
    expect(warnings).toEqual([])
    expect(await invoke(local('context.env'))).toMatchObject({ kind: 'ok', payload: '{"greeting":"hej"}' })
  })

  it('warns when two local functions disagree, keeping the first value, and skips remote functions', () => {
    const env: Record<string, string | undefined> = {}
    const warnings = applyFunctionEnvironment(
      {
        a: { config: fn({ handler: 'a.h', environment: { SHARED: 'one', ONLY_A: 'a' } }) },
        b: { config: fn({ handler: 'b.h', environment: { SHARED: 'two' } }) },
        c: { config: fn({ handler: 'c.h', environment: { SHARED: 'one' } }) },
        remote: { config: fn({ arn: 'remote', environment: { REMOTE_ONLY: 'x' } }) },
      },
      env,
    )
    expect(env).toEqual({ SHARED: 'one', ONLY_A: 'a' })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('"a" and "b"')
    expect(warnings[0]).toContain('SHARED')
  })
})

describe('createInvoker', () => {
  function recorder(label: string, seen: string[]): LambdaInvoker {
    return {
      async invoke({ target }) {
        seen.push(`${label}:${target.name}`)
        return { kind: 'ok', payload: 'null' }
      },
    }
  }

  it('sends handlers to the local invoker and ARNs to the AWS invoker', async () => {
    const seen: string[] = []
    const invoker = createInvoker({ local: recorder('local', seen), aws: recorder('aws', seen) })
    const signal = new AbortController().signal
    await invoker.invoke({ target: local('async.handler', {}, 'one'), event: {}, signal })
    await invoker.invoke({ target: { name: 'two', arn: 'arn:aws:lambda:us-east-1:111122223333:function:two' }, event: {}, signal })
    await invoker.invoke({ target: { name: 'three', config: fn({ arn: 'three' }) }, event: {}, signal })
    expect(seen).toEqual(['local:one', 'aws:two', 'aws:three'])
    await expect(invoker.invoke({ target: { name: 'none' }, event: {}, signal })).rejects.toBeInstanceOf(InvokeError)
  })
})
