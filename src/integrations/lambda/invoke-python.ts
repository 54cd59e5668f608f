/**
 * Python handlers under Node.js and Bun: each function runs in long-lived Python 3 worker
 * processes (python/worker.py), one invocation per process at a time, as in a Lambda sandbox.
 * Not portable: node:child_process and node:fs (workerd cannot start processes).
 *
 * Concurrency: a function gets up to `maxWorkersPerFunction` (default 4) processes, started
 * on demand; past that, invocations wait in order for the first free one. Each process keeps
 * its module state between invocations, like a warm sandbox, and processes share nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Logger } from '../../core/deps.ts'
import { newUuid } from '../../core/ids.ts'
import type { FunctionConfig } from '../../model/schema.ts'
import { InvokeError, type FunctionTarget, type Invocation, type InvokeOutcome, type LambdaInvoker } from './types.ts'

export interface PythonInvokerOptions {
  /** Task root: handler module paths and the workers' working directory resolve against it. */
  baseDir: string
  /** Python 3.8+ executable, a path or a name on PATH (see pythonInterpreter). */
  interpreter: string
  region: string
  accountId: string
  /** Receives what handlers print (info, with the function name) and worker failures. */
  logger: Logger
  now?: () => number
  /** The environment workers start from (default process.env); each function's own is laid over it. */
  env?: Record<string, string | undefined>
  /** Processes per function at most (default 4); further invocations queue. */
  maxWorkersPerFunction?: number
}

/** The Python invoker; close() stops every worker process and resolves once all have exited. */
export type PythonInvoker = LambdaInvoker & { close(): Promise<void> }

const WORKER_SCRIPT = fileURLToPath(new URL('./python/worker.py', import.meta.url))
/** The schema's defaults, for a config built by hand rather than parsed. */
const DEFAULT_TIMEOUT_S = 6
const DEFAULT_MEMORY_MB = 1024
const DEFAULT_MAX_WORKERS = 4
/** Lambda's limit on the init phase (importing the handler module). */
const INIT_LIMIT_MS = 10_000
/** How long close() lets an idle worker leave on its own before killing it. */
const STOP_GRACE_MS = 1_000
/** The extensions the Node module loader tries: a Node module by the same name wins. */
const NODE_EXTENSIONS = ['.ts', '.mts', '.mjs', '.js', '.cjs']

/**
 * The interpreter a gateway uses: PORTICO_PYTHON, else settings.python.interpreter, else
 * `python3` on PATH.
 */
export function pythonInterpreter(
  settings: { python?: { interpreter?: string } } | undefined,
  env: Record<string, string | undefined> = process.env,
): string {
  return env.PORTICO_PYTHON || settings?.python?.interpreter || 'python3'
}

const pythonTargets = new WeakMap<FunctionConfig, Map<string, boolean>>()

/**
 * Whether a target runs in Python: its runtime is python3*, or, without a runtime, its handler
 * module is a .py file (or a package) under `baseDir` and no Node module has that name.
 * Answers are remembered per config object, so a router may call this on every invocation.
 */
export function isPythonTarget(target: FunctionTarget, baseDir: string): boolean {
  const config = target.config
  const handler = config?.handler
  if (!config || handler === undefined) return false
  if (config.runtime !== undefined) return config.runtime.startsWith('python')
  let byDir = pythonTargets.get(config)
  if (!byDir) pythonTargets.set(config, (byDir = new Map()))
  let answer = byDir.get(baseDir)
  if (answer === undefined) {
    answer = hasPythonModule(handler, baseDir)
    byDir.set(baseDir, answer)
  }
  return answer
}

