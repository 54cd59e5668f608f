/**
 * IAM policy evaluation for execute-api: the decision API Gateway makes on a Lambda
 * authorizer's policy, on a caller's identity policies (AWS_IAM) and on an API's resource
 * policy. An explicit Deny wins; otherwise an Allow is needed; otherwise the deny is implicit.
 */
import type { PolicyDocument, PolicyStatement } from '../model/auth-schema.ts'

export type PolicyDecision = 'ALLOW' | 'EXPLICIT_DENY' | 'IMPLICIT_DENY'

export interface PolicyRequest {
  /** e.g. execute-api:Invoke */
  action: string
  /** The method ARN: arn:aws:execute-api:region:account:apiId/stage/METHOD/path */
  resource: string
  /** Client address, for aws:SourceIp conditions. */
  sourceIp?: string
  /** Caller ARN or "anonymous", for resource-policy principals. */
  principal?: string
}

/** `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path without leading /}` */
export function methodArn(region: string, account: string, apiId: string, stage: string, method: string, path: string): string {
  return `arn:aws:execute-api:${region}:${account}:${apiId}/${stage}/${method}/${path.replace(/^\//, '')}`
}

/**
 * IAM wildcard match over the whole string: `*` is any run of characters (slashes too), `?`
 * exactly one. Compiled patterns are cached, since the same policies are matched again and again.
 */
export function globMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const key = (ignoreCase ? 'i:' : 's:') + pattern
  let re = globCache.get(key)
  if (!re) {
    const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]')
    re = new RegExp(`^${source}$`, ignoreCase ? 'i' : '')
    if (globCache.size > 5000) globCache.clear()
    globCache.set(key, re)
  }
  return re.test(value)
}
const globCache = new Map<string, RegExp>()

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v])

function statementApplies(s: PolicyStatement, req: PolicyRequest): boolean {
  // Actions are case-insensitive in IAM; resources (ARNs) are not.
  const actionHit = s.Action !== undefined
    ? list(s.Action).some((a) => globMatch(a, req.action, true))
    : !list(s.NotAction).some((a) => globMatch(a, req.action, true))
  if (!actionHit) return false
  const resourceHit = s.Resource !== undefined
    ? list(s.Resource).some((r) => globMatch(r, req.resource))
    : !list(s.NotResource).some((r) => globMatch(r, req.resource))
  if (!resourceHit) return false
  if (s.Principal !== undefined && req.principal !== undefined && !principalMatches(s.Principal, req.principal)) return false
  if (s.Condition) {
    for (const [operator, values] of Object.entries(s.Condition)) {
      const ranges = list(values['aws:SourceIp'])
      const inRange = req.sourceIp !== undefined && ranges.some((r) => ipInRange(req.sourceIp!, r))
      if (operator === 'IpAddress' && !inRange) return false
      if (operator === 'NotIpAddress' && inRange) return false
    }
  }
  return true
}

function principalMatches(principal: '*' | Record<string, string | string[]>, caller: string): boolean {
  if (principal === '*') return true
  return list(principal.AWS).some((p) => p === '*' || p === caller || (/^\d{12}$/.test(p) && caller.includes(`::${p}:`)) || p === `arn:aws:iam::${caller.split(':')[4]}:root`)
}

/** Evaluates documents together: explicit Deny > Allow > implicit deny. */
export function evaluatePolicies(documents: PolicyDocument[], req: PolicyRequest): PolicyDecision {
  let allowed = false
  for (const doc of documents) {
    const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]
    for (const s of statements) {
      if (!statementApplies(s, req)) continue
      if (s.Effect === 'Deny') return 'EXPLICIT_DENY'
      allowed = true
    }
  }
  return allowed ? 'ALLOW' : 'IMPLICIT_DENY'
}

/** Whether `ip` is `range` (an address) or inside it (CIDR), IPv4 or IPv6. */
export function ipInRange(ip: string, range: string): boolean {
  const [base, bitsText] = range.split('/')
  const a = ipBytes(ip)
  const b = ipBytes(base!)
  if (!a || !b || a.length !== b.length) return false
  const bits = bitsText === undefined ? a.length * 8 : Number(bitsText)
  if (!Number.isInteger(bits) || bits < 0 || bits > a.length * 8) return false
  for (let i = 0; i < a.length; i++) {
    const take = Math.max(0, Math.min(8, bits - i * 8))
    const mask = take === 0 ? 0 : (0xff << (8 - take)) & 0xff
    if ((a[i]! & mask) !== (b[i]! & mask)) return false
  }
  return true
}

function ipBytes(ip: string): number[] | null {
  const v4 = ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(v4)) {
    const parts = v4.split('.').map(Number)
    return parts.every((p) => p <= 255) ? parts : null
  }
  if (!ip.includes(':')) return null
  const [head, tail] = ip.split('::') as [string, string | undefined]
  if (ip.split('::').length > 2) return null
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const missing = 8 - h.length - t.length
  if (tail === undefined ? h.length !== 8 : missing < 0) return null
  const groups = [...h, ...Array(tail === undefined ? 0 : missing).fill('0'), ...t]
  const out: number[] = []
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null
    const n = parseInt(g, 16)
    out.push(n >> 8, n & 0xff)
  }
  return out
}
