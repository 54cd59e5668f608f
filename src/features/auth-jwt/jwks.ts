/**
 * Verification keys for JWT and Cognito authorizers: an inline JWKS, or one fetched (through
 * the injected fetch) from a configured URL or the issuer's OIDC discovery document.
 *
 * Fetched keys are cached for the authorizer's TTL. A token naming an unknown kid triggers one
 * refetch (key rotation), but never more often than REFETCH_FLOOR_MS, so a flood of invented
 * kids costs the issuer at most one request per floor. When the issuer cannot be reached, the
 * last good copy keeps serving for STALE_GRACE_MS past its TTL.
 */
import { createLocalJWKSet, type JWSHeaderParameters, type FlattenedJWSInput, type JSONWebKeySet } from 'jose'
import type { Clock, Logger } from '../../core/deps.ts'
import { concatBytes, readUpTo } from '../../core/body.ts'

/** AWS's limit on the discovery and JWKS requests (reference §6.4, §10). */
export const FETCH_TIMEOUT_MS = 1500
/** AWS's limit on the JWKS response size; applied to the discovery document too. */
export const MAX_DOCUMENT_BYTES = 150_000
/** Least time between two fetches caused by unknown kids or following a failed fetch. */
export const REFETCH_FLOOR_MS = 30_000
/** How long past its TTL a cached JWKS still serves while the issuer is unreachable. */
export const STALE_GRACE_MS = 60 * 60_000

type VerifyKey = Awaited<ReturnType<ReturnType<typeof createLocalJWKSet>>>

/** Where a verifier gets the key for a token. */
export interface KeySource {
  /** The key the token's header designates; rejects (a jose error or KeysUnavailable) otherwise. */
  getKey(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<VerifyKey>
}

/** The keys could not be obtained (issuer unreachable, bad document) and no usable copy exists. */
export class KeysUnavailable extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'KeysUnavailable'
  }
}

export interface RemoteJwksOptions {
  /** Fetch the JWKS here directly. */
  jwksUri?: string
  /** Otherwise, read jwks_uri from `<issuer>/.well-known/openid-configuration`. */
  issuer?: string
  /** Cache lifetime of fetched keys, ms. */
  ttlMs: number
  fetch: typeof fetch
  clock: Clock
  logger: Logger
  /** Names the authorizer in log lines. */
  label: string
  refetchFloorMs?: number
  staleGraceMs?: number
}

/** A fixed JWKS from config: no fetching, an unknown kid is simply unknown. */
export function inlineJwks(jwks: { keys: Record<string, unknown>[] }): KeySource {
  let set: ReturnType<typeof createLocalJWKSet> | undefined
  let invalid: string | undefined
  try {
    set = createLocalJWKSet(jwks as JSONWebKeySet)
  } catch (e) {
    invalid = (e as Error).message
  }
  return {
    getKey(header, token) {
      if (!set) return Promise.reject(new KeysUnavailable(`inline JWKS is invalid: ${invalid}`))
      return set(header, token)
    },
  }
}

