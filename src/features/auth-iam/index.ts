/**
 * IAM authorization (routes with authorization AWS_IAM) and API resource policies.
 *
 * `resourcePolicyFeature` (priority 1600) runs first on every route of an API with a resource
 * policy; `iamFeature` (1500) verifies the SigV4 signature of AWS_IAM routes, evaluates the
 * caller's identity policies and hands the caller to the integration. On an AWS_IAM route both
 * need the verified caller: the first to ask verifies, the other reuses the result (the body is
 * hashed once).
 *
 * The decision combines both policies as API Gateway does: an explicit Deny in either wins; a
 * caller of the API's own account needs an Allow from either policy; a caller of another
 * account needs both.
 */
import type { Feature, FeatureContext, RouteStep } from '../../core/feature.ts'
import type { ResolvedDeps } from '../../core/deps.ts'
import type { GatewayRequest } from '../../core/request.ts'
import type { GatewayModel } from '../../model/load.ts'
import type { PolicyDocument } from '../../model/auth-schema.ts'
import { GatewayError } from '../../core/errors.ts'
import { readBody } from '../../core/body.ts'
import { evaluatePolicies, methodArn, type PolicyDecision } from '../../core/iam-policy.ts'
import { createVerifier, EMPTY_SHA256, hex, sha256, SigV4Error, type SigV4Result, type SigV4Verifier } from './sigv4.ts'
import { resolvePrincipals, type IamPrincipal } from './credentials.ts'

export { SigV4Error, createVerifier, canonicalRequest, canonicalUri, canonicalQuery, canonicalHeaders } from './sigv4.ts'
export type { SigV4Result, SigV4Verifier, SignedRequestInput } from './sigv4.ts'
export { resolvePrincipals, uniqueIds, type IamPrincipal } from './credentials.ts'

/** The service name requests to API Gateway are signed for. */
export const SERVICE = 'execute-api'
const ACTION = 'execute-api:Invoke'

/** A request whose signature checked out. */
export interface VerifiedCaller {
  principal: IamPrincipal
  signature: SigV4Result
}

interface IamState {
  principals: Map<string, IamPrincipal>
  verifier: SigV4Verifier
}

// One state per gateway (deps are resolved once per gateway): secrets and derived keys.
const states = new WeakMap<ResolvedDeps, IamState>()
// Per request: the verification (shared by both features) and the resource policy's decision.
const verifications = new WeakMap<GatewayRequest, Promise<VerifiedCaller>>()
const resourceDecisions = new WeakMap<GatewayRequest, PolicyDecision>()

function stateFor(model: GatewayModel, deps: ResolvedDeps): IamState {
  let state = states.get(deps)
  if (!state) {
    const principals = resolvePrincipals(model.iamCredentials, deps.env)
    const verifier = createVerifier({
      region: model.settings.region,
      service: SERVICE,
      secretFor: (id) => principals.get(id)?.secretAccessKey,
    })
    state = { principals, verifier }
    states.set(deps, state)
  }
  return state
}

/**
 * Verifies the request's signature once, whichever feature asks first. Rejects with the
 * GatewayError API Gateway answers with.
 */
function verifiedCaller(req: GatewayRequest, ctx: FeatureContext, state: IamState): Promise<VerifiedCaller> {
  let pending = verifications.get(req)
  if (!pending) {
    pending = verify(req, ctx, state)
    verifications.set(req, pending)
  }
  return pending
}

async function verify(req: GatewayRequest, ctx: FeatureContext, state: IamState): Promise<VerifiedCaller> {
  const url = new URL(req.request.url)
  let bodyHash: Promise<string> | undefined
  try {
    const signature = await state.verifier.verify(
      {
        method: req.request.method,
        path: url.pathname,
        query: url.search.slice(1),
        headers: req.headers,
        host: url.host,
        bodySha256: () => (bodyHash ??= bodySha256(req)),
      },
      ctx.deps.clock.now(),
    )
    return { principal: state.principals.get(signature.accessKeyId)!, signature }
  } catch (e) {
    throw toGatewayError(e, ctx)
  }
}

/** Hashes the body from a clone, so the integration still reads the original. */
async function bodySha256(req: GatewayRequest): Promise<string> {
  if (req.request.body === null) return EMPTY_SHA256
  const bytes = await readBody({ ...req, request: req.request.clone() })
  return bytes ? hex(await sha256(bytes as Uint8Array<ArrayBuffer>)) : EMPTY_SHA256
}

/**
 * REST: AWS's types and messages. HTTP APIs answer every IAM failure with their fixed
 * 403 {"message":"Forbidden"} (their renderer has no SigV4 types).
 */
function toGatewayError(e: unknown, ctx: FeatureContext): unknown {
  if (!(e instanceof SigV4Error)) return e
  const detail = `SigV4: ${e.detail}`
  if (ctx.api.type !== 'REST') return new GatewayError('ACCESS_DENIED', { detail })
  if (e.kind === 'missing') return new GatewayError('MISSING_AUTHENTICATION_TOKEN', { detail })
  // AWS names these two failures with their own error types.
  const errorType = e.kind === 'unknown-key' ? 'UnrecognizedClientException' : e.kind === 'incomplete' ? 'IncompleteSignatureException' : undefined
  return new GatewayError(e.kind === 'expired' ? 'EXPIRED_TOKEN' : 'INVALID_SIGNATURE', { message: e.message, detail, errorType })
}

/** The method ARN of the request (actual path, not the template); a WebSocket handshake's ends in its route key. */
function requestArn(req: GatewayRequest, model: GatewayModel): string {
  if (req.connection) return `arn:aws:execute-api:${model.settings.region}:${model.settings.accountId}:${req.api.id}/${req.stage.name}/${req.route.routeKey}`
  return methodArn(model.settings.region, model.settings.accountId, req.api.id, req.stage.name, req.method, req.path)
}

