/**
 * API keys end to end (in-process gateway): 403 Forbidden for missing, unknown, disabled and
 * stage-less keys without reaching the integration; identity.apiKey/apiKeyId on success; keys
 * from the environment; hashed storage; the access log and rejection log naming ids only;
 * apiKeySource AUTHORIZER.
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { makeGateway, restApi, scriptedInvoker } from '../../helpers/gateway.ts'
import { apiKeyFeature, configKeyId } from '../../../src/features/api-key/index.ts'
import { memoryKeyStore } from '../../../src/storage/memory/key-store.ts'
import type { Feature } from '../../../src/core/feature.ts'
import type { KeyStore } from '../../../src/storage/ports.ts'
import type { GatewayDeps } from '../../../src/core/deps.ts'
import { stableApiId } from '../../../src/core/ids.ts'

const VALUE = 'k3y-Value-0123456789abcdefXYZ'
const OTHER = 'another-key-value-0123456789'
const DISABLED = 'disabled-key-value-0123456789'
const ENV_VALUE = 'from-the-environment-0123456789'

const functions = { fn: { handler: 'echo.handler' } }
const lambda = { type: 'lambda', function: 'fn' }
const routes = [
  { method: 'GET', path: '/private', integration: lambda, apiKeyRequired: true },
  { method: 'GET', path: '/public', integration: lambda },
]
const apiKeys = [
  { name: 'partner', id: 'partner01', value: VALUE },
  { name: 'second', value: OTHER },
  { name: 'off', id: 'off01', value: DISABLED, enabled: false },
]

/** A gateway with the API key feature only, a recording invoker that echoes the event. */
function setup(
  extra: { apiKeys?: unknown[]; api?: Record<string, unknown>; stages?: unknown[] } = {},
  opts: { deps?: Partial<GatewayDeps>; features?: Feature[] } = {},
) {
  const { invoker, events } = scriptedInvoker((event) => ({ statusCode: 200, body: JSON.stringify(event) }))
  const config = restApi(routes, extra.api)
  if (extra.stages) (config.apis[0] as Record<string, unknown>).stages = extra.stages
  const g = makeGateway(
    { functions, ...config, apiKeys: extra.apiKeys ?? apiKeys },
    { invoker, deps: opts.deps, gateway: { features: opts.features ?? [apiKeyFeature] } },
  )
  return { ...g, events }
}

async function expectForbidden(res: Response) {
  expect(res.status).toBe(403)
  expect(res.headers.get('x-amzn-ErrorType')).toBe('ForbiddenException')
  expect(await res.text()).toBe('{"message":"Forbidden"}')
}