/** The discovery document URL of an issuer (a trailing slash on the issuer is not doubled). */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`
}

/** A JWKS fetched over HTTP, cached with a TTL; see the module comment for the refetch rules. */
export class RemoteJwks implements KeySource {
  private set: ReturnType<typeof createLocalJWKSet> | undefined
  private fetchedAt = 0
  /** Time of the last fetch attempt, successful or not (the unknown-kid floor counts from it). */
  private lastAttemptAt = Number.NEGATIVE_INFINITY
  private lastFailureAt = Number.NEGATIVE_INFINITY
  private lastError = ''
  private inflight: Promise<boolean> | undefined
  private discoveredUri: string | undefined
  private readonly floor: number
  private readonly grace: number
  private readonly opts: RemoteJwksOptions

  constructor(opts: RemoteJwksOptions) {
    this.opts = opts
    if (!opts.jwksUri && !opts.issuer) throw new TypeError('RemoteJwks needs jwksUri or issuer')
    this.floor = opts.refetchFloorMs ?? REFETCH_FLOOR_MS
    this.grace = opts.staleGraceMs ?? STALE_GRACE_MS
  }

  async getKey(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<VerifyKey> {
    const set = await this.current()
    try {
      return await set(header, token)
    } catch (e) {
      if ((e as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw e
      // Possibly a rotated key: look once more, unless we looked very recently.
      if (!(await this.refetchForUnknownKid())) throw e
      return this.set!(header, token)
    }
  }

  /** The keys to verify with now: fresh ones, or a stale copy while the issuer is unreachable. */
  private async current(): Promise<ReturnType<typeof createLocalJWKSet>> {
    const now = this.opts.clock.now()
    if (this.set && now - this.fetchedAt < this.opts.ttlMs) return this.set
    // Right after a failure, do not queue every request behind another 1.5 s attempt.
    if (now - this.lastFailureAt >= this.floor) await this.refresh()
    if (this.set && this.opts.clock.now() - this.fetchedAt < this.opts.ttlMs) return this.set
    if (this.set && this.opts.clock.now() - this.fetchedAt < this.opts.ttlMs + this.grace) return this.set
    throw new KeysUnavailable(this.lastError || 'no keys')
  }

  private async refetchForUnknownKid(): Promise<boolean> {
    if (this.opts.clock.now() - this.lastAttemptAt < this.floor && !this.inflight) return false
    return this.refresh()
  }

  /** One fetch at a time: concurrent callers share it. Resolves whether it succeeded. */
  private refresh(): Promise<boolean> {
    this.inflight ??= this.load().finally(() => {
      this.inflight = undefined
    })
    return this.inflight
  }

  private async load(): Promise<boolean> {
    const { logger, label } = this.opts
    this.lastAttemptAt = this.opts.clock.now()
    try {
      const uri = this.opts.jwksUri ?? (await this.discover())
      const doc = await fetchJson(this.opts.fetch, uri)
      if (!isJwks(doc)) throw new Error(`${uri}: not a JWKS (no "keys" array)`)
      this.set = createLocalJWKSet(doc)
      this.fetchedAt = this.opts.clock.now()
      this.lastError = ''
      logger.info('jwks fetched', { authorizer: label, uri, keys: doc.keys.length })
      return true
    } catch (e) {
      this.lastFailureAt = this.opts.clock.now()
      this.lastError = (e as Error).message
      // A rediscovery may help next time (the issuer may have moved its jwks_uri).
      this.discoveredUri = undefined
      logger.warn('jwks fetch failed', { authorizer: label, error: this.lastError, staleKeys: this.set !== undefined })
      return false
    }
  }

  private async discover(): Promise<string> {
    if (this.discoveredUri) return this.discoveredUri
    const url = discoveryUrl(this.opts.issuer!)
    const doc = await fetchJson(this.opts.fetch, url)
    const uri = (doc as { jwks_uri?: unknown } | null)?.jwks_uri
    if (typeof uri !== 'string' || !/^https?:\/\//i.test(uri)) throw new Error(`${url}: no http(s) jwks_uri`)
    this.discoveredUri = uri
    return uri
  }
}

function isJwks(doc: unknown): doc is JSONWebKeySet {
  return typeof doc === 'object' && doc !== null && Array.isArray((doc as { keys?: unknown }).keys) &&
    (doc as { keys: unknown[] }).keys.every((k) => typeof k === 'object' && k !== null && !Array.isArray(k))
}

/**
 * GETs a JSON document within AWS's limits: 1500 ms for the whole exchange and 150,000 bytes.
 * The deadline also holds for a fetch that ignores its abort signal.
 */
export async function fetchJson(doFetch: typeof fetch, url: string): Promise<unknown> {
  const controller = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort()
      reject(new Error(`${url}: timed out after ${FETCH_TIMEOUT_MS} ms`))
    }, FETCH_TIMEOUT_MS)
  })
  deadline.catch(() => {})
  try {
    return await Promise.race([deadline, fetchAndRead(doFetch, url, controller.signal)])
  } finally {
    if (timer !== undefined) clearTimeout(timer)
  }
}

async function fetchAndRead(doFetch: typeof fetch, url: string, signal: AbortSignal): Promise<unknown> {
  let res: Response
  try {
    res = await doFetch(url, { method: 'GET', headers: { accept: 'application/json' }, signal })
  } catch (e) {
    throw new Error(`${url}: ${(e as Error).message}`)
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => {})
    throw new Error(`${url}: HTTP ${res.status}`)
  }
  const declared = Number(res.headers.get('content-length') ?? NaN)
  if (declared > MAX_DOCUMENT_BYTES) {
    await res.body?.cancel().catch(() => {})
    throw new Error(`${url}: ${declared} bytes exceeds ${MAX_DOCUMENT_BYTES}`)
  }
  const bytes = await readLimited(res, url)
  try {
    return JSON.parse(new TextDecoder().decode(bytes))
  } catch {
    throw new Error(`${url}: not JSON`)
  }
}

/** Reads the body, stopping as soon as it passes the limit (a missing Content-Length proves nothing). */
async function readLimited(res: Response, url: string): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array()
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  if (!(await readUpTo(reader, MAX_DOCUMENT_BYTES, chunks))) {
    await reader.cancel().catch(() => {})
    throw new Error(`${url}: body exceeds ${MAX_DOCUMENT_BYTES} bytes`)
  }
  return concatBytes(chunks)
}
