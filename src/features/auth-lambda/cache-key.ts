import { sha256Hex } from '../../core/hash.ts'

/**
 * Result-cache keys of Lambda authorizers. The identity values are tokens and API keys, and
 * the cache may be a shared store (Redis, a Durable Object), so they only ever appear hashed.
 */

/**
 * `auth-lambda:{apiId}:{stage}:{authorizer}:{sha256 of the identity values}`. The route is not
 * part of the key: as on AWS, one answer serves every method of the stage, and its policy is
 * evaluated for each (HTTP APIs add `$context.routeKey` to the identity sources to split it).
 */
export async function authorizerCacheKey(apiId: string, stage: string, authorizer: string, values: string[]): Promise<string> {
  // JSON keeps ["a,b"] and ["a", "b"] apart, which a plain join would not.
  return `auth-lambda:${apiId}:${stage}:${authorizer}:${await sha256Hex(JSON.stringify(values))}`
}
