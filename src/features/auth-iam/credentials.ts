/**
 * The IAM identities of the config (iam.credentials), with their secrets resolved from the
 * config or the environment, and the identity fields API Gateway reports for each.
 */
import type { IamCredentialConfig, PolicyDocument } from '../../model/auth-schema.ts'

/** A caller that may sign requests. */
export interface IamPrincipal {
  accessKeyId: string
  /** The secret access key; never logged. */
  secretAccessKey: string
  /** identity.userArn */
  arn: string
  /** identity.accountId: the account of the ARN. */
  accountId: string
  /** identity.caller / authorizer.iam.callerId */
  callerId: string
  /** identity.user / authorizer.iam.userId */
  userId: string
  policies: PolicyDocument[]
}

/**
 * Resolves every credential's secret. Throws an Error naming the environment variable when
 * one is not set, or the key id when it is listed twice.
 */
export function resolvePrincipals(credentials: IamCredentialConfig[], env: Record<string, string | undefined>): Map<string, IamPrincipal> {
  const out = new Map<string, IamPrincipal>()
  credentials.forEach((c, i) => {
    const where = `iam.credentials[${i}] (${c.accessKeyId})`
    let secret = c.secretAccessKey
    if (secret === undefined && c.secretAccessKeyEnv !== undefined) {
      secret = env[c.secretAccessKeyEnv]
      if (!secret) throw new Error(`${where}: environment variable ${c.secretAccessKeyEnv} is not set (it should hold the secret access key)`)
    }
    if (!secret) throw new Error(`${where}: no secret access key`)
    if (out.has(c.accessKeyId)) throw new Error(`${where}: access key id ${c.accessKeyId} is listed twice`)
    const ids = uniqueIds(c.arn)
    out.set(c.accessKeyId, {
      accessKeyId: c.accessKeyId,
      secretAccessKey: secret,
      arn: c.arn,
      accountId: c.arn.split(':')[4]!,
      callerId: ids.caller,
      userId: ids.user,
      policies: c.policies,
    })
  })
  return out
}

/**
 * AWS reports unique ids (AIDA... for users, AROA...:session for assumed roles) that the config
 * does not know; Portico derives stable ones from the ARN so the same caller always gets the
 * same id.
 */
export function uniqueIds(arn: string): { caller: string; user: string } {
  const account = arn.split(':')[4]!
  const resource = arn.split(':').slice(5).join(':')
  const assumed = /^assumed-role\/([^/]+)\/(.+)$/.exec(resource)
  if (assumed) {
    const id = `AROA${pseudoId(`arn:aws:iam::${account}:role/${assumed[1]}`)}:${assumed[2]}`
    return { caller: id, user: id }
  }
  if (resource === 'root') return { caller: account, user: account }
  const prefix = resource.startsWith('role/') ? 'AROA' : 'AIDA'
  const id = prefix + pseudoId(arn)
  return { caller: id, user: id }
}

/** 17 characters of [A-Z2-7] from FNV-1a hashes of the text (identity only, not security). */
function pseudoId(text: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let out = ''
  for (let round = 0; out.length < 17; round++) {
    let h = 0x811c9dc5 ^ round
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i)
      h = Math.imul(h, 0x01000193) >>> 0
    }
    for (let k = 0; k < 6 && out.length < 17; k++) out += alphabet[(h >>> (k * 5)) & 31]
  }
  return out
}