/** AWS shows the API's account as ********1234 in denials. */
export function maskAccount(arn: string): string {
  const parts = arn.split(':')
  if (parts.length > 5 && /^\d{12}$/.test(parts[4]!)) parts[4] = `********${parts[4]!.slice(-4)}`
  return parts.join(':')
}

function denied(who: string, arn: string, explicit: boolean, reason: string, action = ACTION): GatewayError {
  return new GatewayError('ACCESS_DENIED', {
    message: `User: ${who} is not authorized to perform: ${action} on resource: ${maskAccount(arn)}${explicit ? ' with an explicit deny' : ''}`,
    detail: reason,
  })
}

/**
 * Resource policies may name the API's own resources as `execute-api:/stage/METHOD/path` (the
 * console's templates do); written out to full ARNs once, at build time.
 */
function expandShorthand(policy: PolicyDocument, ctx: FeatureContext): PolicyDocument {
  const prefix = `arn:aws:execute-api:${ctx.model.settings.region}:${ctx.model.settings.accountId}:${ctx.api.id}`
  const expand = (v: string | string[] | undefined) => {
    if (v === undefined) return undefined
    const one = (r: string) => (r.startsWith('execute-api:/') ? prefix + r.slice('execute-api:'.length) : r)
    return Array.isArray(v) ? v.map(one) : one(v)
  }
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement]
  return {
    ...policy,
    Statement: statements.map((s) => {
      const out = { ...s }
      if (s.Resource !== undefined) out.Resource = expand(s.Resource)
      if (s.NotResource !== undefined) out.NotResource = expand(s.NotResource)
      return out
    }),
  }
}

/** Hands the caller to the integration: identity (payload 1.0) and authorizer.iam (2.0). */
function exposeCaller(req: GatewayRequest, caller: IamPrincipal): void {
  req.identity = {
    ...req.identity,
    accessKey: caller.accessKeyId,
    accountId: caller.accountId,
    caller: caller.callerId,
    user: caller.userId,
    userArn: caller.arn,
  }
  if (req.api.type !== 'REST' && req.route.payloadFormatVersion === '2.0') {
    req.authorizer = {
      iam: {
        accessKey: caller.accessKeyId,
        accountId: caller.accountId,
        callerId: caller.callerId,
        cognitoIdentity: null,
        principalOrgId: null,
        userArn: caller.arn,
        userId: caller.userId,
      },
    }
  }
}

/** AWS_IAM routes: SigV4 verification and identity policies for execute-api:Invoke. */
export const iamFeature: Feature = {
  name: 'auth-iam',
  priority: 1500,
  create(ctx) {
    if (ctx.route.authorization !== 'AWS_IAM') return undefined
    const state = stateFor(ctx.model, ctx.deps)
    // The @connections API is guarded by its own action (execute-api:ManageConnections).
    const action = ctx.route.iamAction ?? ACTION
    const step: RouteStep = async (req, next) => {
      const { principal } = await verifiedCaller(req, ctx, state)
      const arn = requestArn(req, ctx.model)
      const identity = evaluatePolicies(principal.policies, { action, resource: arn, sourceIp: req.sourceIp })
      if (identity === 'EXPLICIT_DENY') {
        throw denied(principal.arn, arn, true, `identity policy of ${principal.accessKeyId} denies ${req.method} ${req.path}`, action)
      }
      // Undefined when the API has no resource policy.
      const resource = resourceDecisions.get(req)
      const sameAccount = principal.accountId === ctx.model.settings.accountId
      const allowed =
        resource === undefined
          ? identity === 'ALLOW'
          : sameAccount
            ? identity === 'ALLOW' || resource === 'ALLOW'
            : identity === 'ALLOW' && resource === 'ALLOW'
      if (!allowed) {
        const reason =
          identity === 'ALLOW'
            ? `no resource policy statement allows ${principal.arn} (another account)`
            : `no identity policy of ${principal.accessKeyId} allows ${req.method} ${req.path}`
        throw denied(principal.arn, arn, false, reason, action)
      }
      exposeCaller(req, principal)
      return next()
    }
    return step
  },
}

/**
 * Every route of an API with a resource policy: the policy is evaluated with the caller's ARN
 * (AWS_IAM routes, once the signature checks out) or "anonymous", and the client's address
 * for aws:SourceIp conditions.
 */
export const resourcePolicyFeature: Feature = {
  name: 'resource-policy',
  priority: 1600,
  create(ctx) {
    if (!ctx.api.resourcePolicy) return undefined
    const policy = expandShorthand(ctx.api.resourcePolicy, ctx)
    const iam = ctx.route.authorization === 'AWS_IAM'
    const state = iam ? stateFor(ctx.model, ctx.deps) : undefined
    const step: RouteStep = async (req, next) => {
      const caller = state ? (await verifiedCaller(req, ctx, state)).principal : undefined
      const who = caller?.arn ?? 'anonymous'
      const arn = requestArn(req, ctx.model)
      const decision = evaluatePolicies([policy], { action: ACTION, resource: arn, sourceIp: req.sourceIp, principal: who })
      if (decision === 'EXPLICIT_DENY') {
        throw denied(who, arn, true, `resource policy denies ${who} from ${req.sourceIp}`)
      }
      if (caller) {
        // The IAM step weighs this against the identity policies.
        resourceDecisions.set(req, decision)
        if (decision === 'ALLOW' || caller.accountId === ctx.model.settings.accountId) return next()
      }
      if (decision !== 'ALLOW') throw denied(who, arn, false, `no resource policy statement allows ${who} from ${req.sourceIp}`)
      return next()
    }
    return step
  },
}
