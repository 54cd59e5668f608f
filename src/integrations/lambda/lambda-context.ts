/**
 * The `context` object a Node.js Lambda handler receives, built for in-process invocations.
 * Portable: no node:* imports, only Web crypto.
 */
import { newUuid } from '../../core/ids.ts'

/** The Node.js Lambda context, as the managed runtime hands it to a handler. */
export interface LambdaContext {
  awsRequestId: string
  functionName: string
  functionVersion: string
  invokedFunctionArn: string
  /** A string, as Lambda gives it (`"1024"`). */
  memoryLimitInMB: string
  logGroupName: string
  logStreamName: string
  identity: undefined
  clientContext: undefined
  /** Only meaningful for callback handlers; kept writable because handlers set it. */
  callbackWaitsForEmptyEventLoop: boolean
  getRemainingTimeInMillis(): number
  /** Legacy completion API (pre-callback runtimes), still honoured by the Node.js runtime. */
  done(error?: unknown, result?: unknown): void
  succeed(result?: unknown): void
  fail(error?: unknown): void
}

export interface LambdaContextOptions {
  functionName: string
  memoryLimitInMB: number
  /** The function timeout; the deadline is `now() + timeoutMs` at creation. */
  timeoutMs: number
  region: string
  accountId: string
  now: () => number
  awsRequestId?: string
  /**
   * Receives context.done/succeed/fail. Without it they do nothing, which only makes sense
   * for a context that is inspected rather than run.
   */
  complete?: (error: unknown, result: unknown) => void
}

/**
 * Builds the Node.js Lambda context for one invocation. `getRemainingTimeInMillis()` counts
 * down from the function timeout using `now`, so tests can drive the clock.
 */
export function createLambdaContext(opts: LambdaContextOptions): LambdaContext {
  const start = opts.now()
  const deadline = start + opts.timeoutMs
  const complete = opts.complete ?? (() => {})
  return {
    awsRequestId: opts.awsRequestId ?? newUuid(),
    functionName: opts.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn(opts.region, opts.accountId, opts.functionName),
    memoryLimitInMB: String(opts.memoryLimitInMB),
    logGroupName: logGroupName(opts.functionName),
    logStreamName: logStreamName(start),
    identity: undefined,
    clientContext: undefined,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - opts.now()),
    done: (error?: unknown, result?: unknown) => complete(error, result),
    succeed: (result?: unknown) => complete(null, result),
    // The runtime reports a bare fail() as the string error 'handled'.
    fail: (error?: unknown) => complete(error ?? 'handled', undefined),
  }
}

// Per function, not per invocation: the names are the same every time.
const arns = new Map<string, { region: string; accountId: string; arn: string }>()
const logGroups = new Map<string, string>()

function functionArn(region: string, accountId: string, name: string): string {
  const known = arns.get(name)
  if (known && known.region === region && known.accountId === accountId) return known.arn
  const arn = `arn:aws:lambda:${region}:${accountId}:function:${name}`
  if (arns.size < 10_000) arns.set(name, { region, accountId, arn })
  return arn
}

function logGroupName(name: string): string {
  let group = logGroups.get(name)
  if (group === undefined) {
    group = `/aws/lambda/${name}`
    if (logGroups.size < 10_000) logGroups.set(name, group)
  }
  return group
}

/**
 * The execution environment's id: one per process, as one warm Lambda container has one
 * stream. Drawn on first use: workerd forbids random values at module scope.
 */
let environmentId: string | undefined
function environmentIdOnce(): string {
  environmentId ??= Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')
  return environmentId
}

const DAY_MS = 86_400_000
// The name changes once a day (UTC); invocations of the same day share it.
let streamDay = NaN
let streamName = ''

/** `2024/05/01/[$LATEST]` followed by 32 hex digits, the shape of a Lambda log stream name. */
function logStreamName(ms: number): string {
  const day = Math.floor(ms / DAY_MS)
  if (day !== streamDay) {
    const d = new Date(ms)
    streamName = `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/[$LATEST]${environmentIdOnce()}`
    streamDay = day
  }
  return streamName
}

function pad(n: number): string {
  return String(n).padStart(2, '0')
}
