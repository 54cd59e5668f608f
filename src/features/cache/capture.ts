/**
 * Reads an integration's body for the cache without ever cutting it short: up to `max` bytes
 * are buffered; a body that ends within them is returned whole (and may be stored), one that
 * goes past them is handed back as a stream replaying the buffered part and then the rest,
 * unchanged (and is not stored). A stored body is always a fresh, exact-size copy
 * (concatBytes), even of one chunk: a runtime's chunk may be a view into a larger pooled
 * buffer, which the entry would otherwise keep alive uncounted.
 */
import { concatBytes, readUpTo } from '../../core/body.ts'

export type CapturedBody =
  | { complete: true; body: Uint8Array }
  | { complete: false; body: ReadableStream<Uint8Array> }

/** @param max the largest body that may be stored, in bytes */
export async function captureBody(body: ReadableStream<Uint8Array> | null, max: number): Promise<CapturedBody> {
  if (!body) return { complete: true, body: new Uint8Array(0) }
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  try {
    if (await readUpTo(reader, max, chunks)) return { complete: true, body: concatBytes(chunks) }
    return { complete: false, body: replay(chunks, reader) }
  } catch (e) {
    // The backend broke off: the client gets what came, then the same failure; nothing is kept.
    return { complete: false, body: replay(chunks, reader, e) }
  }
}

/** The buffered chunks, then the rest of `reader` (or `failure` once they are out). */
function replay(chunks: Uint8Array[], reader: ReadableStreamDefaultReader<Uint8Array>, failure?: unknown): ReadableStream<Uint8Array> {
  const queue = chunks.slice()
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = queue.shift()
        if (next) return controller.enqueue(next)
        if (failure !== undefined) return controller.error(failure)
        try {
          const { done, value } = await reader.read()
          if (done) controller.close()
          else controller.enqueue(value)
        } catch (e) {
          controller.error(e)
        }
      },
      cancel(reason) {
        queue.length = 0
        return reader.cancel(reason).catch(() => {})
      },
    },
    { highWaterMark: 0 },
  )
}
