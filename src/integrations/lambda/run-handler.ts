/**
 * Runs a Node.js Lambda handler in this process the way the managed Node.js runtime does:
 * same calling convention, same completion rules, same error report shape.
 * Portable: no node:* imports.
 */
import { createLambdaContext } from './lambda-context.ts'
import { InvokeError, NEVER_ABORTED, type InvokeOutcome } from './types.ts'

export interface RunHandlerOptions {
  functionName: string
  memoryLimitInMB: number
  /** The function's own timeout (not the integration timeout); past it the run is a function error. */
  timeoutMs: number
  region: string
  accountId: string
  now: () => number
  awsRequestId?: string
  /** Aborting stops the wait only: the handler keeps running, nothing can stop a JS function. */
  signal?: AbortSignal
  /** Schedules `fn` after `ms` and returns its cancel function; tests substitute their own. */
  setTimer?: (fn: () => void, ms: number) => () => void
  /** The event belongs to this call alone (see Invocation.fresh): skip the JSON copy. */
  fresh?: boolean
}

/** The error document the Node.js runtime posts for a failed invocation. */
interface ErrorReport {
  errorType?: unknown
  errorMessage?: unknown
  trace?: string[]
}

/**
 * Calls `handler(event, context, callback)` and settles on whichever completion comes first:
 * the returned promise, the callback, or context.done/succeed/fail; or the function timeout.
 * A failure of the function itself is an outcome (`function-error`), never a rejection; the
 * promise rejects only with InvokeError when `signal` aborts or the event is not JSON.
 */
export function runHandler(handler: Function, event: unknown, opts: RunHandlerOptions): Promise<InvokeOutcome> {
  const setTimer = opts.setTimer ?? defaultSetTimer
  const signal = opts.signal === NEVER_ABORTED ? undefined : opts.signal
  return new Promise<InvokeOutcome>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abandoned(opts.functionName, signal))
      return
    }
    // The function receives the event as Lambda delivers it: parsed from JSON, its own copy.
    let eventCopy: unknown
    try {
      eventCopy = event === undefined ? null : opts.fresh ? event : JSON.parse(JSON.stringify(event))
    } catch (cause) {
      reject(new InvokeError(`The event for ${opts.functionName} cannot be serialised as JSON`, { cause }))
      return
    }

    let settled = false
    let cancelTimer = () => {}
    const onAbort = () => finish(() => reject(abandoned(opts.functionName, signal!)))
    const finish = (act: () => void) => {
      if (settled) return
      settled = true
      cancelTimer()
      signal?.removeEventListener('abort', onAbort)
      act()
    }
    // Like the runtime, only a non-null error counts as a failure.
    const complete = (error: unknown, result: unknown) =>
      finish(() => resolve(error !== undefined && error !== null ? errorOutcome(error) : successOutcome(result)))

    const context = createLambdaContext({
      functionName: opts.functionName,
      memoryLimitInMB: opts.memoryLimitInMB,
      timeoutMs: opts.timeoutMs,
      region: opts.region,
      accountId: opts.accountId,
      now: opts.now,
      awsRequestId: opts.awsRequestId,
      complete,
    })
    cancelTimer = setTimer(
      () => finish(() => resolve(timeoutOutcome(opts.now(), context.awsRequestId, opts.timeoutMs))),
      opts.timeoutMs,
    )
    signal?.addEventListener('abort', onAbort, { once: true })

    // The runtime passes the callback whatever the handler's arity; async handlers ignore it.
    const callback = (error?: unknown, result?: unknown) => complete(error, result)
    let returned: unknown
    try {
      returned = Reflect.apply(handler, undefined, [eventCopy, context, callback])
    } catch (error) {
      // The runtime routes a synchronous throw through the callback, so `throw null` succeeds.
      callback(error)
      return
    }
    try {
      if (isThenable(returned)) {
        // A rejection without a reason is reported as the runtime does for a bare fail().
        returned.then(
          (result) => complete(null, result),
          (error) => complete(error ?? 'handled', undefined),
        )
      }
    } catch (error) {
      // A `then` getter that throws is a failure of the function's own code.
      complete(error ?? 'handled', undefined)
    }
  })
}

