/**
 * Headers the gateway changes on the way to an integration: hop-by-hop headers go, and the
 * X-Forwarded-For / -Port / -Proto and X-Amzn-Trace-Id headers a regional API adds are set.
 */
import type { GatewayRequest } from '../core/request.ts'

/** RFC 9110 §7.6.1 connection-specific headers, never forwarded. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
])

const GATEWAY_SET = new Set(['x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto', 'x-amzn-trace-id'])

/**
 * The client's headers as an integration receives them, in order, with the gateway's
 * forwarding headers appended. `drop` names further headers (lowercase) to remove.
 */
export function integrationHeaders(req: GatewayRequest, drop: ReadonlySet<string> = new Set()): [string, string][] {
  const out: [string, string][] = []
  let priorXff: string | undefined
  for (const [name, value] of req.headers) {
    const lower = name.toLowerCase()
    if (lower === 'x-forwarded-for') priorXff = priorXff ? `${priorXff}, ${value}` : value
    if (HOP_BY_HOP.has(lower) || GATEWAY_SET.has(lower) || drop.has(lower)) continue
    out.push([name, value])
  }
  out.push(['X-Amzn-Trace-Id', req.traceId])
  out.push(['X-Forwarded-For', priorXff ? `${priorXff}, ${req.peerIp}` : req.peerIp])
  out.push(['X-Forwarded-Port', req.port])
  out.push(['X-Forwarded-Proto', req.scheme])
  return out
}
