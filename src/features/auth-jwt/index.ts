/**
 * JWT authorizers: the HTTP API JWT authorizer (`type: jwt`, reference §6.4) and the REST
 * Cognito user pool authorizer (`type: cognito_user_pools`, §6.2). Both verify a signed token
 * against the issuer's keys, then put its claims where API Gateway puts them:
 * - HTTP API payload 2.0: requestContext.authorizer = { jwt: { claims, scopes } }
 * - HTTP API payload 1.0: requestContext.authorizer = { claims, scopes }
 * - REST (1.0): requestContext.authorizer = { claims } (plus scopes for access tokens)
 * Failures answer 401 {"message":"Unauthorized"} (403 Forbidden for a missing scope on HTTP
 * APIs); which check failed goes to the log only.
 */
import type { Feature } from '../../core/feature.ts'
import type { ResolvedDeps } from '../../core/deps.ts'
import { lastHeader, type GatewayRequest } from '../../core/request.ts'
import { GatewayError } from '../../core/errors.ts'
import type { CompiledAuthorizer } from '../../model/load.ts'
import { ASYMMETRIC_ALGORITHMS, type CognitoAuthorizerConfig, type JwtAuthorizerConfig } from '../../model/auth-schema.ts'
import type { JWTPayload } from 'jose'
import { inlineJwks, RemoteJwks, type KeySource } from './jwks.ts'
import { AuthFailure, audienceMatches, tokenScopes, verifyToken, type VerifyPolicy } from './verify.ts'
import { httpApiClaims, restClaims } from './claims.ts'
import { sha256Hex } from '../../core/hash.ts'

export { AuthFailure, verifyToken, audienceMatches, tokenScopes } from './verify.ts'
export { RemoteJwks, inlineJwks, fetchJson, discoveryUrl, KeysUnavailable, FETCH_TIMEOUT_MS, MAX_DOCUMENT_BYTES, REFETCH_FLOOR_MS, STALE_GRACE_MS } from './jwks.ts'
export { httpApiClaims, restClaims, javaDate } from './claims.ts'

/** What a route's step needs from its authorizer, built once per authorizer and gateway. */
interface AuthorizerRuntime {
  name: string
  config: JwtAuthorizerConfig | CognitoAuthorizerConfig
  policy: VerifyPolicy
  /** Cognito: full-match regex the aud claim must satisfy. */
  audPattern?: RegExp | null
  /** Reads the raw token from the request. */
  token: (req: GatewayRequest) => string | undefined
  /** Tokens verified lately (by SHA-256), so a client's next requests skip the signature check. */
  verified: Map<string, { payload: JWTPayload; until: number }>
}

/** How long a verified token is trusted without checking its signature again. */
const VERIFIED_TTL_MS = 60_000
const VERIFIED_MAX = 10_000

/**
 * Verifies a token, or reuses the outcome of an earlier verification of the same token for up
 * to a minute (never past its exp). A key removed from the JWKS therefore stops working within
 * a minute, as with the JWKS cache itself; claim checks (iss, aud, scopes) still run each time.
 */
async function verifyCached(rt: AuthorizerRuntime, token: string, now: number): Promise<JWTPayload> {
  const key = await sha256Hex(token)
  const hit = rt.verified.get(key)
  if (hit && hit.until > now) return hit.payload
  const { payload } = await verifyToken(token, rt.policy, now)
  const exp = typeof payload.exp === 'number' ? payload.exp * 1000 : now
  rt.verified.delete(key)
  rt.verified.set(key, { payload, until: Math.min(exp, now + VERIFIED_TTL_MS) })
  if (rt.verified.size > VERIFIED_MAX) rt.verified.delete(rt.verified.keys().next().value!)
  return payload
}

// Keyed by the gateway's deps so that each gateway (and each test) has its own key caches,
// shared by every route using the authorizer.
const runtimes = new WeakMap<ResolvedDeps, WeakMap<CompiledAuthorizer, AuthorizerRuntime>>()