function defaultSetTimer(fn: () => void, ms: number): () => void {
  const timer = setTimeout(fn, ms)
  return () => clearTimeout(timer)
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

function abandoned(functionName: string, signal: AbortSignal): InvokeError {
  return new InvokeError(`Stopped waiting for ${functionName}: the invocation was aborted`, { cause: signal.reason })
}

/** A successful outcome holding plain data; its JSON text is written on first read. */
class PlainResult {
  readonly kind = 'ok' as const
  readonly value: unknown
  private text: string | undefined
  constructor(value: unknown) {
    this.value = value
  }
  get payload(): string {
    return (this.text ??= JSON.stringify(this.value))
  }
}

function successOutcome(result: unknown): InvokeOutcome {
  // Equal to its own JSON round trip: no need to write the text unless someone reads it.
  if (isJsonData(result, 0)) return new PlainResult(result)
  let payload: string | undefined
  try {
    payload = JSON.stringify(result === undefined ? null : result)
  } catch {
    // The runtime's own wording when a result is circular or holds a BigInt.
    return errorOutcome(new Error('Unable to stringify response body'))
  }
  // A bare function or symbol has no JSON text; it reaches the caller as nothing, i.e. null.
  return { kind: 'ok', payload: payload ?? 'null' }
}

function errorOutcome(error: unknown): InvokeOutcome {
  const report = toErrorReport(error)
  return {
    kind: 'function-error',
    payload: JSON.stringify(report),
    errorType: typeof report.errorType === 'string' ? report.errorType : undefined,
    errorMessage: typeof report.errorMessage === 'string' ? report.errorMessage : undefined,
  }
}

/**
 * The Node.js runtime's error document: errors give name, message and stack lines; anything
 * else (`callback('Unauthorized')`) gives its typeof and its string form, which is how
 * authorizers signal a 401.
 */
function toErrorReport(error: unknown): ErrorReport {
  try {
    if (error instanceof Error || looksLikeError(error)) {
      const e = error as Error
      return { errorType: e.name, errorMessage: e.message, trace: (e.stack as string).split('\n') }
    }
    return { errorType: typeof error, errorMessage: (error as { toString(): string }).toString(), trace: [] }
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    }
  }
}

/** Errors from another realm fail `instanceof`; the runtime accepts anything shaped like one. */
function looksLikeError(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return (
    typeof v.name === 'string' && v.name !== '' &&
    typeof v.message === 'string' && v.message !== '' &&
    typeof v.stack === 'string' && v.stack !== ''
  )
}

function timeoutOutcome(nowMs: number, awsRequestId: string, timeoutMs: number): InvokeOutcome {
  const errorType = 'Sandbox.Timedout'
  const errorMessage = `${new Date(nowMs).toISOString()} ${awsRequestId} Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`
  return { kind: 'function-error', payload: JSON.stringify({ errorType, errorMessage }), errorType, errorMessage }
}

/**
 * Whether `value` is data that JSON.parse(JSON.stringify(value)) gives back unchanged: plain
 * objects and arrays (no toJSON, no undefined members, no holes) of strings, booleans, null
 * and finite numbers other than -0. Small answers only: deep or wide ones take the text path.
 */
function isJsonData(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0)
    case 'object': {
      if (value === null) return true
      if (depth > 4) return false
      if (Array.isArray(value)) {
        if (value.length > 64) return false
        for (let i = 0; i < value.length; i++) if (!(i in value) || !isJsonData(value[i], depth + 1)) return false
        return true
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return false
      let keys = 0
      for (const key in value) {
        if (++keys > 64 || key === 'toJSON') return false
        if (!isJsonData((value as Record<string, unknown>)[key], depth + 1)) return false
      }
      // Symbol keys are not seen here and not read by anyone; properties made with
      // defineProperty (non-enumerable, accessors) are not plain data and are not expected.
      return true
    }
    default:
      return false
  }
}

