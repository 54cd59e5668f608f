/**
 * Deadlines: one FIFO and timer per timeout on Node; a timer per call where timers belong to a
 * request (workerd, whose timer handles are numbers and are cancelled with their request).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Deadlines } from '../../src/core/deadlines.ts'

const never = new Promise<string>(() => {})
const outcome = (p: Promise<unknown>) => p.then((v) => `ok ${String(v)}`, (e: Error) => `err ${e.message}`)

afterEach(() => {
  vi.restoreAllMocks()
})

describe('Deadlines', () => {
  it('answers and rejections pass through; only unanswered calls time out, roughly on time', async () => {
    const deadlines = new Deadlines(50, () => new Error('too slow'))
    const started = performance.now()
    const results = await Promise.all([
      outcome(deadlines.guard(Promise.resolve('now'))),
      outcome(deadlines.guard(new Promise((r) => setTimeout(() => r('soon'), 10)))),
      outcome(deadlines.guard(Promise.reject(new Error('refused')))),
      outcome(deadlines.guard(never)),
    ])
    expect(results).toEqual(['ok now', 'ok soon', 'err refused', 'err too slow'])
    const waited = performance.now() - started
    expect(waited).toBeGreaterThanOrEqual(49)
    expect(waited).toBeLessThan(1000)
    deadlines.stop()
  })

  it('judges deadlines on a monotonic clock: a wall clock stepping back does not delay them', async () => {
    const real = Date.now()
    let calls = 0
    // The wall clock steps back a minute right after the call is queued.
    vi.spyOn(Date, 'now').mockImplementation(() => (calls++ === 0 ? real : real - 60_000))
    const deadlines = new Deadlines(30, () => new Error('too slow'))
    const started = performance.now()
    expect(await outcome(deadlines.guard(never))).toBe('err too slow')
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('where timer handles are numbers (timers per request), each call gets a timer of its own', async () => {
    // A runtime whose timers are per request: handles are numbers, and a timer set by one
    // request is cancelled when it ends. Simulated: every timer set before `cancelAll` is
    // dropped, as workerd drops the ended request's.
    const realSet = globalThis.setTimeout
    const realClear = globalThis.clearTimeout
    const live = new Map<number, ReturnType<typeof setTimeout>>()
    let next = 1
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms: number) => {
      const id = next++
      live.set(id, realSet(() => {
        live.delete(id)
        fn()
      }, ms))
      return id
    }) as typeof setTimeout)
    vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((id: number) => {
      const t = live.get(id)
      if (t) realClear(t)
      live.delete(id)
    }) as typeof clearTimeout)
    const cancelAll = () => {
      for (const t of live.values()) realClear(t)
      live.clear()
    }

    const deadlines = new Deadlines(40, () => new Error('too slow'))
    // Request 1 sets the shared timer, answers, and ends: its timers go.
    expect(await outcome(deadlines.guard(Promise.resolve(1)))).toBe('ok 1')
    cancelAll()
    // Request 2's call must still time out.
    expect(await outcome(deadlines.guard(never))).toBe('err too slow')
    expect(await outcome(deadlines.guard(Promise.resolve(3)))).toBe('ok 3')
    expect(live.size).toBe(0) // answered calls clear their timers
  })
})
