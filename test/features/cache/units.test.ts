/** The cache's parts on their own: the memory LRU, caller identities, keys, sealed entries. */
import { describe, expect, it } from 'vitest'
import { fakeClock } from '../../helpers/gateway.ts'
import { makeRequest as gatewayRequest } from '../../helpers/gateway-request.ts'
import { entryBytes, memoryLru } from '../../../src/storage/memory/response-cache.ts'
import { cacheKey, callerIdentity, canonicalKey, canInvalidateCache, importEncryptionKey, openEntry, sealEntry } from '../../../src/features/cache/index.ts'
import type { CachedResponse } from '../../../src/storage/ports.ts'

const entry = (bodyBytes: number, now: number, ttlMs = 60_000): CachedResponse => ({
  status: 200,
  headers: [['content-type', 'text/plain']],
  body: new Uint8Array(bodyBytes),
  storedAt: now,
  expiresAt: now + ttlMs,
})

describe('memory LRU', () => {
  it('charges body plus header bytes, and evicts least recently used past capacity', async () => {
    const clock = fakeClock()
    const e = entry(100, clock.now())
    expect(entryBytes(e)).toBe(100 + 'content-type'.length + 'text/plain'.length)
    const size = entryBytes(e)
    const cache = memoryLru(clock, size * 3)
    await cache.put('a', e)
    await cache.put('b', e)
    await cache.put('c', e)
    expect(cache.stats()).toEqual({ entries: 3, bytes: size * 3, evictions: 0 })
    await cache.get('a')
    await cache.put('d', e)
    expect(await cache.get('b')).toBeUndefined()
    expect(await cache.get('a')).toBeDefined()
    expect(cache.stats()).toEqual({ entries: 3, bytes: size * 3, evictions: 1 })
    // A bigger replacement of one entry can push out several.
    await cache.put('a', entry(size * 2, clock.now()))
    expect(cache.stats().evictions).toBe(3)
    expect(cache.stats().bytes).toBeLessThanOrEqual(size * 3)
  })

  it('an entry larger than the whole capacity is not kept (and does not empty the cache)', async () => {
    const clock = fakeClock()
    const cache = memoryLru(clock, 1000)
    await cache.put('small', entry(100, clock.now()))
    await cache.put('huge', entry(5000, clock.now()))
    expect(await cache.get('huge')).toBeUndefined()
    expect(await cache.get('small')).toBeDefined()
  })

  it('expired entries are removed on read; delete and flush free their bytes', async () => {
    const clock = fakeClock()
    const cache = memoryLru(clock, 10_000)
    await cache.put('a', entry(10, clock.now(), 1000))
    await cache.put('b', entry(10, clock.now(), 5000))
    clock.advance(1000)
    expect(await cache.get('a')).toBeUndefined()
    expect(cache.stats().entries).toBe(1)
    expect(await cache.delete('b')).toBe(true)
    expect(await cache.delete('b')).toBe(false)
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 })
    await cache.put('c', entry(10, clock.now()))
    await cache.flush()
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 })
  })
})

describe('caller identity', () => {
  it('API key id, IAM caller, Lambda principal and context, Cognito claims', () => {
    expect(callerIdentity(gatewayRequest())).toBeUndefined()
    const key = callerIdentity({ ...gatewayRequest(), identity: { apiKeyId: 'k1', apiKey: 'secret-value' } })
    expect(key).toContain('k1')
    expect(key).not.toContain('secret-value')
    expect(callerIdentity({ ...gatewayRequest(), identity: { userArn: 'arn:aws:iam::1:user/a' } })).not.toBe(callerIdentity({ ...gatewayRequest(), identity: { userArn: 'arn:aws:iam::1:user/b' } }))
    const lambda = (tenant: string, latency: number) => callerIdentity(gatewayRequest({ authorizer: { principalId: 'u', tenant, integrationLatency: latency } }))
    expect(lambda('t1', 5)).toBe(lambda('t1', 90))
    expect(lambda('t1', 5)).not.toBe(lambda('t2', 5))
    const cognito = (sub: string, iat: string) => callerIdentity(gatewayRequest({ authorizer: { claims: { sub, iat, exp: iat + '9', 'cognito:groups': 'admin' } } }))
    expect(cognito('alice', '100')).toBe(cognito('alice', '200'))
    expect(cognito('alice', '100')).not.toBe(cognito('bob', '100'))
    const v2 = (sub: string) => callerIdentity(gatewayRequest({ authorizer: { jwt: { claims: { sub }, scopes: null } } }))
    expect(v2('a')).not.toBe(v2('b'))
  })

  it('object key order does not change an identity', () => {
    const a = callerIdentity(gatewayRequest({ authorizer: { principalId: 'u', x: '1', y: '2' } }))
    const b = callerIdentity(gatewayRequest({ authorizer: { y: '2', principalId: 'u', x: '1' } }))
    expect(a).toBe(b)
  })
})

