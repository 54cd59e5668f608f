/** Reading request bodies under the gateway's payload limit. */
import { GatewayError } from './errors.ts'
import type { GatewayRequest } from './request.ts'

/** The 413 API Gateway answers above the payload limit. */
export function tooLarge(max: number): GatewayError {
  return new GatewayError('REQUEST_TOO_LARGE', { message: `HTTP content length exceeded ${max} bytes.` })
}

/** Reads the whole body (null when there is none), failing with 413 past the limit. */
export async function readBody(req: GatewayRequest): Promise<Uint8Array | null> {
  const { length, chunked } = framing(req)
  if (!chunked && length !== undefined) {
    // A declared length was checked against the limit on arrival; read it in one go (the
    // Node adapter reads such bodies straight from the socket).
    if (Number(length) === 0) return null
    const bytes = new Uint8Array(await req.request.arrayBuffer())
    if (bytes.byteLength > req.maxPayloadBytes) throw tooLarge(req.maxPayloadBytes)
    return bytes.byteLength ? bytes : null
  }
  // GET and HEAD without a length or chunked encoding have no body in HTTP/1.1.
  if (!chunked && (req.request.method === 'GET' || req.request.method === 'HEAD')) return null
  const body = req.request.body
  if (!body) return null
  const max = req.maxPayloadBytes
  const chunks: Uint8Array[] = []
  const reader = body.getReader()
  if (!(await readUpTo(reader, max, chunks))) {
    await reader.cancel().catch(() => {})
    throw tooLarge(max)
  }
  if (chunks.length === 0) return null
  return chunks.length === 1 ? chunks[0]! : concatBytes(chunks)
}

/**
 * Reads `reader` into `chunks` until it ends (true) or more than `max` bytes have come
 * (false; the reader is left as it is, for the caller to cancel or replay). A failure of the
 * stream rejects, with what came before it in `chunks`.
 */
export async function readUpTo(reader: ReadableStreamDefaultReader<Uint8Array>, max: number, chunks: Uint8Array[]): Promise<boolean> {
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return true
    // Empty chunks add nothing; leaving them out keeps "no body" an empty list.
    if (!value.byteLength) continue
    chunks.push(value)
    size += value.byteLength
    if (size > max) return false
  }
}

/** The chunks in one new array (always a copy). */
export function concatBytes(chunks: Uint8Array[]): Uint8Array {
  let size = 0
  for (const c of chunks) size += c.byteLength
  const out = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}

/**
 * The request's framing headers in one pass: the last Content-Length, and whether
 * Transfer-Encoding is present. Only names of the right length are lowercased.
 */
function framing(req: GatewayRequest): { length: string | undefined; chunked: boolean } {
  let length: string | undefined
  let chunked = false
  for (const [name, value] of req.headers) {
    if (name.length === 14 && name.toLowerCase() === 'content-length') length = value
    else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') chunked = true
  }
  return { length, chunked }
}

/**
 * Passes a body stream through while counting it; past the limit the stream errors and
 * `exceeded()` turns true, so the caller can answer 413 rather than a backend error.
 */
export function limitStream(body: ReadableStream<Uint8Array>, max: number) {
  let size = 0
  let over = false
  const stream = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength
        if (size > max) {
          over = true
          controller.error(tooLarge(max))
          return
        }
        controller.enqueue(chunk)
      },
    }),
  )
  return { stream, exceeded: () => over }
}
