/**
 * The Python invoker on its own: real worker processes running test/fixtures/python, the
 * context and error documents of Lambda's Python runtime, logs, environment, timeouts,
 * crashes, concurrency and shutdown.
 */
import { describe, expect, it, vi } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isPythonTarget, pythonInterpreter } from '../../../../src/integrations/lambda/invoke-python.ts'
import { InvokeError, type InvokeOutcome } from '../../../../src/integrations/lambda/types.ts'
import { ACCOUNT, PY_FIXTURES, PYTHON, REGION, fn, never, processExists, pythonInvoker, pythonProblem, target } from './helpers.ts'

const problem = pythonProblem(PYTHON)
/** Python processes start slowly on a loaded machine: waits allow for it. */
const SLOW = { timeout: 5000, interval: 20 }

function ok(outcome: InvokeOutcome): any {
  expect(outcome.kind).toBe('ok')
  return JSON.parse(outcome.payload)
}

function failure(outcome: InvokeOutcome): any {
  if (outcome.kind !== 'function-error') throw new Error(`expected a function error, got ${outcome.payload}`)
  const document = JSON.parse(outcome.payload)
  expect(outcome.errorType).toBe(document.errorType)
  expect(outcome.errorMessage).toBe(document.errorMessage)
  return document
}

describe('isPythonTarget', () => {
  it('follows an explicit runtime', () => {
    expect(isPythonTarget(target('anything.handler', { runtime: 'python3.12' }), PY_FIXTURES)).toBe(true)
    expect(isPythonTarget(target('users.lambda_handler', { runtime: 'nodejs22.x' }), PY_FIXTURES)).toBe(false)
  })

  it('without a runtime, picks Python when the handler module is a .py file or package', () => {
    expect(isPythonTarget(target('users.lambda_handler'), PY_FIXTURES)).toBe(true)
    expect(isPythonTarget(target('src/orders.create'), PY_FIXTURES)).toBe(true)
    expect(isPythonTarget(target('missing.handler'), PY_FIXTURES)).toBe(false)
    // A bare ARN, or a remote function, is never local Python.
    expect(isPythonTarget({ name: 'f', arn: 'arn:aws:lambda:eu-west-1:1:function:f' }, PY_FIXTURES)).toBe(false)
    expect(isPythonTarget({ name: 'f', config: fn({ arn: 'f' }) }, PY_FIXTURES)).toBe(false)
  })

  it('prefers a Node module of the same name (the default runtime), and finds packages', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-py-'))
    try {
      writeFileSync(join(dir, 'both.py'), '')
      writeFileSync(join(dir, 'both.mjs'), '')
      writeFileSync(join(dir, 'only.py'), '')
      mkdirSync(join(dir, 'pkg'))
      writeFileSync(join(dir, 'pkg', '__init__.py'), '')
      expect(isPythonTarget(target('both.handler'), dir)).toBe(false)
      expect(isPythonTarget(target('only.handler'), dir)).toBe(true)
      expect(isPythonTarget(target('pkg.handler'), dir)).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('pythonInterpreter', () => {
  it('PORTICO_PYTHON, then settings.python.interpreter, then python3', () => {
    expect(pythonInterpreter({ python: { interpreter: '/opt/py/bin/python3' } }, { PORTICO_PYTHON: '/usr/bin/python3' })).toBe('/usr/bin/python3')
    expect(pythonInterpreter({ python: { interpreter: '/opt/py/bin/python3' } }, {})).toBe('/opt/py/bin/python3')
    expect(pythonInterpreter(undefined, {})).toBe('python3')
  })
})

describe.skipIf(problem !== undefined)(`Python invoker (${problem ?? PYTHON})`, () => {
  it('calls the handler with the event and a Lambda context', async () => {
    const { invoker } = pythonInvoker({ now: () => Date.UTC(2026, 0, 15, 12) })
    const event = { httpMethod: 'GET', nested: { list: [1, 2.5, 'x', null, true] }, text: 'ü ✓' }
    const outcome = await invoker.invoke({ target: target('behaviours.describes', { memorySize: 512, timeout: 3 }, 'describer'), event, signal: never() })
    const seen = ok(outcome)
    expect(seen.event).toEqual(event)
    expect(seen.aws_request_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(seen).toMatchObject({
      function_name: 'describer',
      function_version: '$LATEST',
      invoked_function_arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:describer`,
      memory_limit_in_mb: '512',
      log_group_name: '/aws/lambda/describer',
      identity: null,
      client_context: null,
      // Lambda's working directory is the task root; stdin gives nothing.
      cwd: PY_FIXTURES.replace(/\/$/, ''),
      stdin: '',
    })
    expect(seen.log_stream_name).toMatch(/^2026\/01\/15\/\[\$LATEST\][0-9a-f]{32}$/)
    expect(seen.remaining).toBeGreaterThan(2000)
    expect(seen.remaining).toBeLessThanOrEqual(3000)
  })

  it('serialises the return value as the runtime does: json.dumps, Decimals as numbers, None as null', async () => {
    const { invoker } = pythonInvoker()
    const before312 = await invoker.invoke({ target: target('behaviours.unicode', { runtime: 'python3.11' }, 'u311'), event: {}, signal: never() })
    // Up to python3.11 the runtime escapes non-ASCII characters; from python3.12 on it does not.
    expect(before312).toEqual({ kind: 'ok', payload: '{"greeting": "gr\\u00fc\\u00dfe \\u2713", "amount": 12.5, "count": 3}' })
    const from312 = await invoker.invoke({ target: target('behaviours.unicode', { runtime: 'python3.12' }, 'u312'), event: {}, signal: never() })
    expect(from312).toEqual({ kind: 'ok', payload: '{"greeting": "grüße ✓", "amount": 12.5, "count": 3}' })
    expect(await invoker.invoke({ target: target('behaviours.returns_none'), event: {}, signal: never() })).toEqual({ kind: 'ok', payload: 'null' })
    expect(await invoker.invoke({ target: target('behaviours.returns_bytes'), event: {}, signal: never() })).toEqual({ kind: 'ok', payload: '{"raw": true}' })
  })

  it('a raised exception is a function error in the Python runtime\'s shape, logged as [ERROR]', async () => {
    const { invoker, logger } = pythonInvoker()
    const document = failure(await invoker.invoke({ target: target('behaviours.fails', {}, 'failing'), event: {}, signal: never() }))
    expect(Object.keys(document)).toEqual(['errorMessage', 'errorType', 'requestId', 'stackTrace'])
    expect(document.errorMessage).toBe('user 42 not found')
    expect(document.errorType).toBe('ValueError')
    expect(document.requestId).toMatch(/^[0-9a-f-]{36}$/)
    // The user's frames only: nothing of the worker.
    expect(document.stackTrace).toHaveLength(1)
    expect(document.stackTrace[0]).toContain('behaviours.py", line')
    expect(document.stackTrace[0]).toContain("raise ValueError('user 42 not found')")
    expect(logger.lines).toContainEqual({ level: 'info', message: '[ERROR] ValueError: user 42 not found', fields: { function: 'failing', requestId: document.requestId } })
  })

  it('a return value json.dumps cannot write is Runtime.MarshalError', async () => {
    const { invoker } = pythonInvoker()
    const document = failure(await invoker.invoke({ target: target('behaviours.unserialisable'), event: {}, signal: never() }))
    expect(document).toMatchObject({ errorType: 'Runtime.MarshalError', errorMessage: 'Unable to marshal response: Object of type set is not JSON serializable', stackTrace: [] })
  })

  it('init failures: import errors, missing handlers, module code that raises; each retried on the next call', async () => {
    const { invoker } = pythonInvoker()
    const imported = failure(await invoker.invoke({ target: target('import_error.handler'), event: {}, signal: never() }))
    expect(imported).toEqual({
      errorMessage: "Unable to import module 'import_error': No module named 'a_module_that_does_not_exist'",
      errorType: 'Runtime.ImportModuleError',
      requestId: '',
      stackTrace: [],
    })
    const missing = failure(await invoker.invoke({ target: target('users.nope'), event: {}, signal: never() }))
    expect(missing).toMatchObject({ errorType: 'Runtime.HandlerNotFound', errorMessage: "Handler 'nope' missing on module 'users'" })
    const raising = target('init_raises.handler')
    expect(failure(await invoker.invoke({ target: raising, event: {}, signal: never() }))).toMatchObject({ errorType: 'KeyError', errorMessage: "'A_VARIABLE_NOBODY_SET'" })
    // Each call tries the init again: the same failure, then, once the variable is defined, success.
    expect(failure(await invoker.invoke({ target: raising, event: {}, signal: never() })).errorType).toBe('KeyError')
    const fixed = target('init_raises.handler', { environment: { A_VARIABLE_NOBODY_SET: 'set now' } })
    expect(await invoker.invoke({ target: fixed, event: {}, signal: never() })).toEqual({ kind: 'ok', payload: '"set now"' })
  })

  it('print(), sys.stderr, logging and fd-level output reach the log with the function name, not the answer', async () => {
    const { invoker, logger } = pythonInvoker()
    const outcome = await invoker.invoke({ target: target('behaviours.prints', {}, 'printer'), event: {}, signal: never() })
    expect(outcome).toEqual({ kind: 'ok', payload: '{"statusCode": 200, "body": "printed"}' })
    const messages = () => logger.lines.filter((l) => l.fields?.function === 'printer').map((l) => l.message)
    // Output through sys.stdout/sys.stderr is logged before the answer arrives.
    expect(messages()).toEqual(expect.arrayContaining(['hello from printer', 'to stderr', 'no newline']))
    expect(messages().find((m) => m.endsWith('via logging'))).toMatch(/^\[INFO\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t[0-9a-f-]{36}\tvia logging$/)
    await vi.waitFor(() => expect(messages()).toContain('straight to fd 1'), SLOW)
    expect(logger.lines.filter((l) => l.fields?.function === 'printer').every((l) => l.level === 'info')).toBe(true)
  })

  it('each function has its own environment; Lambda\'s variables are set', async () => {
    const { invoker } = pythonInvoker({ env: { PATH: process.env.PATH, FROM_HOST: 'host', GREETING: 'host greeting' } })
    const names = ['GREETING', 'ONLY_A', 'FROM_HOST', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_REGION', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', '_HANDLER', 'LAMBDA_TASK_ROOT', 'AWS_EXECUTION_ENV']
    const a = ok(await invoker.invoke({ target: target('behaviours.environment', { environment: { GREETING: 'hello A', ONLY_A: 'a' } }, 'fnA'), event: { names }, signal: never() }))
    const b = ok(await invoker.invoke({ target: target('behaviours.environment', { environment: { GREETING: 'hello B' }, runtime: 'python3.12', memorySize: 256 }, 'fnB'), event: { names }, signal: never() }))
    expect(a).toEqual({
      GREETING: 'hello A',
      ONLY_A: 'a',
      FROM_HOST: 'host',
      AWS_LAMBDA_FUNCTION_NAME: 'fnA',
      AWS_REGION: REGION,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
      _HANDLER: 'behaviours.environment',
      LAMBDA_TASK_ROOT: PY_FIXTURES.replace(/\/$/, ''),
      AWS_EXECUTION_ENV: expect.stringMatching(/^AWS_Lambda_python3\.\d+$/),
    })
    expect(b).toMatchObject({ GREETING: 'hello B', ONLY_A: null, FROM_HOST: 'host', AWS_LAMBDA_FUNCTION_NAME: 'fnB', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256', AWS_EXECUTION_ENV: 'AWS_Lambda_python3.12' })
  })

  it('enforces the function timeout: kills the worker, answers Task timed out, and starts afresh', async () => {
    const { invoker, logger } = pythonInvoker({ now: () => Date.UTC(2026, 0, 15, 12) })
    const slow = target('behaviours.sleeps', { timeout: 0.5 }, 'slow')
    const first = ok(await invoker.invoke({ target: slow, event: { seconds: 0 }, signal: never() }))
    const started = Date.now()
    const document = failure(await invoker.invoke({ target: slow, event: { seconds: 30 }, signal: never() }))
    expect(Date.now() - started).toBeLessThan(5000)
    expect(document).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: expect.stringMatching(/^2026-01-15T12:00:00\.000Z [0-9a-f-]{36} Task timed out after 0\.50 seconds$/),
    })
    await vi.waitFor(() => expect(processExists(first.pid)).toBe(false), SLOW)
    const after = ok(await invoker.invoke({ target: slow, event: { seconds: 0 }, signal: never() }))
    expect(after.pid).not.toBe(first.pid)
    expect(logger.lines.some((l) => l.level === 'warn' && l.message.includes('timed out'))).toBe(true)
  })

  it('a crash fails the invocation in flight as Runtime.ExitError; the next call gets a new worker', async () => {
    const { invoker, logger } = pythonInvoker({ maxWorkersPerFunction: 1 })
    const counter = target('behaviours.counts', {}, 'counter')
    const first = ok(await invoker.invoke({ target: counter, event: {}, signal: never() }))
    const warm = ok(await invoker.invoke({ target: counter, event: {}, signal: never() }))
    expect(warm).toEqual({ invocations: 2, pid: first.pid })

    const document = failure(await invoker.invoke({ target: counter, event: { crash: true }, signal: never() }))
    expect(document).toEqual({
      errorType: 'Runtime.ExitError',
      errorMessage: expect.stringMatching(/^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: exit status 3$/),
    })
    // What it printed before dying is logged.
    expect(logger.lines).toContainEqual(expect.objectContaining({ message: 'about to crash', fields: expect.objectContaining({ function: 'counter' }) }))
    expect(processExists(first.pid)).toBe(false)

    // A new sandbox: module state starts over.
    const after = ok(await invoker.invoke({ target: counter, event: {}, signal: never() }))
    expect(after.invocations).toBe(1)
    expect(after.pid).not.toBe(first.pid)

    // sys.exit() in a handler ends the runtime too (SystemExit is not an Exception).
    const exiting = target('behaviours.exits', {}, 'exiter')
    expect(failure(await invoker.invoke({ target: exiting, event: {}, signal: never() })).errorMessage).toMatch(/Error: Runtime exited without providing a reason$/)
  })

  it('a function redefined under the same name (a reloaded config) gets new workers', async () => {
    const { invoker } = pythonInvoker()
    const v1 = target('behaviours.counts', { environment: { V: '1' } }, 'reloaded')
    const before = ok(await invoker.invoke({ target: v1, event: {}, signal: never() }))
    const v2 = target('behaviours.counts', { environment: { V: '2' } }, 'reloaded')
    const after = ok(await invoker.invoke({ target: v2, event: {}, signal: never() }))
    expect(after.pid).not.toBe(before.pid)
    // The old worker leaves once idle.
    await vi.waitFor(() => expect(processExists(before.pid)).toBe(false), SLOW)
  })

  it('restarts a crashed function\'s worker on its next call', async () => {
    const { invoker } = pythonInvoker({ maxWorkersPerFunction: 1 })
    const counter = target('behaviours.counts', {}, 'same')
    const before = ok(await invoker.invoke({ target: counter, event: {}, signal: never() }))
    // Kill the worker from outside, as the OOM killer would.
    process.kill(before.pid, 'SIGKILL')
    await vi.waitFor(() => expect(processExists(before.pid)).toBe(false), SLOW)
    const after = ok(await invoker.invoke({ target: counter, event: {}, signal: never() }))
    expect(after.invocations).toBe(1)
    expect(after.pid).not.toBe(before.pid)
  })

  it('one invocation per worker: concurrent calls get separate workers up to the limit, then queue', async () => {
    const { invoker } = pythonInvoker({ maxWorkersPerFunction: 2 })
    const sleeper = target('behaviours.sleeps', { timeout: 10 }, 'sleeper')
    const started = Date.now()
    const results = await Promise.all([0, 1, 2].map(() => invoker.invoke({ target: sleeper, event: { seconds: 0.4 }, signal: never() })))
    const elapsed = Date.now() - started
    const pids = results.map((r) => ok(r).pid)
    expect(new Set(pids).size).toBe(2)
    // The third waited for one of the two.
    expect(elapsed).toBeGreaterThanOrEqual(800)
  })

  it('an aborted wait rejects without stopping the handler, which keeps its worker to its end', async () => {
    const { invoker, logger } = pythonInvoker({ maxWorkersPerFunction: 1 })
    const sleeper = target('behaviours.sleeps', { timeout: 10 }, 'sleeper')
    const running = new AbortController()
    const first = invoker.invoke({ target: sleeper, event: { seconds: 0.6 }, signal: running.signal })
    first.catch(() => {})
    await vi.waitFor(() => expect(logger.lines.some((l) => l.message.startsWith('sleeping in'))).toBe(true), SLOW)
    const pid = Number(logger.lines.find((l) => l.message.startsWith('sleeping in'))!.message.split(' ')[2])
    const abortedAt = Date.now()
    running.abort()
    await expect(first).rejects.toThrow(/Stopped waiting for sleeper: the invocation was aborted/)
    // The next call waits for the same process to finish its nap.
    const next = ok(await invoker.invoke({ target: sleeper, event: { seconds: 0 }, signal: never() }))
    expect(next.pid).toBe(pid)
    expect(Date.now() - abortedAt).toBeGreaterThanOrEqual(300)
  })

  it('an invocation aborted while it waits for a worker leaves the queue and is never run', async () => {
    const { invoker, logger } = pythonInvoker({ maxWorkersPerFunction: 1 })
    const sleeper = target('behaviours.sleeps', { timeout: 10 }, 'sleeper')
    const first = invoker.invoke({ target: sleeper, event: { seconds: 0.3 }, signal: never() })
    const queued = new AbortController()
    const second = invoker.invoke({ target: sleeper, event: { seconds: 0 }, signal: queued.signal })
    second.catch(() => {})
    const third = invoker.invoke({ target: sleeper, event: { seconds: 0.1 }, signal: never() })
    queued.abort()
    await expect(second).rejects.toThrow(/aborted/)
    expect(ok(await first).slept).toBe(0.3)
    expect(ok(await third).slept).toBe(0.1)
    expect(logger.lines.filter((l) => l.message.startsWith('sleeping in'))).toHaveLength(2)
    // Aborted before it was sent: the worker is handed back, not held.
    const already = new AbortController()
    already.abort()
    await expect(invoker.invoke({ target: sleeper, event: { seconds: 0 }, signal: already.signal })).rejects.toThrow(/aborted/)
    expect(ok(await invoker.invoke({ target: sleeper, event: { seconds: 0 }, signal: never() })).slept).toBe(0)
  })

  it('an interpreter that does not exist is an invocation failure naming the setting', async () => {
    const { invoker, logger } = pythonInvoker({ interpreter: '/nonexistent/python3' })
    const attempt = invoker.invoke({ target: target('users.lambda_handler'), event: {}, signal: never() })
    await expect(attempt).rejects.toBeInstanceOf(InvokeError)
    await expect(attempt).rejects.toThrow(/cannot start the Python interpreter "\/nonexistent\/python3" \(settings\.python\.interpreter, PORTICO_PYTHON\)/)
    expect(logger.lines.some((l) => l.level === 'error')).toBe(true)
  })

  it('an event that is not JSON is an invocation failure', async () => {
    const { invoker } = pythonInvoker()
    await expect(invoker.invoke({ target: target('users.lambda_handler'), event: { n: 1n }, signal: never() })).rejects.toBeInstanceOf(InvokeError)
  })

  it('close() ends every worker, idle or busy, and fails what was in flight or queued', async () => {
    const { invoker, logger } = pythonInvoker({ maxWorkersPerFunction: 1 })
    const idle = ok(await invoker.invoke({ target: target('behaviours.counts', {}, 'idle'), event: {}, signal: never() }))
    const announcer = target('behaviours.announces', { timeout: 60 }, 'busy')
    const inFlight = invoker.invoke({ target: announcer, event: {}, signal: never() })
    const queued = invoker.invoke({ target: announcer, event: {}, signal: never() })
    inFlight.catch(() => {})
    queued.catch(() => {})
    let busyPid = 0
    await vi.waitFor(() => {
      const line = logger.lines.find((l) => l.message.startsWith('pid '))
      expect(line).toBeDefined()
      busyPid = Number(line!.message.slice(4))
    }, SLOW)
    expect(processExists(idle.pid)).toBe(true)
    expect(processExists(busyPid)).toBe(true)

    await invoker.close()
    expect(processExists(idle.pid)).toBe(false)
    expect(processExists(busyPid)).toBe(false)
    await expect(inFlight).rejects.toThrow(/shutting down/)
    await expect(queued).rejects.toThrow(/shutting down/)
    await expect(invoker.invoke({ target: target('behaviours.counts', {}, 'idle'), event: {}, signal: never() })).rejects.toThrow(/closed/)
  })
})

describe.skipIf(problem !== undefined || process.platform === 'win32')('Python workers outliving their gateway', () => {
  it('a worker stuck in a handler exits when the gateway process is killed', async () => {
    const host = spawn(process.execPath, [fileURLToPath(new URL('../../../fixtures/python/orphan-host.ts', import.meta.url))], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, PORTICO_PYTHON: PYTHON },
    })
    try {
      const pid = await new Promise<number>((resolvePid, reject) => {
        let out = ''
        host.stdout!.on('data', (chunk) => {
          out += chunk
          const match = /PID (\d+)/.exec(out)
          if (match) resolvePid(Number(match[1]))
        })
        host.on('exit', () => reject(new Error(`host exited early: ${out}`)))
      })
      expect(processExists(pid)).toBe(true)
      host.kill('SIGKILL')
      await vi.waitFor(() => expect(processExists(pid)).toBe(false), { timeout: 5000, interval: 100 })
    } finally {
      host.kill('SIGKILL')
    }
  })
})
