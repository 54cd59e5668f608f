/** KeyStore in memory (tests, demos, single-instance gateways). */
import type { KeyStore, StoredApiKey, StoredUsagePlan } from '../ports.ts'

export function memoryKeyStore(): KeyStore {
  const byId = new Map<string, StoredApiKey>()
  const byHash = new Map<string, string>()
  const plans = new Map<string, StoredUsagePlan>()
  // "planId keyId" pairs.
  const links = new Set<string>()
  const clone = <T>(v: T): T => structuredClone(v)
  return {
    async findByHash(hash) {
      const id = byHash.get(hash)
      return id === undefined ? undefined : byId.get(id)
    },
    async get(id) {
      return byId.get(id)
    },
    async put(key) {
      const prior = byId.get(key.id)
      if (prior) byHash.delete(prior.hash)
      byId.set(key.id, { ...key })
      byHash.set(key.hash, key.id)
    },
    async delete(id) {
      const prior = byId.get(id)
      if (!prior) return false
      byId.delete(id)
      byHash.delete(prior.hash)
      for (const link of links) if (link.endsWith(' ' + id)) links.delete(link)
      return true
    },
    async list() {
      return [...byId.values()]
    },
    async putPlan(plan) {
      plans.set(plan.id, clone(plan))
    },
    async getPlan(id) {
      const plan = plans.get(id)
      return plan && clone(plan)
    },
    async listPlans() {
      return [...plans.values()].map(clone)
    },
    async deletePlan(id) {
      if (!plans.delete(id)) return false
      for (const link of links) if (link.startsWith(id + ' ')) links.delete(link)
      return true
    },
    async linkKey(planId, keyId) {
      links.add(`${planId} ${keyId}`)
    },
    async unlinkKey(planId, keyId) {
      return links.delete(`${planId} ${keyId}`)
    },
    async plansOfKey(keyId) {
      return [...links].filter((l) => l.endsWith(' ' + keyId)).map((l) => l.split(' ')[0]!)
    },
    async keysOfPlan(planId) {
      return [...links].filter((l) => l.startsWith(planId + ' ')).map((l) => l.split(' ')[1]!)
    },
  }
}
