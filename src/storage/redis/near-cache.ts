/**
 * The near cache: each instance keeps the Redis response-cache entries it has read in a
 * bounded in-process LRU, so a hit costs no Redis round trip. Redis stays the truth:
 * - every put, delete and flush publishes an invalidation (in the same Lua script as the
 *   write, so none is missed while the write happens) to `<prefix>rc:invalidate`; each
 *   instance drops the entry, or the whole stage, on receipt;
 * - an entry read from Redis is kept only when no invalidation of its stage arrived while the
 *   read was in flight (a per-stage epoch), so a late reply never brings an older entry back;
 * - while the subscription is down, nothing is served or kept here, and everything held is
 *   dropped, since messages may have been missed;
 * - a copy lives at most `ttlMs` (and never past the entry's own expiry), which bounds how
 *   stale a copy can be if a message is lost without the connection noticing.
 * Other instances see a write once its message arrives (well under a millisecond on a LAN);
 * the writing instance drops its own copy before the write is sent and again when it is done.
 */
import type { Clock } from '../../core/deps.ts'
import type { CachedResponse } from '../ports.ts'
import { memoryLru, type MemoryResponseCache } from '../memory/response-cache.ts'

/** Near cache settings (store URL `?nearCacheMs=` and `?nearCacheBytes=`). */
export interface NearCacheOptions {
  /** How long a copy may be served without asking Redis. 0 turns the near cache off. */
  ttlMs: number
  /** Bytes held per stage at most (less when the stage's own capacity is smaller). */
  capacityBytes: number
}

export const DEFAULT_NEAR_CACHE: NearCacheOptions = { ttlMs: 1000, capacityBytes: 16 * 1024 * 1024 }

/** What travels on the invalidation channel: one entry of a stage, or the whole stage. */
export function invalidationMessage(namespace: string, key?: string): string {
  return JSON.stringify(key === undefined ? [namespace] : [namespace, key])
}

const ENTRY = Symbol('entry')
/** What the LRU holds: the entry, or a copy expiring at the near deadline that points to it. */
type HeldCopy = CachedResponse & { [ENTRY]?: CachedResponse }

/** One stage's copies and the count of invalidations it has seen. */
export interface NearStage {
  lru: MemoryResponseCache
  /** Bytes it may hold. */
  bound: number
  epoch: number
}

/** The near caches of one Redis store (one per stage namespace) and their invalidation feed. */
export class NearCache {
  private readonly stages = new Map<string, NearStage>()
  private readonly clock: Clock
  readonly options: NearCacheOptions
  /** Whether copies may be used: the invalidation feed is live. */
  private readonly live: () => boolean

  constructor(clock: Clock, options: NearCacheOptions, live: () => boolean) {
    this.clock = clock
    this.options = options
    this.live = live
  }

  /**
   * The copies of stage `namespace` (capped by the stage's own capacity). Opened again with
   * another capacity (a reloaded config), the stage starts over with the new bound.
   */
  stage(namespace: string, capacityBytes: number): NearStage {
    const bound = Math.min(capacityBytes, this.options.capacityBytes)
    let stage = this.stages.get(namespace)
    if (!stage) this.stages.set(namespace, (stage = { lru: memoryLru(this.clock, bound), bound, epoch: 0 }))
    else if (stage.bound !== bound) {
      // The same object (every cache opened on the stage shares it and its invalidations),
      // emptied, with the new bound; reads in flight see the epoch move and keep nothing.
      stage.epoch++
      stage.lru = memoryLru(this.clock, bound)
      stage.bound = bound
    }
    return stage
  }

  /** A held copy (the entry as Redis had it, its own expiry included), when the feed is live. */
  get(stage: NearStage, key: string): CachedResponse | undefined {
    if (!this.live()) return undefined
    const held = stage.lru.peek(key) as HeldCopy | undefined
    return held?.[ENTRY] ?? held
  }

  /**
   * Keeps `entry`, read from Redis, when nothing invalidated the stage since `epoch` (taken
   * before the read was sent) and the feed is live. The copy expires at the near deadline.
   */
  async keep(stage: NearStage, key: string, entry: CachedResponse, epoch: number): Promise<void> {
    if (stage.epoch !== epoch || !this.live()) return
    const until = this.clock.now() + this.options.ttlMs
    // The LRU expires what it holds at expiresAt: a copy due before the entry carries the near
    // deadline there, and the entry itself for get() to return.
    const held: HeldCopy = until < entry.expiresAt ? { ...entry, expiresAt: until, [ENTRY]: entry } : entry
    await stage.lru.put(key, held)
  }

  /** Drops one copy, or all of a stage's; reads in flight will not keep what they bring. */
  async invalidate(stage: NearStage, key?: string): Promise<void> {
    stage.epoch++
    if (key === undefined) await stage.lru.flush()
    else await stage.lru.delete(key)
  }

  /** A message from the invalidation channel; anything unparsable drops every copy. */
  receive(message: string): void {
    let parsed: unknown
    try {
      parsed = JSON.parse(message)
    } catch {
      return this.dropAll()
    }
    if (!Array.isArray(parsed) || typeof parsed[0] !== 'string' || (parsed.length > 1 && typeof parsed[1] !== 'string')) return this.dropAll()
    const stage = this.stages.get(parsed[0])
    // A stage this instance never read holds nothing to drop.
    if (stage) void this.invalidate(stage, parsed[1] as string | undefined)
  }

  /** Drops every copy of every stage (the feed had a gap). */
  dropAll(): void {
    for (const stage of this.stages.values()) void this.invalidate(stage)
  }

  /** Copies and bytes held, over all stages. */
  stats(): { entries: number; bytes: number; evictions: number } {
    let entries = 0
    let bytes = 0
    let evictions = 0
    for (const { lru } of this.stages.values()) {
      const s = lru.stats()
      entries += s.entries
      bytes += s.bytes
      evictions += s.evictions
    }
    return { entries, bytes, evictions }
  }
}
