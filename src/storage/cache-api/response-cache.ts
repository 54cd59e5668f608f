/**
 * ResponseCache on the Workers Cache API (`caches.default` or a named cache; `wrangler dev`
 * simulates it). Entries are stored as Responses under synthetic URLs
 * (https://portico.cache/<namespace>/g/<generation>/<key>), with the entry's own status,
 * headers and times in x-portico-* headers and a Cache-Control max-age for its lifetime.
 *
 * Limitations, all the Cache API's: it is per data centre (an entry stored in one colo is not
 * seen in another, and a flush only reaches the colo that runs it); it cannot be enumerated,
 * so flush() moves the namespace to a new generation (a random id kept in the cache itself)
 * and the old entries simply become unreachable until they expire; the platform evicts as it
 * likes, so `capacityBytes` bounds only each entry (one larger than the whole stage cache is
 * not stored, as on the other backends); and on *.workers.dev hosts puts do nothing.
 * A put that is refused (already expired, too large) removes the entry it would replace.
 */
import { systemClock, type Clock } from '../../core/deps.ts'
import type { CachedResponse, ResponseCache, ResponseCacheFactory } from '../ports.ts'
import { entryBytes } from '../memory/response-cache.ts'

/** The part of a Cache the backend uses (Workers' Cache, or a fake in tests). */
export interface CacheLike {
  match(request: Request | string): Promise<Response | undefined>
  put(request: Request | string, response: Response): Promise<void>
  delete(request: Request | string): Promise<boolean>
}

export interface CacheApiOptions {
  /** A named cache (caches.open(name)); default: caches.default. */
  cacheName?: string
  /** The cache to use, bypassing `caches` (tests). */
  cache?: CacheLike | Promise<CacheLike>
  /** Expiry is judged by this clock too, besides the Cache API's own max-age. Default: real time. */
  clock?: Clock
  /** Origin of the synthetic entry URLs. Default https://portico.cache. */
  baseUrl?: string
}

const STATUS = 'x-portico-status'
const HEADERS = 'x-portico-headers'
const STORED_AT = 'x-portico-stored-at'
const EXPIRES_AT = 'x-portico-expires-at'
/** The generation entry is meant to outlive every response entry (TTLs stop at 3600 s). */
const GENERATION_MAX_AGE = 365 * 24 * 3600

/**
 * The Cache API backend.
 * @throws Error (when a stage is opened) if the runtime has no Cache API and no cache is given
 */
export function cacheApiResponseCache(opts: CacheApiOptions = {}): ResponseCacheFactory {
  const clock = opts.clock ?? systemClock
  const origin = (opts.baseUrl ?? 'https://portico.cache').replace(/\/$/, '')
  let opened: Promise<CacheLike> | undefined
  const cache = (): Promise<CacheLike> => (opened ??= Promise.resolve(opts.cache ?? openCache(opts.cacheName)))

  return ({ namespace, capacityBytes }) => {
    const base = `${origin}/${namespace.split('/').map(encodeURIComponent).join('/')}`
    const generationUrl = `${base}/generation`
    // Creating a generation is remembered for this isolate so that concurrent first puts agree.
    let creating: Promise<string> | undefined

    const readGeneration = async (): Promise<string | undefined> => {
      const res = await (await cache()).match(generationUrl)
      return res ? (await res.text()) || undefined : undefined
    }
    const writeGeneration = async (): Promise<string> => {
      const id = randomId()
      await (await cache()).put(generationUrl, new Response(id, { headers: { 'cache-control': `public, max-age=${GENERATION_MAX_AGE}` } }))
      return id
    }
    const entryUrl = (generation: string, key: string) => `${base}/g/${encodeURIComponent(generation)}/${encodeURIComponent(key)}`

    const store: ResponseCache = {
      async get(key) {
        // Read every time (not memoised): another isolate of the colo may have flushed.
        const generation = await readGeneration()
        if (!generation) return undefined
        const c = await cache()
        const url = entryUrl(generation, key)
        const res = await c.match(url)
        if (!res) return undefined
        const entry = await fromResponse(res)
        if (!entry || entry.expiresAt <= clock.now()) {
          await c.delete(url)
          return undefined
        }
        return entry
      },
      async put(key, entry) {
        const ttl = Math.ceil((entry.expiresAt - clock.now()) / 1000)
        if (ttl <= 0 || entryBytes(entry) > capacityBytes) {
          await store.delete(key)
          return
        }
        let generation = await readGeneration()
        if (!generation) {
          creating ??= writeGeneration().finally(() => {
            creating = undefined
          })
          generation = await creating
        }
        await (await cache()).put(entryUrl(generation, key), toResponse(entry, ttl))
      },
      async delete(key) {
        const generation = await readGeneration()
        if (!generation) return false
        return (await cache()).delete(entryUrl(generation, key))
      },
      async flush() {
        await writeGeneration()
      },
    }
    return store
  }
}

interface WorkersCacheStorage {
  default?: CacheLike
  open(name: string): Promise<CacheLike>
}

async function openCache(name: string | undefined): Promise<CacheLike> {
  const storage = (globalThis as { caches?: WorkersCacheStorage }).caches
  if (!storage) throw new Error('the Cache API (caches) is not available in this runtime; use the memory response cache')
  if (name) return storage.open(name)
  if (!storage.default) throw new Error('caches.default is not available in this runtime; name a cache or use the memory response cache')
  return storage.default
}

/**
 * The stored form. The entry's headers travel in one metadata header rather than as the
 * Response's own, so the Cache API's HTTP rules (Set-Cookie, Vary, ETag, the backend's
 * Cache-Control) cannot change what is kept or for how long; only our max-age applies.
 */
function toResponse(entry: CachedResponse, ttlSeconds: number): Response {
  return new Response(entry.body as Uint8Array<ArrayBuffer>, {
    status: 200,
    headers: {
      'cache-control': `public, max-age=${ttlSeconds}`,
      'content-type': 'application/octet-stream',
      [STATUS]: String(entry.status),
      [HEADERS]: encodeURIComponent(JSON.stringify(entry.headers)),
      [STORED_AT]: String(entry.storedAt),
      [EXPIRES_AT]: String(entry.expiresAt),
    },
  })
}

/** Reads an entry back; undefined when it is not one of ours or is damaged. */
async function fromResponse(res: Response): Promise<CachedResponse | undefined> {
  const status = Number(res.headers.get(STATUS))
  const storedAt = Number(res.headers.get(STORED_AT))
  const expiresAt = Number(res.headers.get(EXPIRES_AT))
  const rawHeaders = res.headers.get(HEADERS)
  if (!Number.isInteger(status) || status < 100 || !Number.isFinite(storedAt) || !Number.isFinite(expiresAt) || rawHeaders === null) {
    await res.body?.cancel()
    return undefined
  }
  let headers: [string, string][]
  try {
    const parsed: unknown = JSON.parse(decodeURIComponent(rawHeaders))
    if (!Array.isArray(parsed) || !parsed.every((h) => Array.isArray(h) && h.length === 2 && typeof h[0] === 'string' && typeof h[1] === 'string')) {
      throw new Error('not a header list')
    }
    headers = parsed as [string, string][]
  } catch {
    await res.body?.cancel()
    return undefined
  }
  return { status, headers, body: new Uint8Array(await res.arrayBuffer()), storedAt, expiresAt }
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}