describe('rejections: 403 Forbidden, integration never called', () => {
  it('no key', async () => {
    const { app, events, logger } = setup()
    await expectForbidden(await app.request('/prod/private'))
    expect(events).toHaveLength(0)
    expect(logger.lines.some((l) => l.fields?.detail === 'no x-api-key header')).toBe(true)
  })

  it('an empty key', async () => {
    const { app, events } = setup()
    await expectForbidden(await app.request('/prod/private', { headers: { 'x-api-key': '' } }))
    expect(events).toHaveLength(0)
  })

  it('an unknown key, of valid and of invalid length', async () => {
    const { app, events } = setup()
    await expectForbidden(await app.request('/prod/private', { headers: { 'x-api-key': 'not-a-known-key-0123456789' } }))
    await expectForbidden(await app.request('/prod/private', { headers: { 'x-api-key': 'short' } }))
    await expectForbidden(await app.request('/prod/private', { headers: { 'x-api-key': 'x'.repeat(129) } }))
    // A known key with one character changed, or a prefix of it.
    await expectForbidden(await app.request('/prod/private', { headers: { 'x-api-key': VALUE.slice(0, -1) + 'Q' } }))
    await expectForbidden(await app.request('/prod/private', { headers: { 'x-api-key': VALUE.slice(0, -1) } }))
    expect(events).toHaveLength(0)
  })

  it('a disabled key; the log names its id, not its value', async () => {
    const { app, events, logger } = setup()
    await expectForbidden(await app.request('/prod/private', { headers: { 'x-api-key': DISABLED } }))
    expect(events).toHaveLength(0)
    const rejected = logger.lines.find((l) => l.message === 'request rejected')
    expect(rejected?.fields?.detail).toBe('API key off01 is disabled')
    expect(JSON.stringify(logger.lines)).not.toContain(DISABLED)
    expect(logger.accessLines.join('\n')).not.toContain(DISABLED)
  })

  it('a key not allowed on this stage (StoredApiKey.stages)', async () => {
    const keyStore = memoryKeyStore()
    const { app, gateway, events, model } = setup(
      { stages: [{ name: 'prod' }, { name: 'dev' }] },
      { deps: { stores: { keyStore } } },
    )
    await gateway.ready
    const apiId = model.apis[0]!.id
    const stored = (await keyStore.get('partner01'))!
    await keyStore.put({ ...stored, stages: [`${apiId}/prod`, 'otherapi01/dev'] })

    await expectForbidden(await app.request('/dev/private', { headers: { 'x-api-key': VALUE } }))
    expect(events).toHaveLength(0)
    expect((await app.request('/prod/private', { headers: { 'x-api-key': VALUE } })).status).toBe(200)
    expect(events).toHaveLength(1)

    await keyStore.put({ ...stored, stages: [] })
    await expectForbidden(await app.request('/prod/private', { headers: { 'x-api-key': VALUE } }))
    expect(events).toHaveLength(1)
  })

  it('a key disabled at run time through the KeyStore', async () => {
    const keyStore = memoryKeyStore()
    const { app, gateway, events } = setup({}, { deps: { stores: { keyStore } } })
    await gateway.ready
    expect((await app.request('/prod/private', { headers: { 'x-api-key': VALUE } })).status).toBe(200)
    await keyStore.put({ ...(await keyStore.get('partner01'))!, enabled: false })
    await expectForbidden(await app.request('/prod/private', { headers: { 'x-api-key': VALUE } }))
    await keyStore.delete('partner01')
    await expectForbidden(await app.request('/prod/private', { headers: { 'x-api-key': VALUE } }))
    expect(events).toHaveLength(1)
  })

  it('honours a DEFAULT_4XX override like any 403', async () => {
    const { app } = setup({ api: { gatewayResponses: { INVALID_API_KEY: { body: '{"error":"$context.error.responseType"}' } } } })
    const res = await app.request('/prod/private')
    expect(res.status).toBe(403)
    expect(await res.text()).toBe('{"error":"INVALID_API_KEY"}')
  })

  it('a failing key store gives 500, not a pass and not a crash', async () => {
    const broken: KeyStore = { ...memoryKeyStore(), findByHash: async () => { throw new Error('store down') } }
    const { app, events } = setup({}, { deps: { stores: { keyStore: broken } } })
    const res = await app.request('/prod/private', { headers: { 'x-api-key': VALUE } })
    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({ message: 'Internal server error' })
    expect(events).toHaveLength(0)
  })

  it('a store answering with a non-matching entry is refused by the constant-time re-check', async () => {
    const inner = memoryKeyStore()
    // A store whose lookup is looser than exact equality (say, a case-insensitive collation).
    const loose: KeyStore = { ...inner, findByHash: async () => (await inner.list())[0] }
    const { app, gateway, events } = setup({}, { deps: { stores: { keyStore: loose } } })
    await gateway.ready
    await expectForbidden(await app.request('/prod/private', { headers: { 'x-api-key': 'not-a-known-key-0123456789' } }))
    expect(events).toHaveLength(0)
  })
})

