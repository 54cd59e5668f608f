/** Shared by the Python handler tests: fixtures, interpreters, invokers that are always closed. */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach } from 'vitest'
import { memoryLogger } from '../../../../src/core/deps.ts'
import { createPythonInvoker, isPythonTarget, type PythonInvoker, type PythonInvokerOptions } from '../../../../src/integrations/lambda/invoke-python.ts'
import { InvokeError, type FunctionTarget, type LambdaInvoker } from '../../../../src/integrations/lambda/types.ts'
import type { FunctionConfig } from '../../../../src/model/schema.ts'

export const PY_FIXTURES = fileURLToPath(new URL('../../../fixtures/python/', import.meta.url))
export const REGION = 'eu-west-1'
export const ACCOUNT = '123456789012'

/** The interpreter the suite runs handlers with (PORTICO_PYTHON as in the runtimes). */
export const PYTHON = process.env.PORTICO_PYTHON || 'python3'

/** Why `interpreter` cannot run the worker, or undefined when it can. */
export function pythonProblem(interpreter: string, check = 'import sys; assert sys.version_info >= (3, 8)'): string | undefined {
  const run = spawnSync(interpreter, ['-c', check], { encoding: 'utf8', timeout: 10_000 })
  if (run.error) return `${interpreter} cannot be started: ${run.error.message}`
  if (run.status !== 0) return `${interpreter} -c "${check}" failed: ${run.stderr.trim().split('\n').pop()}`
  return undefined
}

export function fn(config: Partial<FunctionConfig>): FunctionConfig {
  return { timeout: 6, memorySize: 1024, environment: {}, ...config } as FunctionConfig
}

export function target(handler: string, extra: Partial<FunctionConfig> = {}, name = handler.replace(/\W/g, '-')): FunctionTarget {
  return { name, config: fn({ handler, ...extra }) }
}

const open: PythonInvoker[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((invoker) => invoker.close()))
})

/** A Python invoker over the fixtures, closed after the test; its memory logger alongside. */
export function pythonInvoker(opts: Partial<PythonInvokerOptions> = {}) {
  const logger = memoryLogger()
  const invoker = createPythonInvoker({
    baseDir: PY_FIXTURES,
    interpreter: PYTHON,
    region: REGION,
    accountId: ACCOUNT,
    logger,
    ...opts,
  })
  open.push(invoker)
  return { invoker, logger: (opts.logger as typeof logger | undefined) ?? logger }
}

/** What the runtimes will do: Python targets to the Python invoker, nothing else expected here. */
export function pythonRouter(python: LambdaInvoker, baseDir = PY_FIXTURES): LambdaInvoker {
  return {
    invoke(invocation) {
      if (isPythonTarget(invocation.target, baseDir)) return python.invoke(invocation)
      return Promise.reject(new InvokeError(`${invocation.target.name} is not a Python function`))
    },
  }
}

/** Whether the process exists (signal 0 only checks). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export const never = () => new AbortController().signal