function hasPythonModule(handler: string, baseDir: string): boolean {
  const dot = handler.lastIndexOf('.')
  if (dot <= 0) return false
  const base = resolve(baseDir, handler.slice(0, dot))
  if (NODE_EXTENSIONS.some((ext) => isFile(base + ext)) || isFile(base)) return false
  return isFile(base + '.py') || isFile(resolve(base, '__init__.py'))
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** One invocation handed to a worker; settled exactly once. */
interface Job {
  requestId: string
  /** The request line, JSON, newline-terminated. */
  line: string
  timeoutMs: number
  settle(result: { outcome: InvokeOutcome } | { error: InvokeError }): void
}

/** What a worker needs to know about its function (fixed for the process's life). */
interface FunctionSpec {
  name: string
  config: FunctionConfig
  timeoutMs: number
}

/** The processes of one function, and invocations waiting for one of them. */
interface Pool {
  spec: FunctionSpec
  /** Identifies the config the workers were started with (handler, runtime, memory, environment). */
  signature: string
  workers: Set<PythonWorker>
  waiting: Waiter[]
  /** Replaced by a redefinition of the function: its processes exit once they are idle. */
  retired: boolean
}

/** An invocation waiting for a process of its function. */
interface Waiter {
  take(worker: PythonWorker): void
  fail(error: InvokeError): void
}

/**
 * Creates the Python invoker. Workers start on first use: a crash fails the invocation in
 * flight ("Runtime exited ...") and the next one starts a new process; a run past the
 * function's timeout kills its process and answers "Task timed out after N.NN seconds".
 */
export function createPythonInvoker(opts: PythonInvokerOptions): PythonInvoker {
  const now = opts.now ?? Date.now
  const maxWorkers = Math.max(1, opts.maxWorkersPerFunction ?? DEFAULT_MAX_WORKERS)
  const pools = new Map<string, Pool>()
  /** Every process not yet exited, including ones killed and awaiting their exit. */
  const alive = new Set<PythonWorker>()
  let closed = false

  const poolFor = (target: FunctionTarget, config: FunctionConfig): Pool => {
    const signature = signatureOf(config)
    let pool = pools.get(target.name)
    if (pool && pool.signature !== signature) {
      // The function was redefined (a reloaded config): its old processes finish and leave.
      pool.retired = true
      for (const worker of pool.workers) worker.retire()
      pool = undefined
    }
    if (!pool) {
      const spec = { name: target.name, config, timeoutMs: (config.timeout ?? DEFAULT_TIMEOUT_S) * 1000 }
      pool = { spec, signature, workers: new Set(), waiting: [], retired: false }
      pools.set(target.name, pool)
    }
    return pool
  }

  const startWorker = (pool: Pool): PythonWorker => {
    const worker = new PythonWorker(pool.spec, opts, now, {
      idle: (w) => {
        const next = pool.waiting.shift()
        if (next) next.take(w)
        else w.markIdle()
      },
      gone: (w) => {
        pool.workers.delete(w)
        if (!pool.waiting.length) return
        // A waiting invocation takes the place of the process that left (or, on close, fails:
        // a redefined function's old pool is no longer listed, but may still have waiters).
        if (!closed) pool.waiting.shift()!.take(startWorker(pool))
        else if (!pool.workers.size) failWaiting(pool)
      },
      exited: (w) => alive.delete(w),
    })
    if (pool.retired) worker.retire()
    pool.workers.add(worker)
    alive.add(worker)
    return worker
  }

  /** A free process of the pool: an idle one, a new one, or the first to come free. */
  const acquire = (pool: Pool, signal: AbortSignal): Promise<PythonWorker> => {
    for (const worker of pool.workers) {
      if (worker.isIdle()) {
        worker.markBusy()
        return Promise.resolve(worker)
      }
    }
    if (pool.workers.size < maxWorkers) return Promise.resolve(startWorker(pool))
    return new Promise<PythonWorker>((resolveWorker, reject) => {
      const waiter: Waiter = {
        take: (worker) => {
          signal.removeEventListener('abort', onAbort)
          worker.markBusy()
          resolveWorker(worker)
        },
        fail: (error) => {
          signal.removeEventListener('abort', onAbort)
          reject(error)
        },
      }
      const onAbort = () => {
        const at = pool.waiting.indexOf(waiter)
        if (at >= 0) pool.waiting.splice(at, 1)
        reject(abandoned(pool.spec.name, signal))
      }
      signal.addEventListener('abort', onAbort, { once: true })
      pool.waiting.push(waiter)
    })
  }

  return {
    async invoke(invocation: Invocation): Promise<InvokeOutcome> {
      const { target, signal } = invocation
      const config = target.config
      if (!config?.handler) throw new InvokeError(`Function ${target.name} has no local handler`)
      if (closed) throw new InvokeError(`Function ${target.name}: the Python invoker is closed`)
      if (signal.aborted) throw abandoned(target.name, signal)
      let eventJson: string
      try {
        eventJson = JSON.stringify(invocation.event === undefined ? null : invocation.event)
      } catch (cause) {
        throw new InvokeError(`The event for ${target.name} cannot be serialised as JSON`, { cause })
      }
      const pool = poolFor(target, config)
      const worker = await acquire(pool, signal)
      if (signal.aborted) {
        // Nobody waits for this answer any more, and nothing has been sent yet.
        worker.release()
        throw abandoned(target.name, signal)
      }
      const requestId = newUuid()
      const arn = `arn:aws:lambda:${opts.region}:${opts.accountId}:function:${target.name}`
      const line = `{"requestId":"${requestId}","arn":${JSON.stringify(arn)},"timeoutMs":${pool.spec.timeoutMs},"event":${eventJson}}\n`
      return new Promise<InvokeOutcome>((resolveOutcome, reject) => {
        // Aborting stops the wait only: the handler runs on (to its end or its timeout), as the
        // function keeps running in Lambda when API Gateway stops waiting for it.
        const onAbort = () => reject(abandoned(target.name, signal))
        signal.addEventListener('abort', onAbort, { once: true })
        worker.run({
          requestId,
          line,
          timeoutMs: pool.spec.timeoutMs,
          settle: (result) => {
            signal.removeEventListener('abort', onAbort)
            if ('outcome' in result) resolveOutcome(result.outcome)
            else reject(result.error)
          },
        })
      })
    },

    async close(): Promise<void> {
      closed = true
      for (const pool of pools.values()) failWaiting(pool)
      pools.clear()
      await Promise.all([...alive].map((worker) => worker.stop()))
    },
  }
}

function failWaiting(pool: Pool): void {
  for (const waiter of pool.waiting.splice(0)) {
    waiter.fail(new InvokeError(`Function ${pool.spec.name}: stopped, the gateway is shutting down`))
  }
}

const signatures = new WeakMap<FunctionConfig, string>()

/** What a worker was started with; a change means the function was redefined. */
function signatureOf(config: FunctionConfig): string {
  let signature = signatures.get(config)
  if (signature === undefined) {
    const { handler, runtime, memorySize, timeout, environment } = config
    signature = JSON.stringify([handler, runtime, memorySize, timeout, environment])
    signatures.set(config, signature)
  }
  return signature
}

function abandoned(functionName: string, signal: AbortSignal): InvokeError {
  return new InvokeError(`Stopped waiting for ${functionName}: the invocation was aborted`, { cause: signal.reason })
}

interface WorkerEvents {
  /** The process finished an invocation and can take another. */
  idle(worker: PythonWorker): void
  /** The process can take no more invocations (crashed, timed out, stopping). */
  gone(worker: PythonWorker): void
  /** The process has exited. */
  exited(worker: PythonWorker): void
}

/**
 * One Python process. States: starting (importing the handler) → ready ⇄ busy → gone. An
 * invocation given while starting is sent once the module is imported.
 */
class PythonWorker {
  private readonly spec: FunctionSpec
  private readonly opts: PythonInvokerOptions
  private readonly now: () => number
  private readonly events: WorkerEvents
  private readonly child: ChildProcess
  private ready = false
  private busy = true
  private gone = false
  private retired = false
  private stopping = false
  private job: Job | undefined
  private jobTimer: ReturnType<typeof setTimeout> | undefined
  private initTimer: ReturnType<typeof setTimeout> | undefined
  private protocolBuffer = ''
  private logBuffer = ''
  private stderrBuffer = ''
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined
  private spawnError: Error | undefined
  private readonly exited: Promise<void>

  constructor(spec: FunctionSpec, opts: PythonInvokerOptions, now: () => number, events: WorkerEvents) {
    this.spec = spec
    this.opts = opts
    this.now = now
    this.events = events
    let markExited = () => {}
    this.exited = new Promise<void>((r) => (markExited = r))
    const child = spawn(opts.interpreter, ['-B', WORKER_SCRIPT], {
      cwd: opts.baseDir,
      env: workerEnvironment(spec, opts, now()),
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    })
    this.child = child
    let stdoutClosed = false
    let processExited = false
    let finished = false
    const finish = () => {
      if (finished || !stdoutClosed || !processExited) return
      finished = true
      this.onExit()
      this.events.exited(this)
      markExited()
    }
    child.stdout!.setEncoding('utf8')
    child.stdout!.on('data', (chunk: string) => this.onProtocolData(chunk))
    // The protocol copy of stdout is the worker's alone, so its end means the process ended.
    child.stdout!.on('close', () => {
      stdoutClosed = true
      finish()
    })
    child.stderr!.setEncoding('utf8')
    child.stderr!.on('data', (chunk: string) => {
      this.stderrBuffer = this.emitLines(this.stderrBuffer + chunk)
    })
    // A process that died mid-write; its exit is reported through 'exit'.
    child.stdin!.on('error', () => {})
    child.on('error', (error) => {
      // Only spawn failures (no such interpreter) arrive here before any exit.
      if (child.pid === undefined) {
        this.spawnError = error
        processExited = true
        stdoutClosed = true
        finish()
      }
    })
    child.on('exit', (code, signal) => {
      this.exitInfo = { code, signal }
      processExited = true
      finish()
    })
    this.initTimer = setTimeout(() => {
      this.initTimer = undefined
      this.opts.logger.warn(`Python function ${spec.name}: importing ${spec.config.handler} took longer than ${INIT_LIMIT_MS / 1000} s; worker stopped`, {
        function: spec.name,
      })
      this.failJob(() => timeoutOutcome(this.now(), this.job?.requestId ?? '', this.spec.timeoutMs))
      this.kill()
    }, INIT_LIMIT_MS)
  }

  isIdle(): boolean {
    return this.ready && !this.busy && !this.gone
  }

  markBusy(): void {
    this.busy = true
  }

  markIdle(): void {
    this.busy = false
    if (this.retired) this.leave(() => this.child.stdin?.end())
  }

  /** Gives back a process acquired for an invocation that will not be sent after all. */
  release(): void {
    if (!this.job) this.finishJob()
  }

  /** Sends an invocation (at once, or when the module has been imported). */
  run(job: Job): void {
    if (this.gone) {
      job.settle({ error: new InvokeError(`Function ${this.spec.name}: the Python worker has stopped`) })
      return
    }
    this.job = job
    if (this.ready) this.dispatch()
  }

  /** Finishes the current invocation, then exits (its function was redefined). */
  retire(): void {
    this.retired = true
    if (this.isIdle()) this.markIdle()
  }

  /** Ends the process: idle ones get EOF and a moment to leave, busy ones are killed. */
  stop(): Promise<void> {
    this.stopping = true
    if (this.child && this.exitInfo === undefined && this.spawnError === undefined) {
      if (this.job) {
        this.failJob(() => new InvokeError(`Function ${this.spec.name}: stopped, the gateway is shutting down`))
        this.kill()
      } else {
        this.gone = true
        this.child.stdin?.end()
        const timer = setTimeout(() => this.kill(), STOP_GRACE_MS)
        this.exited.then(() => clearTimeout(timer))
      }
    }
    return this.exited
  }

  private dispatch(): void {
    const job = this.job!
    this.jobTimer = setTimeout(() => {
      this.jobTimer = undefined
      this.opts.logger.warn(`Python function ${this.spec.name} timed out after ${(job.timeoutMs / 1000).toFixed(2)} s; worker stopped`, {
        function: this.spec.name,
        requestId: job.requestId,
      })
      this.failJob(() => timeoutOutcome(this.now(), job.requestId, job.timeoutMs))
      this.kill()
    }, job.timeoutMs)
    this.child!.stdin!.write(job.line)
  }

  private onProtocolData(chunk: string): void {
    this.protocolBuffer += chunk
    let newline = this.protocolBuffer.indexOf('\n')
    while (newline >= 0) {
      const line = this.protocolBuffer.slice(0, newline)
      this.protocolBuffer = this.protocolBuffer.slice(newline + 1)
      this.onMessage(line)
      newline = this.protocolBuffer.indexOf('\n')
    }
  }

  private onMessage(line: string): void {
    const space = line.indexOf(' ')
    const kind = space < 0 ? line : line.slice(0, space)
    const data = space < 0 ? '' : line.slice(space + 1)
    switch (kind) {
      case 'LOG':
        this.logBuffer = this.emitLines(this.logBuffer + parseJsonString(data))
        return
      case 'READY':
        this.ready = true
        clearTimeout(this.initTimer)
        this.initTimer = undefined
        if (this.job) this.dispatch()
        else this.finishJob()
        return
      case 'OK':
        this.completeJob({ kind: 'ok', payload: data })
        return
      case 'RAW':
        this.completeJob({ kind: 'ok', payload: parseJsonString(data) })
        return
      case 'ERR':
        this.completeJob(functionError(data))
        return
      case 'INITERR':
        // The worker exits after this; the next invocation imports the module afresh.
        this.failJob(() => functionError(data))
        return
      case 'FATAL':
        this.opts.logger.error(`Python function ${this.spec.name}: ${data}`, { function: this.spec.name })
        this.failJob(() => new InvokeError(`Function ${this.spec.name}: the Python worker cannot run: ${data}`))
        this.kill()
        return
      default:
        this.opts.logger.warn(`Python function ${this.spec.name}: unexpected worker output`, { function: this.spec.name })
    }
  }

  /** The invocation ended normally; the process takes the next one. */
  private completeJob(outcome: InvokeOutcome): void {
    const job = this.job
    if (!job) return
    this.flushLog()
    clearTimeout(this.jobTimer)
    this.jobTimer = undefined
    this.job = undefined
    job.settle({ outcome })
    this.finishJob()
  }

  private finishJob(): void {
    if (!this.gone) this.events.idle(this)
  }

  /** The invocation ends with the process: it can take no more. */
  private failJob(result: () => InvokeOutcome | InvokeError): void {
    this.flushLog()
    const job = this.job
    this.job = undefined
    clearTimeout(this.jobTimer)
    this.jobTimer = undefined
    this.leave()
    if (job) {
      const r = result()
      job.settle(r instanceof InvokeError ? { error: r } : { outcome: r })
    }
  }

  /** Leaves the pool (once). */
  private leave(then?: () => void): void {
    if (!this.gone) {
      this.gone = true
      this.events.gone(this)
    }
    then?.()
  }

  private kill(): void {
    if (this.child && this.exitInfo === undefined && this.spawnError === undefined) this.child.kill('SIGKILL')
  }

  private onExit(): void {
    clearTimeout(this.initTimer)
    this.initTimer = undefined
    if (this.protocolBuffer) this.onMessage(this.protocolBuffer)
    this.protocolBuffer = ''
    this.flushLog()
    if (this.stderrBuffer) this.logLine(this.stderrBuffer)
    this.stderrBuffer = ''
    const name = this.spec.name
    if (this.spawnError) {
      const error = this.spawnError
      this.opts.logger.error(`Python function ${name}: cannot start "${this.opts.interpreter}": ${error.message}`, { function: name })
      this.failJob(
        () =>
          new InvokeError(
            `Function ${name}: cannot start the Python interpreter "${this.opts.interpreter}" (settings.python.interpreter, PORTICO_PYTHON): ${error.message}`,
            { cause: error },
          ),
      )
      return
    }
    const job = this.job
    if (job) {
      const reason = exitReason(this.exitInfo)
      this.opts.logger.warn(`Python function ${name}: worker exited during an invocation (${reason})`, { function: name, requestId: job.requestId })
      this.failJob(() => exitOutcome(job.requestId, reason))
    } else if (!this.gone && !this.stopping) {
      this.opts.logger.warn(`Python function ${name}: worker exited (${exitReason(this.exitInfo)})`, { function: name })
    }
    this.leave()
  }

  /** Logs each complete line; returns the unfinished rest. */
  private emitLines(text: string): string {
    let newline = text.indexOf('\n')
    while (newline >= 0) {
      this.logLine(text.slice(0, newline))
      text = text.slice(newline + 1)
      newline = text.indexOf('\n')
    }
    return text
  }

  private flushLog(): void {
    if (this.logBuffer) this.logLine(this.logBuffer)
    this.logBuffer = ''
  }

  private logLine(line: string): void {
    const fields: Record<string, unknown> = { function: this.spec.name }
    if (this.job) fields.requestId = this.job.requestId
    this.opts.logger.info(line.endsWith('\r') ? line.slice(0, -1) : line, fields)
  }
}

/**
 * The process environment of a function's workers: the base environment, the function's
 * `environment`, and the variables Lambda defines (which a function cannot override there).
 */
function workerEnvironment(spec: FunctionSpec, opts: PythonInvokerOptions, nowMs: number): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(opts.env ?? process.env)) if (value !== undefined) env[key] = value
  Object.assign(env, spec.config.environment ?? {})
  const memory = String(spec.config.memorySize ?? DEFAULT_MEMORY_MB)
  Object.assign(env, {
    _HANDLER: spec.config.handler!,
    LAMBDA_TASK_ROOT: resolve(opts.baseDir),
    AWS_REGION: opts.region,
    AWS_DEFAULT_REGION: opts.region,
    AWS_LAMBDA_FUNCTION_NAME: spec.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: memory,
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: logStreamName(nowMs),
    // sys.__stdout__/__stderr__ and Python subprocesses write UTF-8 whatever the host's locale.
    PYTHONIOENCODING: 'utf-8',
  })
  if (spec.config.runtime) env.AWS_EXECUTION_ENV = `AWS_Lambda_${spec.config.runtime}`
  // An inherited value would describe the gateway's host, not this function's runtime.
  else delete env.AWS_EXECUTION_ENV
  return env
}