describe('accepted keys', () => {
  it('the integration sees identity.apiKeyId and identity.apiKey', async () => {
    const { app, events } = setup()
    const res = await app.request('/prod/private', { headers: { 'x-api-key': VALUE } })
    expect(res.status).toBe(200)
    expect(events).toHaveLength(1)
    expect(events[0].requestContext.identity.apiKeyId).toBe('partner01')
    expect(events[0].requestContext.identity.apiKey).toBe(VALUE)
    // The other identity fields stay as the event builder made them.
    expect(events[0].requestContext.identity.sourceIp).toBe('127.0.0.1')
    expect(events[0].requestContext.identity.caller).toBeNull()
  })

  it('a key without an id gets a stable id derived from its name', async () => {
    const { app, events } = setup()
    const expected = stableApiId('apiKey:second', 10)
    expect(configKeyId({ name: 'second' })).toBe(expected)
    expect(expected).toMatch(/^[a-z0-9]{10}$/)
    expect((await app.request('/prod/private', { headers: { 'x-api-key': OTHER } })).status).toBe(200)
    expect(events[0].requestContext.identity.apiKeyId).toBe(expected)
    // Same id in a second gateway (another start).
    const again = setup()
    await again.app.request('/prod/private', { headers: { 'x-api-key': OTHER } })
    expect(again.events[0].requestContext.identity.apiKeyId).toBe(expected)
  })

  it('matches the header name case-insensitively (client casing kept by the runtime)', async () => {
    for (const name of ['X-API-KEY', 'X-Api-Key', 'x-api-key']) {
      const { app, events } = setup({}, { deps: { clientInfo: () => ({ rawHeaders: [name, VALUE, 'Host', 'localhost'] }) } })
      const res = await app.request('/prod/private')
      expect(res.status).toBe(200)
      expect(events[0].requestContext.identity.apiKeyId).toBe('partner01')
    }
  })

  it('takes a key from an environment variable', async () => {
    const { app, events, gateway } = setup(
      { apiKeys: [{ name: 'env-key', id: 'envkey', valueEnv: 'PARTNER_KEY' }] },
      { deps: { env: { PARTNER_KEY: ENV_VALUE } } },
    )
    await gateway.ready
    expect((await app.request('/prod/private', { headers: { 'x-api-key': ENV_VALUE } })).status).toBe(200)
    expect(events[0].requestContext.identity.apiKeyId).toBe('envkey')
    await expectForbidden(await app.request('/prod/private', { headers: { 'x-api-key': 'PARTNER_KEY-is-not-a-key' } }))
  })

  it('leaves routes without apiKeyRequired alone, even with a key sent', async () => {
    const { app, events } = setup()
    expect((await app.request('/prod/public')).status).toBe(200)
    expect((await app.request('/prod/public', { headers: { 'x-api-key': 'whatever-unknown-value-000' } })).status).toBe(200)
    expect((await app.request('/prod/public', { headers: { 'x-api-key': VALUE } })).status).toBe(200)
    expect(events).toHaveLength(3)
    for (const e of events) {
      expect(e.requestContext.identity.apiKey).toBeNull()
      expect(e.requestContext.identity.apiKeyId).toBeNull()
    }
  })
})

describe('start-up', () => {
  it('a missing environment variable rejects gateway.ready, naming the key and the variable', async () => {
    const { gateway } = setup({ apiKeys: [{ name: 'partner', valueEnv: 'NOT_SET_ANYWHERE' }] }, { deps: { env: {} } })
    await expect(gateway.ready).rejects.toThrow(/API key "partner": environment variable NOT_SET_ANYWHERE is not set/)
  })

  it('a value from the environment outside 20-128 characters rejects start-up without echoing it', async () => {
    const short = 'tooShort123'
    const { gateway } = setup({ apiKeys: [{ name: 'tiny', valueEnv: 'TINY' }] }, { deps: { env: { TINY: short } } })
    const err: Error = await gateway.ready.then(() => undefined, (e) => e)
    expect(err.message).toMatch(/API key "tiny": the value of TINY must be 20 to 128 characters/)
    expect(err.message).not.toContain(short)
  })

  it('two keys with the same value (through the environment) reject start-up', async () => {
    const { gateway } = setup(
      { apiKeys: [{ name: 'a', value: ENV_VALUE }, { name: 'b', valueEnv: 'B' }] },
      { deps: { env: { B: ENV_VALUE } } },
    )
    const err: Error = await gateway.ready.then(() => undefined, (e) => e)
    expect(err.message).toMatch(/API key "b": the same value as API key "a"/)
    expect(err.message).not.toContain(ENV_VALUE)
  })

  it('the KeyStore holds SHA-256 hashes only, never a value', async () => {
    const keyStore = memoryKeyStore()
    const { gateway } = setup(
      { apiKeys: [...apiKeys, { name: 'env-key', valueEnv: 'PARTNER_KEY' }] },
      { deps: { stores: { keyStore }, env: { PARTNER_KEY: ENV_VALUE } } },
    )
    await gateway.ready
    const entries = await keyStore.list()
    expect(entries).toHaveLength(4)
    const dump = JSON.stringify(entries)
    for (const v of [VALUE, OTHER, DISABLED, ENV_VALUE]) expect(dump).not.toContain(v)
    const sha = (v: string) => createHash('sha256').update(v).digest('hex')
    expect(entries.map((e) => e.hash).sort()).toEqual([VALUE, OTHER, DISABLED, ENV_VALUE].map(sha).sort())
    const partner = entries.find((e) => e.id === 'partner01')!
    expect(Object.keys(partner).sort()).toEqual(['createdAt', 'enabled', 'hash', 'id', 'name'])
    expect(partner).toMatchObject({ name: 'partner', enabled: true })
    expect(entries.find((e) => e.id === 'off01')?.enabled).toBe(false)
  })
})

