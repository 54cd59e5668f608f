/**
 * The Cache API response cache inside workerd (caches.default and named caches, as wrangler
 * dev simulates them): the ResponseCache contract, what only this backend has (named caches),
 * and the backend behind a gateway with `settings.cache.backend: cache-api`.
 */
import { describe, expect, it } from 'vitest'
import { cacheApiResponseCache } from '../../src/storage/cache-api/response-cache.ts'
import { cacheFeature, cacheStats } from '../../src/features/cache/index.ts'
import { createGateway } from '../../src/gateway.ts'
import { loadModel } from '../../src/model/load.ts'
import { memoryLogger } from '../../src/core/deps.ts'
import { fetchHttpClient } from '../../src/integrations/http/index.ts'
import type { Feature } from '../../src/core/feature.ts'
import type { CachedResponse } from '../../src/storage/ports.ts'
import { responseCacheContract } from '../storage/contract/response-cache.contract.ts'

function clock(start = Date.UTC(2026, 0, 15, 12)) {
  let t = start
  return { now: () => t, advance: (ms: number) => void (t += ms) }
}

responseCacheContract('cache api (caches.default)', async () => {
  const c = clock()
  return { factory: cacheApiResponseCache({ clock: c }), clock: c }
})

let unique = 0
/** A fresh namespace per test: caches.default outlives a single test. */
const ns = () => `api${Date.now().toString(36)}${unique++}/prod`

function entry(now: number, body = 'hello', ttlMs = 60_000): CachedResponse {
  return {
    status: 404,
    headers: [
      ['content-type', 'application/json'],
      ['set-cookie', 'not-really=1'],
      ['x-odd', 'caf\u00e9 "quoted", comma'],
    ],
    body: new TextEncoder().encode(body),
    storedAt: now,
    expiresAt: now + ttlMs,
  }
}

describe('Cache API backend', () => {
  it('a named cache is separate from caches.default', async () => {
    const c = clock()
    const namespace = ns()
    const named = cacheApiResponseCache({ clock: c, cacheName: 'portico-test' })({ namespace, capacityBytes: 1 << 20 })
    const plain = cacheApiResponseCache({ clock: c })({ namespace, capacityBytes: 1 << 20 })
    await named.put('k', entry(c.now(), 'named'))
    expect(await plain.get('k')).toBeUndefined()
    expect(new TextDecoder().decode((await named.get('k'))!.body)).toBe('named')
  })
})

describe('gateway with settings.cache.backend cache-api', () => {
  it('hits come from caches.default, without reaching the integration', async () => {
    let reached = 0
    // Sits between the cache (100) and the integration: counts what the cache lets through.
    const counter: Feature = {
      name: 'counter',
      priority: 50,
      create: () => async (_req, next) => {
        reached++
        return next()
      },
    }
    const apiName = `cached${Date.now().toString(36)}`
    const { model } = loadModel({
      settings: { cache: { backend: 'cache-api', debugHeader: true } },
      apis: [
        {
          name: apiName,
          type: 'REST',
          stages: [{ name: 'prod', variables: {}, cache: { enabled: true, ttlInSeconds: 60 } }],
          routes: [
            { method: 'GET', path: '/items/{id}', integration: { type: 'mock', statusCode: 200, body: '{"ok":true}' }, caching: { cacheKeyParameters: ['method.request.path.id'] } },
          ],
        },
      ],
    })
    const c = clock()
    const gateway = createGateway(
      model,
      { clock: c, logger: memoryLogger(), invoker: { invoke: async () => ({ kind: 'ok', payload: 'null' }) }, httpClient: fetchHttpClient() },
      { features: [cacheFeature, counter] },
    )
    await gateway.ready
    const first = await gateway.fetch(new Request('https://example.com/prod/items/1'))
    expect(first.headers.get('X-Portico-Cache')).toBe('miss')
    expect(await first.text()).toBe('{"ok":true}')
    const second = await gateway.fetch(new Request('https://example.com/prod/items/1'))
    expect(second.headers.get('X-Portico-Cache')).toBe('hit')
    expect(await second.text()).toBe('{"ok":true}')
    expect(second.headers.get('content-type')).toBe('application/json')
    const other = await gateway.fetch(new Request('https://example.com/prod/items/2'))
    expect(other.headers.get('X-Portico-Cache')).toBe('miss')
    await other.text()
    expect(reached).toBe(2)
    expect(cacheStats(gateway.deps)[`${model.apis[0]!.id}/prod`]).toMatchObject({ hits: 1, misses: 2, stores: 2 })
  })
})
