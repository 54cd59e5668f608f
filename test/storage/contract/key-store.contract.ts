/**
 * The KeyStore contract: API keys (by id and by value hash), usage plans, and the links
 * between them. Every backend runs these cases.
 *
 * Portable (no node:* imports): it also runs inside workerd.
 *
 * make() is called once per test and should return an empty store (a fresh prefix, file or
 * object); every case also uses random ids and checks lists only for its own entries, so a
 * shared store works too.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { KeyStore, StoredApiKey, StoredUsagePlan } from '../../../src/storage/ports.ts'

export interface KeyStoreSubject {
  store: KeyStore
  close?(): Promise<void>
}

export interface KeyStoreContractOptions {
  /** How many parallel writes the concurrency case fires (default 30). */
  parallel?: number
}

/** 64 hex characters, as StoredApiKey.hash is. */
function randomHash(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
}

function randomId(prefix: string): string {
  return prefix + crypto.randomUUID().replace(/-/g, '').slice(0, 12)
}

export function keyStoreContract(name: string, make: () => Promise<KeyStoreSubject>, opts: KeyStoreContractOptions = {}) {
  const parallel = opts.parallel ?? 30

  describe(`KeyStore contract: ${name}`, () => {
    let open: KeyStoreSubject[] = []
    afterEach(async () => {
      const closing = open
      open = []
      for (const s of closing) await s.close?.()
    })
    async function setup() {
      const subject = await make()
      open.push(subject)
      return subject.store
    }
    const newKey = (extra: Partial<StoredApiKey> = {}): StoredApiKey => ({
      id: randomId('k'),
      name: 'partner key',
      hash: randomHash(),
      enabled: true,
      createdAt: 1_800_000_000_123,
      ...extra,
    })
    const newPlan = (extra: Partial<StoredUsagePlan> = {}): StoredUsagePlan => ({
      id: randomId('p'),
      name: 'Basic',
      throttle: { rateLimit: 0.5, burstLimit: 10 },
      quota: { limit: 10_000, period: 'MONTH', offset: 0 },
      apiStages: [
        { apiId: 'a1b2c3d4e5', stage: 'prod', throttle: { 'GET /pets/{id}': { rateLimit: 2, burstLimit: 4 } } },
        { apiId: 'a1b2c3d4e5', stage: 'dev', throttle: {} },
      ],
      source: 'admin',
      createdAt: 1_800_000_000_456,
      ...extra,
    })

    describe('API keys', () => {
      it('put, then get by id and find by hash; unknown ids and hashes give undefined', async () => {
        const store = await setup()
        const key = newKey()
        await store.put(key)
        expect(await store.get(key.id)).toEqual(key)
        expect(await store.findByHash(key.hash)).toEqual(key)
        expect(await store.get(randomId('k'))).toBeUndefined()
        expect(await store.findByHash(randomHash())).toBeUndefined()
      })

      it('keeps every field: disabled, stages undefined, empty or listed, odd names', async () => {
        const store = await setup()
        const keys = [
          newKey({ enabled: false }),
          newKey({ stages: [] }),
          newKey({ stages: ['a1b2c3d4e5/prod', 'zz9/dev-2'] }),
          newKey({ name: `O'Brien "quoted" ünïcode 🔑 ; DROP TABLE keys; --` }),
        ]
        for (const k of keys) await store.put(k)
        for (const k of keys) {
          const got = await store.get(k.id)
          expect(got).toEqual(k)
          // undefined stages (every stage) is not the same as [] (no stage).
          expect(got!.stages === undefined).toBe(k.stages === undefined)
        }
      })

      it('put with the same id replaces the key; the old hash no longer finds it', async () => {
        const store = await setup()
        const key = newKey()
        await store.put(key)
        const rotated = { ...key, hash: randomHash(), name: 'renamed', enabled: false, stages: ['x/prod'] }
        await store.put(rotated)
        expect(await store.get(key.id)).toEqual(rotated)
        expect(await store.findByHash(key.hash)).toBeUndefined()
        expect(await store.findByHash(rotated.hash)).toEqual(rotated)
        expect((await store.list()).filter((k) => k.id === key.id)).toHaveLength(1)
      })

      it('list returns every key', async () => {
        const store = await setup()
        const keys = [newKey(), newKey(), newKey()]
        for (const k of keys) await store.put(k)
        const listed = await store.list()
        for (const k of keys) expect(listed).toContainEqual(k)
      })

      it('delete removes the key, its hash and its plan links; a second delete returns false', async () => {
        const store = await setup()
        const key = newKey()
        const plan = newPlan()
        await store.put(key)
        await store.putPlan(plan)
        await store.linkKey(plan.id, key.id)
        expect(await store.delete(key.id)).toBe(true)
        expect(await store.get(key.id)).toBeUndefined()
        expect(await store.findByHash(key.hash)).toBeUndefined()
        expect((await store.list()).some((k) => k.id === key.id)).toBe(false)
        expect(await store.keysOfPlan(plan.id)).toEqual([])
        expect(await store.plansOfKey(key.id)).toEqual([])
        expect(await store.delete(key.id)).toBe(false)
        // The plan itself stays.
        expect(await store.getPlan(plan.id)).toEqual(plan)
      })

      it('a key whose id is a prefix of another is a different key', async () => {
        const store = await setup()
        const a = newKey()
        const b = newKey({ id: a.id + '1' })
        const plan = newPlan()
        await store.put(a)
        await store.put(b)
        await store.putPlan(plan)
        await store.linkKey(plan.id, a.id)
        await store.linkKey(plan.id, b.id)
        await store.delete(a.id)
        expect(await store.get(b.id)).toEqual(b)
        expect(await store.keysOfPlan(plan.id)).toEqual([b.id])
      })
    })

    describe('usage plans', () => {
      it('putPlan, then getPlan returns it whole (throttles, quota, stages, method throttles)', async () => {
        const store = await setup()
        const plan = newPlan({ description: 'for partners' })
        await store.putPlan(plan)
        expect(await store.getPlan(plan.id)).toEqual(plan)
        expect(await store.getPlan(randomId('p'))).toBeUndefined()
      })

      it('a plan without throttle, quota or stages', async () => {
        const store = await setup()
        const plan: StoredUsagePlan = { id: randomId('p'), name: 'bare', apiStages: [], source: 'config', createdAt: 1 }
        await store.putPlan(plan)
        const got = await store.getPlan(plan.id)
        expect(got).toEqual(plan)
        expect(got!.throttle).toBeUndefined()
        expect(got!.quota).toBeUndefined()
      })

      it('putPlan with the same id replaces the plan and keeps its links', async () => {
        const store = await setup()
        const plan = newPlan()
        const key = newKey()
        await store.put(key)
        await store.putPlan(plan)
        await store.linkKey(plan.id, key.id)
        const updated: StoredUsagePlan = { ...plan, name: 'Gold', throttle: undefined, quota: { limit: 5, period: 'DAY', offset: 1 }, apiStages: [] }
        delete updated.throttle
        await store.putPlan(updated)
        expect(await store.getPlan(plan.id)).toEqual(updated)
        expect(await store.keysOfPlan(plan.id)).toEqual([key.id])
        expect((await store.listPlans()).filter((p) => p.id === plan.id)).toHaveLength(1)
      })

      it('changing a returned plan does not change the stored one', async () => {
        const store = await setup()
        const plan = newPlan()
        await store.putPlan(plan)
        const got = (await store.getPlan(plan.id))!
        got.name = 'changed'
        got.apiStages[0]!.stage = 'changed'
        expect(await store.getPlan(plan.id)).toEqual(plan)
      })

      it('listPlans returns every plan', async () => {
        const store = await setup()
        const plans = [newPlan(), newPlan({ source: 'config' })]
        for (const p of plans) await store.putPlan(p)
        const listed = await store.listPlans()
        for (const p of plans) expect(listed).toContainEqual(p)
      })

      it('deletePlan removes the plan and its links, not the keys; a second delete returns false', async () => {
        const store = await setup()
        const plan = newPlan()
        const other = newPlan()
        const key = newKey()
        await store.put(key)
        await store.putPlan(plan)
        await store.putPlan(other)
        await store.linkKey(plan.id, key.id)
        await store.linkKey(other.id, key.id)
        expect(await store.deletePlan(plan.id)).toBe(true)
        expect(await store.getPlan(plan.id)).toBeUndefined()
        expect(await store.plansOfKey(key.id)).toEqual([other.id])
        expect(await store.keysOfPlan(plan.id)).toEqual([])
        expect(await store.get(key.id)).toEqual(key)
        expect(await store.deletePlan(plan.id)).toBe(false)
      })
    })

    describe('links', () => {
      it('linkKey is idempotent; plansOfKey and keysOfPlan see both sides', async () => {
        const store = await setup()
        const [p1, p2] = [newPlan(), newPlan()]
        const [k1, k2] = [newKey(), newKey()]
        for (const p of [p1, p2]) await store.putPlan(p)
        for (const k of [k1, k2]) await store.put(k)
        await store.linkKey(p1.id, k1.id)
        await store.linkKey(p1.id, k1.id)
        await store.linkKey(p1.id, k2.id)
        await store.linkKey(p2.id, k1.id)
        expect((await store.plansOfKey(k1.id)).sort()).toEqual([p1.id, p2.id].sort())
        expect(await store.plansOfKey(k2.id)).toEqual([p1.id])
        expect((await store.keysOfPlan(p1.id)).sort()).toEqual([k1.id, k2.id].sort())
        expect(await store.keysOfPlan(p2.id)).toEqual([k1.id])
        expect(await store.plansOfKey(randomId('k'))).toEqual([])
        expect(await store.keysOfPlan(randomId('p'))).toEqual([])
      })

      it('unlinkKey removes one link and says whether there was one', async () => {
        const store = await setup()
        const plan = newPlan()
        const key = newKey()
        await store.putPlan(plan)
        await store.put(key)
        await store.linkKey(plan.id, key.id)
        expect(await store.unlinkKey(plan.id, key.id)).toBe(true)
        expect(await store.unlinkKey(plan.id, key.id)).toBe(false)
        expect(await store.plansOfKey(key.id)).toEqual([])
        expect(await store.keysOfPlan(plan.id)).toEqual([])
        // The key and the plan stay.
        expect(await store.get(key.id)).toEqual(key)
        expect(await store.getPlan(plan.id)).toEqual(plan)
      })

      it(`concurrency: ${parallel} parallel links and key writes all land`, async () => {
        const store = await setup()
        const plan = newPlan()
        await store.putPlan(plan)
        const keys = Array.from({ length: parallel }, () => newKey())
        await Promise.all(keys.map(async (k) => {
          await store.put(k)
          await store.linkKey(plan.id, k.id)
        }))
        expect((await store.keysOfPlan(plan.id)).sort()).toEqual(keys.map((k) => k.id).sort())
        const found = await Promise.all(keys.map((k) => store.findByHash(k.hash)))
        expect(found.map((k) => k?.id)).toEqual(keys.map((k) => k.id))
      })
    })
  })
}
