/**
 * workerd refuses to start a Worker whose module scope draws random values, sets timers or
 * does I/O ("Disallowed operation called within global scope"), and the vitest plugin does not
 * enforce that. So: import the Workers entry's whole module graph with those operations
 * trapped, as workerd would.
 */
import { expect, it } from 'vitest'

it('the Workers entry does no random, timer or fetch work at module scope', async () => {
  const saved = {
    getRandomValues: crypto.getRandomValues,
    randomUUID: crypto.randomUUID,
    setTimeout: globalThis.setTimeout,
    setInterval: globalThis.setInterval,
    fetch: globalThis.fetch,
  }
  const calls: string[] = []
  const trap = (name: string) => () => {
    calls.push(name)
    throw new Error(`${name} called within global scope`)
  }
  crypto.getRandomValues = trap('crypto.getRandomValues') as typeof crypto.getRandomValues
  crypto.randomUUID = trap('crypto.randomUUID') as typeof crypto.randomUUID
  globalThis.setTimeout = trap('setTimeout') as unknown as typeof setTimeout
  globalThis.setInterval = trap('setInterval') as unknown as typeof setInterval
  globalThis.fetch = trap('fetch') as typeof fetch
  try {
    const mod = await import('../../src/runtime/workers/index.ts')
    expect(typeof mod.default.fetch).toBe('function')
  } finally {
    Object.assign(crypto, { getRandomValues: saved.getRandomValues, randomUUID: saved.randomUUID })
    Object.assign(globalThis, { setTimeout: saved.setTimeout, setInterval: saved.setInterval, fetch: saved.fetch })
  }
  expect(calls).toEqual([])
})
