/**
 * API keys (REST routes with `apiKeyRequired`; serverless.yml's `private: true`). The key comes
 * from the x-api-key header (apiKeySource HEADER) or from a Lambda authorizer's
 * usageIdentifierKey (AUTHORIZER). A missing, unknown, disabled or stage-less key gives 403
 * INVALID_API_KEY `{"message":"Forbidden"}`, before throttling, validation and the integration
 * (reference §4.2). Keys are looked up and compared by SHA-256 hash only; logs name key ids.
 */
import type { Feature, RouteStep } from '../../core/feature.ts'
import { GatewayError } from '../../core/errors.ts'
import { lastHeader, type GatewayRequest } from '../../core/request.ts'
import type { KeyStore, StoredApiKey } from '../../storage/ports.ts'
import { API_KEY_MAX_LENGTH, API_KEY_MIN_LENGTH, constantTimeEqualText, hashApiKey, storeConfigKeys } from './keys.ts'

export { constantTimeEqual, configKeyId, generateApiKeyValue, hashApiKey, storeConfigKeys } from './keys.ts'

/**
 * Finds the stored key a client's value belongs to, or undefined.
 *
 * Why the lookup by hash is safe against timing attacks: the store compares SHA-256 digests of
 * the client's value, not the value itself. A lookup that returns early on the first
 * differing character (string equality, a hash-map bucket, a database index) can tell an
 * attacker how much of *the digest of their guess* matches a stored digest, but they cannot
 * steer a digest towards a chosen prefix (SHA-256 is preimage resistant), so that tells them
 * nothing about any key value; guessing stays a search over the whole key space. The
 * constant-time comparison afterwards confirms the entry really matches byte for byte,
 * whatever the store's own matching does (e.g. a case-insensitive collation in SQL).
 */
export async function findApiKey(store: KeyStore, value: string): Promise<StoredApiKey | undefined> {
  const digest = await hashApiKey(value)
  const stored = await store.findByHash(digest)
  if (!stored) return undefined
  return constantTimeEqualText(stored.hash.toLowerCase(), digest) ? stored : undefined
}

/** The API key check: runs after authorizers (which may supply the key) and before throttling. */
export const apiKeyFeature: Feature = {
  name: 'api-key',
  priority: 1000,

  async init({ model, deps }) {
    await storeConfigKeys(model, deps)
  },

  create({ route, api, deps }): RouteStep | undefined {
    // REST routes and WebSocket $connect take API keys; HTTP APIs have none on AWS (the loader refuses them).
    if (!route.apiKeyRequired || api.type === 'HTTP') return undefined
    const fromAuthorizer = api.apiKeySource === 'AUTHORIZER'
    const store = deps.stores.keyStore

    return async (req, next) => {
      const value = fromAuthorizer ? req.usageIdentifierKey : lastHeader(req, 'x-api-key')
      if (!value) {
        throw forbidden(fromAuthorizer ? 'no usageIdentifierKey from a Lambda authorizer (apiKeySource AUTHORIZER)' : 'no x-api-key header')
      }
      // A value AWS could never have issued cannot match; no need to hash or look it up.
      if (value.length < API_KEY_MIN_LENGTH || value.length > API_KEY_MAX_LENGTH) throw forbidden('unknown API key')

      let key: StoredApiKey | undefined
      try {
        key = await findApiKey(store, value)
      } catch (e) {
        // Fail closed: without the store no key can be verified. A 5XX, not 403, because the
        // client's key may well be valid.
        throw new GatewayError('DEFAULT_5XX', { detail: `API key store failed: ${String(e)}`, cause: e })
      }
      if (!key) throw forbidden('unknown API key')
      if (!key.enabled) throw forbidden(`API key ${key.id} is disabled`)
      const stage = stageRef(req)
      if (key.stages && !key.stages.includes(stage)) throw forbidden(`API key ${key.id} is not allowed on ${stage}`)

      // AWS sets both $context.identity.apiKey (the value) and .apiKeyId (reference §4.2); the
      // integration is the API owner's own code and, with HEADER, receives x-api-key anyway.
      // Only the id reaches logs: the access log knows identity.apiKeyId, not apiKey.
      req.identity = { ...req.identity, apiKey: value, apiKeyId: key.id }
      return next()
    }
  },
}

/** The usage-plan stage reference of a request: "apiId/stage" (StoredApiKey.stages). */
function stageRef(req: GatewayRequest): string {
  return `${req.api.id}/${req.stage.name}`
}

/** 403 {"message":"Forbidden"}; `detail` (logged) names a key id at most, never a value. */
function forbidden(detail: string): GatewayError {
  return new GatewayError('INVALID_API_KEY', { detail })
}
