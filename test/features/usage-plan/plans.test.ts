/**
 * Usage plans in the KeyStore: init writes the config's plans and links, restricts config
 * keys to their plans' stages (403 from the API key feature elsewhere), rewrites config plans
 * on a restart over the same store while leaving admin plans alone; the plan lookup cache.
 */
import { describe, expect, it } from 'vitest'
import { KEY, LONE, OTHER, setup } from './setup.ts'
import { memoryKeyStore } from '../../../src/storage/memory/key-store.ts'
import { hashApiKey } from '../../../src/features/api-key/index.ts'
import { PLAN_CACHE_TTL_MS, stageRef } from '../../../src/features/usage-plan/index.ts'
import type { StoredUsagePlan } from '../../../src/storage/ports.ts'

const basic = {
  name: 'basic',
  id: 'basic',
  description: 'for partners',
  throttle: { rateLimit: 5, burstLimit: 10 },
  quota: { limit: 1000, period: 'MONTH', offset: 10 },
  apiStages: [{ api: 'rest', stage: 'prod', throttle: { 'GET /private': { rateLimit: 1, burstLimit: 2 } } }],
  apiKeys: ['partner', 'second'],
}

async function expectForbidden(res: Response) {
  expect(res.status).toBe(403)
  expect(await res.text()).toBe('{"message":"Forbidden"}')
}

describe('init', () => {
  it('stores config plans with their stages, method throttles and links', async () => {
    const g = setup({ usagePlans: [basic] })
    await g.gateway.ready
    const store = g.gateway.deps.stores.keyStore
    const apiId = g.model.apis[0]!.id
    expect(await store.getPlan('basic')).toEqual({
      id: 'basic',
      name: 'basic',
      description: 'for partners',
      throttle: { rateLimit: 5, burstLimit: 10 },
      quota: { limit: 1000, period: 'MONTH', offset: 10 },
      apiStages: [{ apiId, stage: 'prod', throttle: { 'GET /private': { rateLimit: 1, burstLimit: 2 } } }],
      source: 'config',
      createdAt: g.clock.now(),
    })
    expect((await store.keysOfPlan('basic')).sort()).toEqual(['partner01', 'second01'])
    expect((await store.get('partner01'))!.stages).toEqual([stageRef(apiId, 'prod')])
    // In no plan: refused on every stage, as on AWS.
    expect((await store.get('lone01'))!.stages).toEqual([])
  })

  it('keys may call only the stages of their plans: 403 elsewhere, before any throttle or quota', async () => {
    const g = setup({ usagePlans: [basic] })
    expect((await g.call('/prod/private', KEY)).status).toBe(200)
    await expectForbidden(await g.call('/dev/private', KEY))
    await expectForbidden(await g.call('/prod/private', LONE))
    await expectForbidden(await g.call('/dev/private', LONE))
    expect(g.events).toHaveLength(1)
  })

  it('without usage plans in the config, keys work on every stage', async () => {
    const g = setup()
    expect((await g.call('/prod/private', KEY)).status).toBe(200)
    expect((await g.call('/dev/private', LONE)).status).toBe(200)
    expect((await g.gateway.deps.stores.keyStore.get('lone01'))!.stages).toBeUndefined()
  })

  it('a key in two plans for different stages may call both', async () => {
    const g = setup({
      usagePlans: [
        { name: 'p', apiStages: [{ api: 'rest', stage: 'prod' }], apiKeys: ['partner'] },
        { name: 'd', apiStages: [{ api: 'rest', stage: 'dev' }], apiKeys: ['partner'] },
      ],
    })
    expect((await g.call('/prod/private', KEY)).status).toBe(200)
    expect((await g.call('/dev/private', KEY)).status).toBe(200)
  })

  it('a restart over the same store rewrites config plans and links, and leaves admin plans and links alone', async () => {
    const keyStore = memoryKeyStore()
    const first = setup({
      usagePlans: [basic, { name: 'old', id: 'old', apiStages: [{ api: 'rest', stage: 'dev' }], apiKeys: ['lone'] }],
      deps: { stores: { keyStore } },
    })
    await first.gateway.ready
    const apiId = first.model.apis[0]!.id
    // The admin API adds a plan of its own and links an admin key to the config plan.
    const admin: StoredUsagePlan = { id: 'gold', name: 'gold', apiStages: [{ apiId, stage: 'dev', throttle: {} }], source: 'admin', createdAt: 1 }
    await keyStore.putPlan(admin)
    const adminValue = 'admin-made-key-value-0123456789'
    await keyStore.put({ id: 'adm01', name: 'adm', hash: await hashApiKey(adminValue), enabled: true, stages: [stageRef(apiId, 'prod')], createdAt: 1 })
    await keyStore.linkKey('basic', 'adm01')
    await keyStore.linkKey('gold', 'partner01')

    // Restart: 'old' is gone from the config, 'second' left 'basic'.
    const second = setup({ usagePlans: [{ ...basic, apiKeys: ['partner'] }], deps: { stores: { keyStore } } })
    await second.gateway.ready
    expect(await keyStore.getPlan('old')).toBeUndefined()
    expect(await keyStore.getPlan('gold')).toEqual(admin)
    expect((await keyStore.getPlan('basic'))!.createdAt).toBe((await first.gateway.deps.stores.keyStore.getPlan('basic'))!.createdAt)
    expect((await keyStore.keysOfPlan('basic')).sort()).toEqual(['adm01', 'partner01'])
    // partner: config plan on prod + admin plan on dev; second and lone: no plan.
    expect((await keyStore.get('partner01'))!.stages).toEqual([stageRef(apiId, 'dev'), stageRef(apiId, 'prod')].sort())
    expect((await keyStore.get('second01'))!.stages).toEqual([])
    expect((await keyStore.get('lone01'))!.stages).toEqual([])
    expect((await second.call('/dev/private', KEY)).status).toBe(200)
    await expectForbidden(await second.call('/prod/private', OTHER))
    // The admin key is untouched by init and limited by the config plan it was linked to.
    expect((await keyStore.get('adm01'))!.stages).toEqual([stageRef(apiId, 'prod')])
    expect(await second.statuses(3, '/prod/private', adminValue)).toEqual([200, 200, 429])
  })

  it('refuses to start when an admin plan holds the id of a config plan', async () => {
    const keyStore = memoryKeyStore()
    await keyStore.putPlan({ id: 'basic', name: 'admin one', apiStages: [], source: 'admin', createdAt: 1 })
    const g = setup({ usagePlans: [basic], deps: { stores: { keyStore } } })
    await expect(g.gateway.ready).rejects.toThrow(/admin plan with id basic/)
  })
})