function runtimeFor(deps: ResolvedDeps, authorizer: CompiledAuthorizer): AuthorizerRuntime {
  let perDeps = runtimes.get(deps)
  if (!perDeps) runtimes.set(deps, (perDeps = new WeakMap()))
  let rt = perDeps.get(authorizer)
  if (!rt) perDeps.set(authorizer, (rt = buildRuntime(deps, authorizer)))
  return rt
}

function buildRuntime(deps: ResolvedDeps, authorizer: CompiledAuthorizer): AuthorizerRuntime {
  const config = authorizer.config as JwtAuthorizerConfig | CognitoAuthorizerConfig
  const remote = (issuer: string) =>
    new RemoteJwks({
      jwksUri: config.jwksUri,
      issuer,
      ttlMs: config.jwksCacheSeconds * 1000,
      fetch: deps.fetch,
      clock: deps.clock,
      logger: deps.logger,
      label: authorizer.name,
    })
  const issuers = new Map<string, KeySource>()
  if (config.type === 'jwt') {
    issuers.set(config.issuer, config.jwks ? inlineJwks(config.jwks) : remote(config.issuer))
  } else {
    const names = config.issuer ? [config.issuer] : config.providerArns.map(cognitoIssuer)
    // One inline set or one configured URL serves every pool; otherwise each pool's own keys.
    const shared = config.jwks ? inlineJwks(config.jwks) : config.jwksUri ? remote(names[0]!) : undefined
    for (const iss of names) issuers.set(iss, shared ?? remote(iss))
  }
  const policy: VerifyPolicy = {
    issuers,
    algorithms: config.algorithms ?? (config.type === 'cognito_user_pools' ? ['RS256'] : ASYMMETRIC_ALGORITHMS),
    clockSkewSeconds: config.clockSkewSeconds,
    maxTokenBytes: config.maxTokenBytes,
  }
  const rt: AuthorizerRuntime = { name: authorizer.name, config, policy, token: tokenReader(config.identitySource), verified: new Map() }
  if (config.type === 'cognito_user_pools' && config.identityValidationExpression !== undefined) {
    try {
      rt.audPattern = new RegExp(`^(?:${config.identityValidationExpression})$`)
    } catch {
      // The loader rejects invalid expressions; should one slip through, nothing matches.
      rt.audPattern = null
    }
  }
  return rt
}

/** https://cognito-idp.<region>.amazonaws.com/<pool id>, from the user pool ARN. */
export function cognitoIssuer(arn: string): string {
  const parts = arn.split(':')
  const pool = arn.slice(arn.indexOf('userpool/') + 'userpool/'.length)
  return `https://cognito-idp.${parts[3]}.amazonaws.com/${pool}`
}

/** A reader for `$request.header.X`, `$request.querystring.X`, `$request.cookie.X` or `method.request.header.X`. */
function tokenReader(identitySource: string): (req: GatewayRequest) => string | undefined {
  const m = /^(?:\$request\.(header|querystring|cookie)|method\.request\.(header))\.(.+)$/.exec(identitySource)
  const kind = m?.[1] ?? m?.[2]
  const name = m?.[3] ?? 'Authorization'
  if (kind === 'querystring') {
    return (req) => {
      const values = new URLSearchParams(req.rawQueryString).getAll(name)
      return values[values.length - 1]
    }
  }
  if (kind === 'cookie') {
    return (req) => {
      for (const [k, v] of req.headers) {
        if (k.toLowerCase() !== 'cookie') continue
        for (const part of v.split(';')) {
          const eq = part.indexOf('=')
          if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1')
        }
      }
      return undefined
    }
  }
  return (req) => {
    const value = lastHeader(req, name)?.trim()
    return value?.replace(/^Bearer(?:\s+|$)/i, '')
  }
}

const INVALID_TOKEN = 'Bearer scope="" error="invalid_token" error_description="the token is invalid"'

/**
 * The JWT / Cognito user pool authorizer feature. Runs first among the authorizers
 * (priority 1400) on routes whose authorization names a `jwt` or `cognito_user_pools`
 * authorizer.
 */
