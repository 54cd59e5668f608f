/**
 * API key helpers shared by the request check, start-up and the future admin API / CLI:
 * hashing (SHA-256, hex), the constant-time comparisons, new key values, and
 * storing the keys declared in config. Key values never leave these functions in clear: only
 * their hashes are stored, and errors name keys and variables, never values.
 */
import type { ResolvedDeps } from '../../core/deps.ts'
import { configApiKeyId } from '../../model/load.ts'
import { sha256Hex } from '../../core/hash.ts'
import type { ApiKeyConfig } from '../../model/auth-schema.ts'
import type { GatewayModel } from '../../model/load.ts'
import type { StoredApiKey } from '../../storage/ports.ts'

/** AWS's bounds on an API key value (reference §4.2). */
export const API_KEY_MIN_LENGTH = 20
export const API_KEY_MAX_LENGTH = 128

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** The hash a KeyStore keeps for a key value: SHA-256, lowercase hex (StoredApiKey.hash). */
export async function hashApiKey(value: string): Promise<string> {
  return sha256Hex(value)
}

/**
 * Compares two byte arrays in time that depends only on their length, never on where they
 * first differ: every byte pair is XORed into one accumulator and the result is read once at
 * the end. Lengths are not secret (both sides are SHA-256 digests), so unequal lengths return
 * early.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

/**
 * constantTimeEqual() for two strings (hex digests): every char code pair is XORed into one
 * accumulator. Unequal lengths return early (digest lengths are not secret).
 */
export function constantTimeEqualText(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

/**
 * A new API key value: 40 random base62 characters (about 238 bits). Bytes of 248 and above
 * are drawn again, so every character is equally likely (248 = 4 × 62; a plain `% 62` over
 * 0-255 would favour the first eight characters).
 */
export function generateApiKeyValue(): string {
  let out = ''
  const bytes = new Uint8Array(64)
  while (out.length < 40) {
    crypto.getRandomValues(bytes)
    for (const b of bytes) {
      if (b >= 248) continue
      out += BASE62[b % 62]
      if (out.length === 40) break
    }
  }
  return out
}

/**
 * The id of a config key: its `id`, or one derived from its name so that it stays the same
 * across restarts (usage records and access logs refer to keys by id). The seed is prefixed so
 * that a key named like an API does not get that API's id.
 */
export function configKeyId(key: Pick<ApiKeyConfig, 'id' | 'name'>): string {
  return configApiKeyId(key)
}

/**
 * Hashes every API key declared in config and puts it in the KeyStore (deps.stores.keyStore).
 * A value comes from the config or from `deps.env[valueEnv]`. Throws one error listing every
 * problem (a missing variable, a value outside 20-128 characters, two keys with the same
 * value or id), naming keys and variables but never values. A key already stored under the
 * same id keeps its creation time and its stages (which usage plans manage).
 * @returns the keys as stored
 */
export async function storeConfigKeys(
  model: Pick<GatewayModel, 'apiKeys'>,
  deps: Pick<ResolvedDeps, 'env' | 'clock'> & { stores: Pick<ResolvedDeps['stores'], 'keyStore'> },
): Promise<StoredApiKey[]> {
  const problems: string[] = []
  const resolved: { key: ApiKeyConfig; id: string; value: string }[] = []
  for (const key of model.apiKeys) {
    const value = key.value ?? (key.valueEnv === undefined ? undefined : deps.env[key.valueEnv])
    if (value === undefined || value === '') {
      problems.push(`API key "${key.name}": environment variable ${key.valueEnv} is not set`)
      continue
    }
    if (value.length < API_KEY_MIN_LENGTH || value.length > API_KEY_MAX_LENGTH) {
      const from = key.valueEnv === undefined ? 'its value' : `the value of ${key.valueEnv}`
      problems.push(`API key "${key.name}": ${from} must be ${API_KEY_MIN_LENGTH} to ${API_KEY_MAX_LENGTH} characters`)
      continue
    }
    resolved.push({ key, id: configKeyId(key), value })
  }

  const hashed = await Promise.all(resolved.map(async (r) => ({ ...r, hash: await hashApiKey(r.value) })))
  // The loader rejects equal literal values and ids; values from the environment and derived
  // ids can still collide, and a KeyStore finds one key per hash.
  const byHash = new Map<string, string>()
  const byId = new Map<string, string>()
  for (const { key, id, hash } of hashed) {
    const sameValue = byHash.get(hash)
    if (sameValue !== undefined) problems.push(`API key "${key.name}": the same value as API key "${sameValue}"`)
    else byHash.set(hash, key.name)
    const sameId = byId.get(id)
    if (sameId !== undefined) problems.push(`API key "${key.name}": the same id ${id} as API key "${sameId}"`)
    else byId.set(id, key.name)
  }
  if (problems.length) throw new Error(`invalid API keys:\n  ${problems.join('\n  ')}`)

  const store = deps.stores.keyStore
  const stored: StoredApiKey[] = []
  for (const { key, id, hash } of hashed) {
    const [prior, holder] = await Promise.all([store.get(id), store.findByHash(hash)])
    if (holder && holder.id !== id && holder.hash === hash) {
      throw new Error(`API key "${key.name}": the key store already holds this value under id ${holder.id}`)
    }
    const entry: StoredApiKey = { id, name: key.name, hash, enabled: key.enabled, createdAt: prior?.createdAt ?? deps.clock.now() }
    if (prior?.stages) entry.stages = prior.stages
    await store.put(entry)
    stored.push(entry)
  }
  return stored
}
