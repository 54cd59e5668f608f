/** API key helpers: hashing, the constant-time comparison, new values, storing config keys. */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  configKeyId,
  constantTimeEqual,
  constantTimeEqualText,
  generateApiKeyValue,
  hashApiKey,
  storeConfigKeys,
} from '../../../src/features/api-key/keys.ts'
import { memoryKeyStore } from '../../../src/storage/memory/key-store.ts'
import { fakeClock } from '../../helpers/gateway.ts'

const bytes = (...b: number[]) => new Uint8Array(b)

describe('constantTimeEqual', () => {
  it('equal arrays', () => {
    expect(constantTimeEqual(bytes(1, 2, 3), bytes(1, 2, 3))).toBe(true)
    expect(constantTimeEqual(bytes(), bytes())).toBe(true)
  })
  it('different arrays, wherever they differ', () => {
    expect(constantTimeEqual(bytes(1, 2, 3), bytes(0, 2, 3))).toBe(false)
    expect(constantTimeEqual(bytes(1, 2, 3), bytes(1, 2, 4))).toBe(false)
    // Differences that cancel in a sum or a single XOR must not pass.
    expect(constantTimeEqual(bytes(1, 2), bytes(2, 1))).toBe(false)
    expect(constantTimeEqual(bytes(0x0f, 0xf0), bytes(0xf0, 0x0f))).toBe(false)
  })
  it('different lengths', () => {
    expect(constantTimeEqual(bytes(1, 2, 3), bytes(1, 2))).toBe(false)
    expect(constantTimeEqual(bytes(), bytes(0))).toBe(false)
  })
})

describe('hashing', () => {
  it('is SHA-256 in lowercase hex (FIPS 180-2 vector, and node:crypto agreeing)', async () => {
    expect(await hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    const v = 'ünïcode-key-ключ-0123456789'
    expect(await hashApiKey(v)).toBe(createHash('sha256').update(v, 'utf8').digest('hex'))
  })
})

describe('generateApiKeyValue', () => {
  it('40 base62 characters, different each time', () => {
    const values = new Set(Array.from({ length: 200 }, () => generateApiKeyValue()))
    expect(values.size).toBe(200)
    for (const v of values) expect(v).toMatch(/^[A-Za-z0-9]{40}$/)
  })
  it('uses every base62 character', () => {
    const seen = new Set(Array.from({ length: 100 }, () => generateApiKeyValue()).join(''))
    expect(seen.size).toBe(62)
  })
})

describe('storeConfigKeys', () => {
  const deps = (env: Record<string, string> = {}) => ({ env, clock: fakeClock(1000), stores: { keyStore: memoryKeyStore(), authorizerCache: null as any } })

  it('stores hashed keys with config or derived ids', async () => {
    const d = deps({ K: 'value-from-env-0123456789' })
    const stored = await storeConfigKeys(
      { apiKeys: [{ name: 'a', id: 'aaa', value: 'literal-value-0123456789', enabled: true }, { name: 'b', valueEnv: 'K', enabled: false }] },
      d,
    )
    expect(stored.map((k) => k.id)).toEqual(['aaa', configKeyId({ name: 'b' })])
    expect(await d.stores.keyStore.findByHash(await hashApiKey('value-from-env-0123456789'))).toMatchObject({ name: 'b', enabled: false, createdAt: 1000 })
  })

  it('lists every problem at once', async () => {
    const err: Error = await storeConfigKeys(
      { apiKeys: [{ name: 'a', valueEnv: 'A', enabled: true }, { name: 'b', valueEnv: 'B', enabled: true }] },
      deps({ B: 'x'.repeat(129) }),
    ).then(() => undefined as any, (e) => e)
    expect(err.message).toContain('API key "a": environment variable A is not set')
    expect(err.message).toContain('API key "b": the value of B must be 20 to 128 characters')
  })

  it('rejects a derived id equal to another key\'s id', async () => {
    const clash = configKeyId({ name: 'x' })
    await expect(
      storeConfigKeys(
        { apiKeys: [{ name: 'x', value: 'first-value-0123456789', enabled: true }, { name: 'y', id: clash, value: 'second-value-0123456789', enabled: true }] },
        deps(),
      ),
    ).rejects.toThrow(`API key "y": the same id ${clash} as API key "x"`)
  })

  it('a restart keeps createdAt and stages; a value held under another id is refused', async () => {
    const d = deps()
    const model = { apiKeys: [{ name: 'a', id: 'aaa', value: 'literal-value-0123456789', enabled: true }] }
    await storeConfigKeys(model, d)
    const first = (await d.stores.keyStore.get('aaa'))!
    await d.stores.keyStore.put({ ...first, stages: ['api/prod'] })
    d.clock.advance(5000)
    await storeConfigKeys({ apiKeys: [{ ...model.apiKeys[0]!, value: 'rotated-value-0123456789' }] }, d)
    const second = (await d.stores.keyStore.get('aaa'))!
    expect(second).toMatchObject({ createdAt: 1000, stages: ['api/prod'], hash: await hashApiKey('rotated-value-0123456789') })
    expect(await d.stores.keyStore.findByHash(first.hash)).toBeUndefined()

    await expect(
      storeConfigKeys({ apiKeys: [{ name: 'b', id: 'bbb', value: 'rotated-value-0123456789', enabled: true }] }, d),
    ).rejects.toThrow('API key "b": the key store already holds this value under id aaa')
  })
})

describe('constantTimeEqualText', () => {
  it('equal only for the same characters', () => {
    expect(constantTimeEqualText('ab12', 'ab12')).toBe(true)
    expect(constantTimeEqualText('', '')).toBe(true)
    expect(constantTimeEqualText('ab12', 'ab13')).toBe(false)
    expect(constantTimeEqualText('ab12', 'ab1')).toBe(false)
    expect(constantTimeEqualText('AB12', 'ab12')).toBe(false)
  })
})
