/** KeyStore in memory (tests, demos, single-instance gateways). */
import type { KeyStore, StoredApiKey } from '../ports.ts'

export function memoryKeyStore(): KeyStore {
  const byId = new Map<string, StoredApiKey>()
  const byHash = new Map<string, string>()
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
      return true
    },
    async list() {
      return [...byId.values()]
    },
  }
}
