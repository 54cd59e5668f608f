/**
 * Token verification shared by the JWT (HTTP API) and Cognito (REST) authorizers: shape and
 * size, algorithm allow-list, issuer, key, signature and time claims. The audience, token_use
 * and scope rules differ per authorizer type and live with the feature.
 *
 * Every failure is an AuthFailure whose reason is for the log only: clients learn nothing
 * about which check failed.
 */
import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose'
import { KeysUnavailable, type KeySource } from './jwks.ts'

/** A rejected token; `reason` goes to the log, never to the client. */
export class AuthFailure extends Error {
  readonly reason: string
  /** 401 for an invalid token, 403 for a valid one without a required scope (HTTP APIs). */
  readonly kind: 'unauthorized' | 'forbidden'
  constructor(reason: string, kind: 'unauthorized' | 'forbidden' = 'unauthorized') {
    super(reason)
    this.name = 'AuthFailure'
    this.reason = reason
    this.kind = kind
  }
}

export interface VerifyPolicy {
  /** Accepted iss values (compared exactly) and where each one's keys come from. */
  issuers: Map<string, KeySource>
  /** Accepted JWS algorithms; asymmetric only (the schema allows nothing else). */
  algorithms: readonly string[]
  clockSkewSeconds: number
  maxTokenBytes: number
}

export interface VerifiedToken {
  header: ProtectedHeaderParameters
  payload: JWTPayload
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

/**
 * Verifies a compact JWS token against the policy at time `nowMs`.
 * @throws AuthFailure naming the failed check
 */
export async function verifyToken(token: string, policy: VerifyPolicy, nowMs: number): Promise<VerifiedToken> {
  if (token.length > policy.maxTokenBytes) throw new AuthFailure(`token is ${token.length} bytes, over maxTokenBytes ${policy.maxTokenBytes}`)
  if (!COMPACT_JWS.test(token)) throw new AuthFailure('not a compact JWS')

  let header: ProtectedHeaderParameters
  let unverified: JWTPayload
  try {
    header = decodeProtectedHeader(token)
    unverified = decodeJwt(token)
  } catch {
    throw new AuthFailure('malformed token header or payload')
  }
  // Checked before any key lookup: `none` and HS* (the alg-confusion attack, where the public
  // key is used as an HMAC secret) never reach a key, let alone a fetch.
  const alg = header.alg
  if (typeof alg !== 'string' || !policy.algorithms.includes(alg)) throw new AuthFailure(`algorithm ${printable(alg)} not allowed`)
  if (typeof header.kid !== 'string' || header.kid === '') throw new AuthFailure('token has no kid')

  // The issuer picks the key source, so only configured issuers can cause fetches.
  const iss = unverified.iss
  const source = typeof iss === 'string' ? policy.issuers.get(iss) : undefined
  if (!source) throw new AuthFailure(`issuer ${printable(iss)} not accepted`)

  let verified: Awaited<ReturnType<typeof jwtVerify>>
  try {
    verified = await jwtVerify(token, (h, t) => source.getKey(h, t), {
      algorithms: [...policy.algorithms],
      issuer: iss,
      currentDate: new Date(nowMs),
      clockTolerance: policy.clockSkewSeconds,
      requiredClaims: ['exp'],
    })
  } catch (e) {
    throw new AuthFailure(describe(e, header.kid))
  }
  const { payload } = verified
  // jose checks iat only together with maxTokenAge; AWS wants it in the past.
  if (typeof payload.iat === 'number' && payload.iat > nowMs / 1000 + policy.clockSkewSeconds) {
    throw new AuthFailure('iat is in the future')
  }
  return { header: verified.protectedHeader, payload }
}

/** Whether the token's aud (string or list), or else its client_id, is in `audience`; empty accepts any. */
export function audienceMatches(payload: JWTPayload, audience: readonly string[]): boolean {
  if (audience.length === 0) return true
  const aud = payload.aud
  const auds = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : []
  if (auds.some((a) => audience.includes(a))) return true
  return typeof payload.client_id === 'string' && audience.includes(payload.client_id)
}

/** The token's scopes: `scp` (list or space-separated) or `scope` (space-separated). */
export function tokenScopes(payload: JWTPayload): string[] {
  const raw = payload.scp ?? payload.scope
  if (typeof raw === 'string') return raw.split(' ').filter(Boolean)
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === 'string')
  return []
}

function describe(e: unknown, kid: string): string {
  if (e instanceof KeysUnavailable) return `keys unavailable: ${e.message}`
  const err = e as { code?: string; claim?: string; message?: string }
  switch (err.code) {
    case 'ERR_JWT_EXPIRED':
      return 'token expired'
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `claim check failed: ${err.message}`
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature does not verify'
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return `no key for kid ${printable(kid)}`
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'algorithm not allowed'
    default:
      return `invalid token (${err.code ?? (e as Error)?.name ?? 'error'}: ${err.message ?? ''})`
  }
}

/** An attacker-supplied value, shortened and quoted for the log. */
function printable(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? 'undefined'
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s)
}
