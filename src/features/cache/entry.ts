/**
 * Cache entries: which response headers are kept, and encryption at rest (stages with
 * dataEncrypted) with AES-256-GCM, a random 96-bit IV per entry and the entry's cache key as
 * additional data, so an entry moved to another key no longer decrypts.
 */
import type { CachedResponse } from '../../storage/ports.ts'

/**
 * Response headers never stored: hop-by-hop ones and the gateway's per-request ids (added
 * again to every answer). Content-Length is kept for HEAD answers and reset on the others.
 */
const NOT_STORED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'x-amzn-requestid',
  'x-amz-apigw-id',
  'x-amzn-trace-id',
  'apigw-requestid',
  'age',
])

/** The headers of a response as they go into an entry. */
export function storedHeaders(headers: Headers): [string, string][] {
  const out: [string, string][] = []
  for (const [name, value] of headers) if (!NOT_STORED.has(name.toLowerCase())) out.push([name, value])
  return out
}

/** Marks an entry whose status, headers and body are sealed in its body. */
const SEALED_HEADER = 'x-portico-sealed'
const MAGIC = new Uint8Array([0x50, 0x43, 0x45, 0x31]) // "PCE1"
const IV_BYTES = 12

/**
 * Imports the stage cache key from its environment value: base64 (standard or URL-safe) of
 * exactly 32 bytes.
 * @throws Error naming the problem, never the value
 */
export async function importEncryptionKey(value: string): Promise<CryptoKey> {
  let raw: Uint8Array<ArrayBuffer>
  try {
    raw = fromBase64(value.trim())
  } catch {
    throw new Error('is not base64')
  }
  if (raw.byteLength !== 32) throw new Error(`decodes to ${raw.byteLength} bytes, not 32 (AES-256)`)
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt'])
}

/** Encrypts an entry's status, headers and body; the times stay readable for the backend. */
export async function sealEntry(entry: CachedResponse, key: CryptoKey, cacheKey: string): Promise<CachedResponse> {
  const meta = new TextEncoder().encode(JSON.stringify({ s: entry.status, h: entry.headers }))
  const plain = new Uint8Array(4 + meta.byteLength + entry.body.byteLength)
  new DataView(plain.buffer).setUint32(0, meta.byteLength)
  plain.set(meta, 4)
  plain.set(entry.body, 4 + meta.byteLength)
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES))
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(cacheKey) }, key, plain),
  )
  const body = new Uint8Array(MAGIC.byteLength + IV_BYTES + sealed.byteLength)
  body.set(MAGIC, 0)
  body.set(iv, MAGIC.byteLength)
  body.set(sealed, MAGIC.byteLength + IV_BYTES)
  return { status: 200, headers: [[SEALED_HEADER, '1']], body, storedAt: entry.storedAt, expiresAt: entry.expiresAt }
}

/**
 * Decrypts an entry from sealEntry().
 * @throws Error when the entry is not sealed, was sealed under another key or cache key, or
 *   was altered
 */
export async function openEntry(entry: CachedResponse, key: CryptoKey, cacheKey: string): Promise<CachedResponse> {
  // WebCrypto wants ArrayBuffer-backed views; stores hand back plain ones.
  const body = entry.body as Uint8Array<ArrayBuffer>
  const marked = entry.headers.some(([k, v]) => k === SEALED_HEADER && v === '1')
  if (!marked || body.byteLength < MAGIC.byteLength + IV_BYTES || !MAGIC.every((b, i) => body[i] === b)) {
    throw new Error('not a sealed entry')
  }
  const iv = body.subarray(MAGIC.byteLength, MAGIC.byteLength + IV_BYTES)
  const plain = new Uint8Array(
    await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(cacheKey) },
      key,
      body.subarray(MAGIC.byteLength + IV_BYTES),
    ),
  )
  const length = new DataView(plain.buffer, plain.byteOffset).getUint32(0)
  const meta = JSON.parse(new TextDecoder().decode(plain.subarray(4, 4 + length))) as { s: number; h: [string, string][] }
  return { status: meta.s, headers: meta.h, body: plain.subarray(4 + length), storedAt: entry.storedAt, expiresAt: entry.expiresAt }
}

/** Standard or URL-safe base64, padded or not. @throws on other characters */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const std = text.replace(/-/g, '+').replace(/_/g, '/')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(std)) throw new Error('not base64')
  const bin = atob(std.padEnd(Math.ceil(std.length / 4) * 4, '='))
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}