describe('the plan lookup cache', () => {
  it(`a plan changed in the store applies within ${PLAN_CACHE_TTL_MS} ms`, async () => {
    // The documented time: five seconds.
    expect(PLAN_CACHE_TTL_MS).toBe(5_000)
    const g = setup({ usagePlans: [{ ...basic, apiStages: [{ api: 'rest', stage: 'prod' }], throttle: { rateLimit: 100, burstLimit: 100 } }] })
    expect(await g.statuses(2, '/prod/private', KEY)).toEqual([200, 200])
    const store = g.gateway.deps.stores.keyStore
    const stored = (await store.getPlan('basic'))!
    await store.putPlan({ ...stored, throttle: { rateLimit: 0, burstLimit: 0 } })
    g.clock.advance(PLAN_CACHE_TTL_MS - 1)
    expect(await g.statuses(1, '/prod/private', KEY)).toEqual([200])
    g.clock.advance(1)
    expect(await g.statuses(1, '/prod/private', KEY)).toEqual([429])
  })

  it('a key unlinked from its plan loses the plan limits after the cache time', async () => {
    const g = setup({ usagePlans: [{ ...basic, apiStages: [{ api: 'rest', stage: 'prod' }], throttle: { rateLimit: 0, burstLimit: 0 } }] })
    expect(await g.statuses(1, '/prod/private', KEY)).toEqual([429])
    await g.gateway.deps.stores.keyStore.unlinkKey('basic', 'partner01')
    g.clock.advance(PLAN_CACHE_TTL_MS)
    // The key keeps its stages (the admin API would change them); with no plan, no plan limit.
    expect(await g.statuses(1, '/prod/private', KEY)).toEqual([200])
  })

  it('concurrent requests of a key share one lookup', async () => {
    const keyStore = memoryKeyStore()
    let lookups = 0
    const counting = { ...keyStore, plansOfKey: (id: string) => (lookups++, keyStore.plansOfKey(id)) }
    const g = setup({ usagePlans: [basic], deps: { stores: { keyStore: counting } } })
    await g.gateway.ready
    lookups = 0
    const res = await Promise.all(Array.from({ length: 10 }, () => g.call('/prod/private', KEY)))
    expect(res.map((r) => r.status).filter((s) => s === 200)).toHaveLength(2)
    expect(lookups).toBe(1)
  })
})
