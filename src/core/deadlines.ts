/** Deadlines shared by many calls (store calls, Redis commands). */
/**
 * Deadlines for calls that all wait the same time, without a timer per call: a FIFO whose head
 * is always the next to expire, swept by one unref'd timer while anything waits. A deadline
 * fires up to a tenth of the timeout (at least 10 ms) late.
 *
 * Where timers belong to a request (workerd cancels a request's timers when it ends, and its
 * timer handles are numbers, not Node's objects), one shared timer could be cancelled with
 * the request that set it and never fire for the next; there every call gets its own timer.
 */
export class Deadlines {
  private readonly queue: { at: number; settled: boolean; fail: (e: Error) => void }[] = []
  private head = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  private readonly timeoutMs: number
  private readonly timedOut: () => Error
  private readonly now: () => number
  /** Set once a timer handle shows timers are per request: a timer per call from then on. */
  private perCall = false
  /**
   * @param timedOut the rejection of a call past its deadline
   * @param now a monotonic clock in ms (a wall clock stepping back would delay every deadline)
   */
  constructor(timeoutMs: number, timedOut: () => Error, now: () => number = () => performance.now()) {
    this.timeoutMs = timeoutMs
    this.timedOut = timedOut
    this.now = now
  }

  /** `pending`, or a rejection once it has waited `timeoutMs`. */
  guard<T>(pending: Promise<T>): Promise<T> {
    if (this.perCall) return this.guardAlone(pending)
    return new Promise<T>((resolve, reject) => {
      const entry = { at: this.now() + this.timeoutMs, settled: false, fail: reject }
      this.queue.push(entry)
      this.arm()
      pending.then(
        (v) => {
          entry.settled = true
          resolve(v)
        },
        (e) => {
          entry.settled = true
          reject(e)
        },
      )
    })
  }

  /** guard() with a timer of its own. */
  private guardAlone<T>(pending: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(this.timedOut()), this.timeoutMs)
      pending.then(
        (v) => {
          clearTimeout(timer)
          resolve(v)
        },
        (e) => {
          clearTimeout(timer)
          reject(e)
        },
      )
    })
  }

  /** Stops the sweeping timer (the owner is closing). */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  private arm(): void {
    if (this.timer !== undefined) return
    // A sweep a tenth of the timeout apart: deadlines are kept to within 10%.
    this.timer = setTimeout(() => this.sweep(), Math.max(10, this.timeoutMs / 10))
    const timer = this.timer as unknown
    // Node and Bun: the sweep alone does not keep the process alive.
    if (typeof timer === 'object' && timer !== null && 'unref' in timer) (timer as { unref(): void }).unref()
    // A number: timers are per request (workerd). This one serves the calls queued so far,
    // which belong to the request that set it; later calls each get their own.
    else this.perCall = true
  }

  private sweep(): void {
    this.timer = undefined
    const now = this.now()
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head]!
      if (!entry.settled && entry.at > now) break
      if (!entry.settled) {
        entry.settled = true
        entry.fail(this.timedOut())
      }
      this.head++
    }
    // Compact once the settled front is large, so the array does not grow for ever.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head)
      this.head = 0
    }
    if (this.head < this.queue.length) this.arm()
    else {
      this.queue.length = 0
      this.head = 0
    }
  }
}