describe('keys', () => {
  it('parts cannot run into each other, and identity and encryption are part of the key', async () => {
    const req = gatewayRequest({ rawQueryString: 'a=1%7C2' })
    const params = [{ in: 'querystring' as const, name: 'a' }]
    const plain = canonicalKey(req, { keyParameters: params, encrypted: false })
    expect(JSON.parse(plain)[5]).toEqual([['querystring', 'a', '1|2']])
    const keys = new Set([
      await cacheKey(req, { keyParameters: params, encrypted: false }),
      await cacheKey(req, { keyParameters: params, encrypted: true }),
      await cacheKey(req, { keyParameters: params, identity: 'x', encrypted: false }),
      await cacheKey(req, { keyParameters: [], encrypted: false }),
    ])
    expect(keys.size).toBe(4)
    for (const k of keys) expect(k).toMatch(/^[0-9a-f]{64}$/)
  })
})

describe('sealed entries', () => {
  it('round-trip; another key, another cache key or a flipped bit fail', async () => {
    const raw = new Uint8Array(32).fill(7)
    const key = await importEncryptionKey(btoa(String.fromCharCode(...raw)))
    const other = await importEncryptionKey(btoa(String.fromCharCode(...new Uint8Array(32).fill(8))).replace(/=+$/, ''))
    const e: CachedResponse = { status: 404, headers: [['x-a', 'b']], body: new TextEncoder().encode('hello'), storedAt: 1, expiresAt: 2 }
    const sealed = await sealEntry(e, key, 'k1')
    expect(sealed.status).toBe(200)
    expect(new TextDecoder().decode(sealed.body)).not.toContain('hello')
    const opened = await openEntry(sealed, key, 'k1')
    expect(opened).toMatchObject({ status: 404, headers: [['x-a', 'b']], storedAt: 1, expiresAt: 2 })
    expect(new TextDecoder().decode(opened.body)).toBe('hello')
    // Two seals of the same entry differ (fresh IV each time).
    expect((await sealEntry(e, key, 'k1')).body).not.toEqual(sealed.body)
    await expect(openEntry(sealed, other, 'k1')).rejects.toThrow()
    await expect(openEntry(sealed, key, 'k2')).rejects.toThrow()
    const flipped = { ...sealed, body: sealed.body.slice() }
    flipped.body[20]! ^= 1
    await expect(openEntry(flipped, key, 'k1')).rejects.toThrow()
    await expect(openEntry(e, key, 'k1')).rejects.toThrow('not a sealed entry')
  })
})

describe('canInvalidateCache', () => {
  it('allows execute-api:InvalidateCache on the method ARN; an explicit Deny wins', () => {
    const req = gatewayRequest({ method: 'GET', path: '/users/42' })
    const settings = { region: 'us-east-1', accountId: '123456789012' }
    const arn = `arn:aws:execute-api:us-east-1:123456789012:${req.api.id}/${req.stage.name}/GET/users/*`
    const allow = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:InvalidateCache', Resource: arn }] }
    const invokeOnly = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }] }
    const deny = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'execute-api:*', Resource: '*' }] }
    expect(canInvalidateCache([allow] as never, req, settings)).toBe(true)
    expect(canInvalidateCache([invokeOnly] as never, req, settings)).toBe(false)
    expect(canInvalidateCache([allow, deny] as never, req, settings)).toBe(false)
  })
})
