/** AuthorizerCache on Redis: one string per entry, with a TTL and the expiry by the gateway's clock. */
import type { Clock } from '../../core/deps.ts'
import type { AuthorizerCache } from '../ports.ts'
import type { RedisConnection } from './client.ts'

/** Escapes glob characters for SCAN MATCH. */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => '\\' + c)
}

/**
 * Entries under `<prefix>authz:<key>` as JSON {e: expiry ms, v: value}. Redis expires them on
 * its own clock (PX); reads also check `e` against the gateway's, which is what counts (and
 * what a fake clock in tests moves).
 */
export function redisAuthorizerCache(conn: RedisConnection, clock: Clock): AuthorizerCache {
  const base = `${conn.prefix}authz:`
  return {
    async get(key) {
      const json = await conn.command<string | null>(['GET', base + key])
      if (json == null) return undefined
      const entry = JSON.parse(json) as { e: number; v: unknown }
      if (entry.e <= clock.now()) return undefined
      return entry.v
    },
    async set(key, value, ttlSeconds) {
      if (ttlSeconds <= 0) return
      const ms = Math.ceil(ttlSeconds * 1000)
      await conn.command(['SET', base + key, JSON.stringify({ e: clock.now() + ms, v: value ?? null }), 'PX', String(ms)])
    },
    async clear() {
      // Flushing is rare (FlushStageAuthorizersCache): walk the prefix rather than pay a
      // generation lookup on every read.
      let cursor = '0'
      do {
        const [next, keys] = await conn.command<[string, string[]]>(['SCAN', cursor, 'MATCH', globEscape(base) + '*', 'COUNT', '500'])
        cursor = String(next)
        if (keys.length > 0) await conn.command(['UNLINK', ...keys])
      } while (cursor !== '0')
    },
  }
}