/** Each process is its own sandbox, so its own stream: `2026/01/15/[$LATEST]` + 32 hex digits. */
function logStreamName(ms: number): string {
  const d = new Date(ms)
  const id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/[$LATEST]${id}`
}

function parseJsonString(data: string): string {
  try {
    const value = JSON.parse(data)
    return typeof value === 'string' ? value : ''
  } catch {
    return ''
  }
}

function functionError(payload: string): InvokeOutcome {
  let errorType: string | undefined
  let errorMessage: string | undefined
  try {
    const document = JSON.parse(payload) as { errorType?: unknown; errorMessage?: unknown }
    if (typeof document.errorType === 'string') errorType = document.errorType
    if (typeof document.errorMessage === 'string') errorMessage = document.errorMessage
  } catch {
    // The worker writes these documents itself; an unreadable one still fails the invocation.
  }
  return { kind: 'function-error', payload, errorType, errorMessage }
}

/** The sandbox's wording for a process that ended on its own (Runtime.ExitError). */
function exitReason(info: { code: number | null; signal: NodeJS.Signals | null } | undefined): string {
  if (info?.signal) return `Runtime exited with error: signal: ${signalName(info.signal)}`
  if (info?.code) return `Runtime exited with error: exit status ${info.code}`
  return 'Runtime exited without providing a reason'
}

/** Go's signal names, which Lambda's messages use ("signal: killed"). */
function signalName(signal: string): string {
  const names: Record<string, string> = {
    SIGKILL: 'killed',
    SIGTERM: 'terminated',
    SIGSEGV: 'segmentation fault',
    SIGABRT: 'aborted',
    SIGINT: 'interrupt',
    SIGBUS: 'bus error',
    SIGFPE: 'floating point exception',
  }
  return names[signal] ?? signal
}

function exitOutcome(requestId: string, reason: string): InvokeOutcome {
  const errorType = 'Runtime.ExitError'
  const errorMessage = `RequestId: ${requestId} Error: ${reason}`
  return { kind: 'function-error', payload: JSON.stringify({ errorMessage, errorType }), errorType, errorMessage }
}

/** The same timeout report as in-process handlers (run-handler.ts). */
function timeoutOutcome(nowMs: number, requestId: string, timeoutMs: number): InvokeOutcome {
  const errorType = 'Sandbox.Timedout'
  const errorMessage = `${new Date(nowMs).toISOString()} ${requestId} Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`
  return { kind: 'function-error', payload: JSON.stringify({ errorType, errorMessage }), errorType, errorMessage }
}
