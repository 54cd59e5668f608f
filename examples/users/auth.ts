/**
 * The guide's TOKEN authorizer: verifies an HS256 JWT with the secret from the environment and
 * answers with an IAM policy for the method ARN, with user_id and role in its context.
 */
import { errors, jwtVerify } from 'jose'

interface TokenEvent {
  type: 'TOKEN'
  authorizationToken: string
  methodArn: string
}

/** Authorizer entry point (functions.tokenAuthorizer.handler: auth.token). */
export async function token(event: TokenEvent) {
  const secret = process.env.JWT_SECRET
  if (!secret) throw new Error('JWT_SECRET is not set')
  try {
    const { payload } = await jwtVerify(event.authorizationToken.replace('Bearer ', ''), new TextEncoder().encode(secret), {
      algorithms: ['HS256'],
    })
    const userId = String(payload.user_id)
    return generatePolicy(userId, 'Allow', event.methodArn, { user_id: userId, role: String(payload.role ?? 'user') })
  } catch (e) {
    if (e instanceof errors.JOSEError) return generatePolicy('user', 'Deny', event.methodArn)
    throw e
  }
}

function generatePolicy(principalId: string, effect: 'Allow' | 'Deny', resource: string, context?: Record<string, string>) {
  return {
    principalId,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
    ...(context ? { context } : {}),
  }
}
