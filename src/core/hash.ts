/**
 * SHA-256 for hot paths (API key lookups, cache keys, authorizer cache keys). WebCrypto's
 * digest is asynchronous and costs tens of microseconds a call; where the runtime offers
 * node:crypto (Node, Bun, workerd with nodejs_compat) the synchronous hash is used instead.
 */

interface NodeHash {
  update(data: string | Uint8Array): NodeHash
  digest(): Uint8Array
}

const nodeCrypto = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.(
  'node:crypto',
) as { createHash(algorithm: string): NodeHash; hash?: (algorithm: string, data: string | Uint8Array, encoding: 'buffer') => Uint8Array } | undefined

/** One-shot hashing (Node 21.7+): no Hash object per call. */
const oneShot = typeof nodeCrypto?.hash === 'function' ? nodeCrypto.hash.bind(nodeCrypto) : undefined
/** The same, writing the hex digest natively. */
const oneShotHex = oneShot as ((algorithm: string, data: string | Uint8Array, encoding: 'hex') => string) | undefined

const encoder = new TextEncoder()

/** SHA-256 of a string's UTF-8 bytes, or of bytes. */
export async function sha256(data: string | Uint8Array): Promise<Uint8Array> {
  if (oneShot) return new Uint8Array(oneShot('sha256', data, 'buffer'))
  if (nodeCrypto) return new Uint8Array(nodeCrypto.createHash('sha256').update(data).digest())
  const bytes = typeof data === 'string' ? encoder.encode(data) : data
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** Lowercase hex of SHA-256. */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  if (oneShotHex) return oneShotHex('sha256', data, 'hex')
  const digest = await sha256(data)
  let out = ''
  for (let i = 0; i < digest.length; i++) out += HEX[digest[i]!]
  return out
}
