/**
 * Response cache keys: a SHA-256 of a canonical description of what makes two requests
 * "the same" to the cache (AWS: stage + resource + method + the listed cacheKeyParameters),
 * plus, on per-caller routes, who is calling.
 */
import { sha256Hex } from '../../core/hash.ts'
import type { CacheKeyParameter } from '../../model/load.ts'
import type { GatewayRequest } from '../../core/request.ts'

/**
 * JWT / Cognito claims that change with every token of the same user; keeping them would
 * give each token its own entries (correct but useless).
 */
const VOLATILE_CLAIMS = new Set(['iat', 'exp', 'nbf', 'auth_time', 'jti', 'origin_jti', 'event_id'])

/**
 * Who is calling, as far as the gateway knows, in a canonical form; undefined when nothing
 * identifies the caller. What counts:
 * - the API key id (requestContext.identity.apiKeyId, set by the API key check);
 * - an IAM caller: identity.userArn (else caller, else accessKey) and cognitoIdentityId;
 * - a Lambda authorizer: its principalId and its whole context (the integration may tailor
 *   the answer to any context value, e.g. a tenant id), integrationLatency excepted;
 * - Cognito / JWT: the token's claims without the per-token ones (iat, exp, jti, ...), so a
 *   user keeps their entries across token refreshes but never shares them with another sub;
 * - payload 2.0 shapes ({lambda}, {jwt: {claims}}, {iam}) the same way.
 */
export function callerIdentity(req: GatewayRequest): string | undefined {
  const parts: Record<string, unknown> = {}
  const id = req.identity ?? {}
  if (id.apiKeyId) parts.apiKeyId = id.apiKeyId
  const iam = id.userArn || id.caller || id.accessKey
  if (iam) parts.iam = iam
  if (id.cognitoIdentityId) parts.cognitoIdentityId = id.cognitoIdentityId

  const auth = req.authorizer
  if (auth && typeof auth === 'object') {
    const context: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(auth)) {
      if (k === 'integrationLatency') continue
      if (k === 'claims' || k === 'jwt') {
        const claims = k === 'jwt' ? (v as { claims?: unknown } | null)?.claims : v
        if (claims && typeof claims === 'object') parts.claims = stableClaims(claims as Record<string, unknown>)
        if (k === 'jwt' && (v as { scopes?: unknown } | null)?.scopes) parts.scopes = (v as { scopes: unknown }).scopes
        continue
      }
      if (k === 'iam' && v && typeof v === 'object') {
        const i = v as Record<string, unknown>
        parts.iam2 = i.userArn ?? i.callerId ?? i.accessKey ?? null
        continue
      }
      context[k] = v
    }
    if (Object.keys(context).length) parts.authorizer = context
  }
  if (!Object.keys(parts).length) return undefined
  return canonicalJson(parts)
}

function stableClaims(claims: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(claims)) if (!VOLATILE_CLAIMS.has(k)) out[k] = v
  return out
}

/** The value a key parameter takes on a request; null when absent (distinct from empty). */
export function keyParameterValue(req: GatewayRequest, p: CacheKeyParameter): string | null {
  if (p.in === 'path') return req.pathParameters?.[p.name] ?? null
  if (p.in === 'querystring') {
    // The last value, as API Gateway's single-value queryStringParameters keeps it.
    const all = new URLSearchParams(req.rawQueryString).getAll(p.name)
    return all.length ? all[all.length - 1]! : null
  }
  const lower = p.name.toLowerCase()
  let value: string | null = null
  for (const [k, v] of req.headers) if (k.toLowerCase() === lower) value = v
  return value
}

/** Everything that makes up a key, before hashing. */
export interface KeyInput {
  keyParameters: CacheKeyParameter[]
  /** The caller's identity (callerIdentity()), for per-caller routes; undefined otherwise. */
  identity?: string
  /** Encrypted and plain entries never share a key (a stage may switch between them). */
  encrypted: boolean
}

/**
 * The canonical string of a request's cache key. A JSON array keeps every part apart, so no
 * value can be crafted to look like another part (`a|b` vs `a`, `b`).
 */
export function canonicalKey(req: GatewayRequest, input: KeyInput): string {
  return JSON.stringify([
    'portico-cache/1',
    req.api.id,
    req.stage.name,
    req.method,
    req.route.resourcePath,
    input.keyParameters.map((p) => [p.in, p.in === 'header' ? p.name.toLowerCase() : p.name, keyParameterValue(req, p)]),
    input.identity ?? null,
    input.encrypted,
  ])
}

// A cache sees the same few keys again and again (that is what makes it a cache): their
// digests are remembered, which costs a string lookup instead of a SHA-256 per request.
const MAX_KNOWN_DIGESTS = 10_000
const knownDigests = new Map<string, string>()

/** The stored key: SHA-256 (hex) of the canonical string. */
export async function cacheKey(req: GatewayRequest, input: KeyInput): Promise<string> {
  const canonical = canonicalKey(req, input)
  let digest = knownDigests.get(canonical)
  if (digest === undefined) {
    digest = await sha256Hex(canonical)
    if (knownDigests.size >= MAX_KNOWN_DIGESTS) knownDigests.clear()
    knownDigests.set(canonical, digest)
  }
  return digest
}

/** JSON with object keys sorted at every level, so equal identities give equal strings. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return v
    const sorted: Record<string, unknown> = {}
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k]
    return sorted
  })
}
