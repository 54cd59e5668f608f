/**
 * Store calls under a deadline. A slow or unreachable store must not hold requests for ever:
 * past `timeoutMs` the caller applies its fail-open / fail-closed policy (settings.storePolicy).
 * The timer is real time (setTimeout), not the injected clock: it bounds how long a client
 * waits, it does not measure buckets.
 */

/** A store call that did not answer within its deadline. */
export class StoreTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`store did not answer within ${timeoutMs} ms`)
    this.name = 'StoreTimeoutError'
  }
}

/** Runs `call`, rejecting with StoreTimeoutError after `timeoutMs`; a synchronous throw rejects too. */
export function withTimeout<T>(call: () => Promise<T>, timeoutMs: number): Promise<T> {
  let pending: Promise<T>
  try {
    pending = call()
  } catch (e) {
    return Promise.reject(e)
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreTimeoutError(timeoutMs)), timeoutMs)
  })
  // The late answer of a timed-out call is dropped; its rejection must not go unhandled.
  pending.catch(() => {})
  return Promise.race([pending, deadline]).finally(() => {
    if (timer !== undefined) clearTimeout(timer)
  })
}