describe('access log', () => {
  it('carries the key id, never the value', async () => {
    const { app, logger } = setup()
    await app.request('/prod/private', { headers: { 'x-api-key': VALUE } })
    expect(logger.accessLines).toHaveLength(1)
    expect(JSON.parse(logger.accessLines[0]!).apiKeyId).toBe('partner01')
    // Even a format asking for $context.identity.apiKey gets no value.
    const custom = setup({ api: {}, stages: [{ name: 'prod', accessLog: { format: '$context.identity.apiKeyId $context.identity.apiKey' } }] })
    await custom.app.request('/prod/private', { headers: { 'x-api-key': VALUE } })
    expect(custom.logger.accessLines).toEqual(['partner01 -'])
    for (const line of [...logger.accessLines, ...custom.logger.accessLines]) expect(line).not.toContain(VALUE)
    expect(JSON.stringify([...logger.lines, ...custom.logger.lines])).not.toContain(VALUE)
  })

  it('rejections log the error type and no value', async () => {
    const { app, logger } = setup()
    await app.request('/prod/private', { headers: { 'x-api-key': 'not-a-known-key-0123456789' } })
    const line = JSON.parse(logger.accessLines[0]!)
    expect(line).toMatchObject({ status: '403', errorType: 'INVALID_API_KEY', apiKeyId: '-' })
    expect(JSON.stringify(logger)).not.toContain('not-a-known-key-0123456789')
  })
})

describe('apiKeySource AUTHORIZER', () => {
  // Stands in for a Lambda authorizer: runs earlier and sets usageIdentifierKey from its own
  // header (what a real authorizer's output would carry).
  const standIn: Feature = {
    name: 'test-authorizer',
    priority: 2000,
    create: () => async (req, next) => {
      const key = req.headers.find(([k]) => k.toLowerCase() === 'x-test-usage-key')?.[1]
      if (key !== undefined) req.usageIdentifierKey = key
      return next()
    },
  }
  const features = [apiKeyFeature, standIn]

  it("takes the authorizer's usageIdentifierKey", async () => {
    const { app, events } = setup({ api: { apiKeySource: 'AUTHORIZER' } }, { features })
    const res = await app.request('/prod/private', { headers: { 'x-test-usage-key': VALUE } })
    expect(res.status).toBe(200)
    expect(events[0].requestContext.identity).toMatchObject({ apiKey: VALUE, apiKeyId: 'partner01' })
  })

  it('ignores x-api-key; no or an unknown usageIdentifierKey is 403', async () => {
    const { app, events, logger } = setup({ api: { apiKeySource: 'AUTHORIZER' } }, { features })
    await expectForbidden(await app.request('/prod/private', { headers: { 'x-api-key': VALUE } }))
    await expectForbidden(await app.request('/prod/private', { headers: { 'x-test-usage-key': 'unknown-usage-key-0123456789' } }))
    await expectForbidden(await app.request('/prod/private', { headers: { 'x-test-usage-key': DISABLED } }))
    expect(events).toHaveLength(0)
    expect(logger.lines[0]?.fields?.detail).toBe('no usageIdentifierKey from a Lambda authorizer (apiKeySource AUTHORIZER)')
  })

  it('HEADER source ignores a usageIdentifierKey', async () => {
    const { app, events } = setup({}, { features })
    await expectForbidden(await app.request('/prod/private', { headers: { 'x-test-usage-key': VALUE } }))
    expect(events).toHaveLength(0)
  })
})

describe('wiring', () => {
  it('runs after authorizers (priority 1000) and only on apiKeyRequired REST routes', () => {
    expect(apiKeyFeature.priority).toBe(1000)
    const { model, deps } = makeGateway({ functions, ...restApi(routes), apiKeys }, { gateway: { features: [] } })
    const api = model.apis[0]!
    const resolved = { ...deps, env: {}, fetch, stores: { keyStore: memoryKeyStore() } } as any
    const [priv, pub] = api.routes
    expect(apiKeyFeature.create({ route: priv!, api, model, deps: resolved })).toBeTypeOf('function')
    expect(apiKeyFeature.create({ route: pub!, api, model, deps: resolved })).toBeUndefined()
  })
})
