/**
 * Store calls under a deadline. A slow or unreachable store must not hold requests for ever:
 * past `timeoutMs` the caller applies its fail-open / fail-closed policy (settings.storePolicy).
 * The deadline is real time, not the injected clock: it bounds how long a client waits, it
 * does not measure buckets. Calls with the same timeout share one Deadlines (one FIFO, one
 * timer) instead of arming a timer each: on a shared store this is on every request's path.
 */
import { Deadlines } from '../../core/deadlines.ts'

/** A store call that did not answer within its deadline. */
export class StoreTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`store did not answer within ${timeoutMs} ms`)
    this.name = 'StoreTimeoutError'
  }
}

const byTimeout = new Map<number, Deadlines>()

/**
 * Runs `call`, rejecting with StoreTimeoutError once it has waited `timeoutMs` (up to a tenth
 * more); a synchronous throw rejects too. The late answer of a timed-out call is dropped.
 */
export function withTimeout<T>(call: () => Promise<T>, timeoutMs: number): Promise<T> {
  let pending: Promise<T>
  try {
    pending = call()
  } catch (e) {
    return Promise.reject(e)
  }
  let deadlines = byTimeout.get(timeoutMs)
  if (!deadlines) byTimeout.set(timeoutMs, (deadlines = new Deadlines(timeoutMs, () => new StoreTimeoutError(timeoutMs))))
  return deadlines.guard(pending)
}