export const jwtFeature: Feature = {
  name: 'auth-jwt',
  priority: 1400,
  create({ route, api, deps }) {
    const auth = route.authorization
    if (typeof auth !== 'object') return undefined
    const type = auth.authorizer.config.type
    if (type !== 'jwt' && type !== 'cognito_user_pools') return undefined
    const rt = runtimeFor(deps, auth.authorizer)
    const scopes = auth.scopes
    const isHttp = api.type !== 'REST'
    const v1Event = !isHttp || (route.integration.type === 'lambda' && route.payloadFormatVersion === '1.0')
    const label = `${type} authorizer "${rt.name}"`

    const reject = (failure: AuthFailure): GatewayError => {
      const detail = `${label}: ${failure.reason}`
      if (!isHttp) return new GatewayError('UNAUTHORIZED', { detail })
      if (failure.kind === 'forbidden') {
        const wanted = scopes.join(' ').replace(/["\\]/g, '')
        return new GatewayError('ACCESS_DENIED', {
          detail,
          headers: { 'www-authenticate': `Bearer scope="${wanted}" error="insufficient_scope" error_description="the token does not have the required scope"` },
        })
      }
      return new GatewayError('UNAUTHORIZED', { detail, headers: { 'www-authenticate': INVALID_TOKEN } })
    }

    return async (req, next) => {
      let payload: JWTPayload
      try {
        const token = rt.token(req)
        if (!token) throw new AuthFailure(`no token in ${rt.config.identitySource}`)
        payload = await verifyCached(rt, token, deps.clock.now())
        if (rt.config.type === 'jwt') checkJwt(payload, rt.config, scopes)
        else checkCognito(payload, rt.config, rt.audPattern, scopes)
      } catch (e) {
        if (e instanceof AuthFailure) throw reject(e)
        // Whatever the token did to us, the client gets the plain 401.
        deps.logger.error('jwt authorizer error', { authorizer: rt.name, error: String(e) })
        throw reject(new AuthFailure(`verification error: ${String(e)}`))
      }
      const tokenScopeList = scopes.length ? tokenScopes(payload) : null
      if (!isHttp) {
        req.authorizer = tokenScopeList ? { claims: restClaims(payload), scopes: tokenScopeList } : { claims: restClaims(payload) }
      } else if (v1Event) {
        req.authorizer = { claims: httpApiClaims(payload), scopes: tokenScopeList }
      } else {
        req.authorizer = { jwt: { claims: httpApiClaims(payload), scopes: tokenScopeList } }
      }
      return next()
    }
  },
}

/** HTTP API rules after the signature: aud or client_id, then the route's scopes (403). */
function checkJwt(payload: JWTPayload, config: JwtAuthorizerConfig, scopes: string[]): void {
  if (!audienceMatches(payload, config.audience)) throw new AuthFailure('neither aud nor client_id is an accepted audience')
  if (scopes.length && !tokenScopes(payload).some((s) => scopes.includes(s))) {
    throw new AuthFailure('token has none of the route scopes', 'forbidden')
  }
}

/**
 * Cognito rules (§6.2): a method without scopes takes ID tokens; with scopes, access tokens
 * sharing one of them. identityValidationExpression applies to aud (access tokens have none).
 */
function checkCognito(payload: JWTPayload, config: CognitoAuthorizerConfig, audPattern: RegExp | null | undefined, scopes: string[]): void {
  const use = payload.token_use
  if (scopes.length === 0) {
    if (use !== 'id') throw new AuthFailure(`token_use ${JSON.stringify(use ?? null)}: an ID token is required (method has no scopes)`)
  } else {
    if (use !== 'access') throw new AuthFailure(`token_use ${JSON.stringify(use ?? null)}: an access token is required (method has scopes)`)
    if (!tokenScopes(payload).some((s) => scopes.includes(s))) throw new AuthFailure('access token has none of the method scopes')
  }
  if (audPattern !== undefined) {
    if (audPattern === null || typeof payload.aud !== 'string' || !audPattern.test(payload.aud)) {
      throw new AuthFailure('aud does not match identityValidationExpression')
    }
  }
  if (!audienceMatches(payload, config.audience)) throw new AuthFailure('neither aud nor client_id is an accepted audience')
}
