/**
 * The admin API in process, on the stores of a real gateway (gateway.deps): authentication,
 * keys and plans in API Gateway's shapes, links that open stages to a key on that gateway,
 * 400/404/409 with the field or AWS's wording, nothing half-written, usage and quota reset,
 * and the stage cache flushes.
 */
import { describe, expect, it } from 'vitest'
import { makeGateway, scriptedInvoker } from '../helpers/gateway.ts'
import { createAdminApp, quotaCounterKey } from '../../src/admin/index.ts'
import { apiKeyFeature } from '../../src/features/api-key/index.ts'
import { cacheFeature } from '../../src/features/cache/index.ts'
import { memoryKeyStore } from '../../src/storage/memory/key-store.ts'
import type { Feature } from '../../src/core/feature.ts'
import type { KeyStore } from '../../src/storage/ports.ts'

const TOKEN = 'admin-token-0123456789abcdef'
const PREFIX = '/_portico/admin'
const CONFIG_KEY_VALUE = 'config-key-value-0123456789'
const lambda = { type: 'lambda', function: 'fn' }

function config(extra: { cache?: boolean } = {}) {
  return {
    functions: { fn: { handler: 'echo.handler' } },
    apis: [
      {
        name: 'rest',
        type: 'REST',
        stages: [{ name: 'prod', ...(extra.cache ? { cache: { enabled: true } } : {}) }, { name: 'dev' }],
        routes: [
          { method: 'GET', path: '/partner', integration: lambda, apiKeyRequired: true },
          { method: 'GET', path: '/pets/{id}', integration: lambda, apiKeyRequired: true },
          { method: 'GET', path: '/open', integration: lambda },
        ],
      },
      { name: 'web', type: 'HTTP', routes: [{ route: 'GET /x', integration: { ...lambda, payloadFormatVersion: '2.0' } }], basePath: '/web' },
    ],
    apiKeys: [{ name: 'configured', id: 'cfgkey0001', value: CONFIG_KEY_VALUE }],
  }
}

/** A gateway (API key feature, optionally the cache) and its admin app on the same deps. */
function setup(opts: { cache?: boolean; keyStore?: KeyStore; features?: Feature[]; env?: Record<string, string> } = {}) {
  const { invoker, events } = scriptedInvoker((event) => ({ statusCode: 200, body: JSON.stringify({ apiKeyId: event.requestContext.identity.apiKeyId, n: Math.random() }) }))
  const g = makeGateway(config(opts), {
    invoker,
    deps: { env: opts.env ?? { PORTICO_ADMIN_TOKEN: TOKEN }, ...(opts.keyStore ? { stores: { keyStore: opts.keyStore } } : {}) },
    gateway: { features: opts.features ?? (opts.cache ? [apiKeyFeature, cacheFeature] : [apiKeyFeature]) },
  })
  const admin = createAdminApp(g.model, g.gateway.deps, { ready: g.gateway.ready })!
  const apiId = g.model.apis[0]!.id
  const call = async (method: string, path: string, body?: unknown, token = TOKEN) => {
    const res = await admin.request(PREFIX + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, type: res.headers.get('x-amzn-ErrorType'), body: text ? JSON.parse(text) : undefined }
  }
  const callRoute = (path: string, key?: string) => g.app.request(path, { headers: key ? { 'x-api-key': key } : {} })
  return { ...g, admin, apiId, call, callRoute, events }
}

async function keyAndPlan(s: ReturnType<typeof setup>, plan: Record<string, unknown> = {}) {
  const key = await s.call('POST', '/apikeys', { name: 'partner', enabled: true })
  const created = await s.call('POST', '/usageplans', { name: 'gold', apiStages: [{ apiId: s.apiId, stage: 'prod' }], ...plan })
  expect(key.status).toBe(201)
  expect(created.status).toBe(201)
  return { key: key.body, plan: created.body }
}

describe('switching on and authentication', () => {
  it('does not exist without PORTICO_ADMIN_TOKEN; the prefix then reaches the gateway like any path', async () => {
    const g = makeGateway(config(), { gateway: { features: [apiKeyFeature] } })
    expect(createAdminApp(g.model, g.gateway.deps)).toBeUndefined()
    expect(createAdminApp(g.model, g.gateway.deps, { token: '' })).toBeUndefined()
  })

  it('refuses a missing, malformed or wrong bearer token with 401, and never logs the token', async () => {
    const s = setup()
    for (const authorization of [undefined, 'Basic abc', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, 'Bearer', `bearer  ${TOKEN} extra`]) {
      const res = await s.admin.request(PREFIX + '/apikeys', { headers: authorization ? { authorization } : {} })
      expect(res.status, String(authorization)).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer')
      expect(await res.json()).toEqual({ message: 'Unauthorized' })
    }
    // Unknown paths too: nothing tells an outsider which resources exist.
    expect((await s.admin.request(PREFIX + '/nothing')).status).toBe(401)
    expect((await s.call('GET', '/apikeys')).status).toBe(200)
    expect((await s.call('GET', '/nothing')).status).toBe(404)
    expect(JSON.stringify(s.logger.lines)).not.toContain(TOKEN.slice(0, 12))
  })

  it('answers under settings.admin.pathPrefix, or the prefix given', async () => {
    const s = setup()
    const other = createAdminApp(s.model, s.gateway.deps, { pathPrefix: '/ops' })!
    expect((await other.request('/ops/apikeys', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200)
    expect((await other.request(PREFIX + '/apikeys', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404)
  })
})

describe('API keys', () => {
  it('shows the value once, at creation; stores only its hash; lists and gets without it', async () => {
    const s = setup()
    await s.gateway.ready
    // Listed oldest first: the config key (stored at start-up) before this one.
    s.clock.advance(1000)
    const created = await s.call('POST', '/apikeys', { name: 'partner', description: 'for ACME', enabled: true })
    expect(created.status).toBe(201)
    const key = created.body
    expect(key).toMatchObject({ name: 'partner', description: 'for ACME', enabled: true, stageKeys: [] })
    expect(key.id).toMatch(/^[a-z0-9]{10}$/)
    expect(key.value).toMatch(/^[A-Za-z0-9]{40}$/)
    expect(key.createdDate).toBe(Math.floor(s.clock.now() / 1000))
    expect(key.lastUpdatedDate).toBe(key.createdDate)

    const got = await s.call('GET', `/apikeys/${key.id}`)
    expect(got.status).toBe(200)
    expect(got.body.value).toBeUndefined()
    const list = await s.call('GET', '/apikeys')
    expect(list.body.items.map((k: { id: string }) => k.id)).toEqual(['cfgkey0001', key.id])
    expect(JSON.stringify(list.body)).not.toContain(key.value)
    const stored = await s.gateway.deps.stores.keyStore.get(key.id)
    expect(JSON.stringify(stored)).not.toContain(key.value)
    expect(JSON.stringify(s.logger.lines)).not.toContain(key.value)
    expect((await s.call('GET', '/apikeys?name=part')).body.items).toHaveLength(1)
  })

  it('refuses a body that is not a JSON object (null, a number) with a 400 and writes nothing', async () => {
    const s = setup()
    for (const body of ['null', '42', '"x"']) {
      const res = await s.call('POST', '/apikeys', body)
      expect(res.status).toBe(400)
      expect(res.body).toEqual({ message: 'body: must be a JSON object' })
    }
    // Only the key the config declares.
    expect((await s.call('GET', '/apikeys')).body.items.map((k: { id: string }) => k.id)).toEqual(['cfgkey0001'])
  })
  it('is created disabled unless enabled (as AWS), takes a given value, and refuses a value twice', async () => {
    const s = setup()
    const off = await s.call('POST', '/apikeys', {})
    expect(off.body.enabled).toBe(false)
    const given = await s.call('POST', '/apikeys', { value: 'my-own-key-value-0123456789', enabled: 'true' })
    expect(given.body.value).toBe('my-own-key-value-0123456789')
    expect(given.body.enabled).toBe(true)
    const twice = await s.call('POST', '/apikeys', { value: 'my-own-key-value-0123456789' })
    expect(twice.status).toBe(409)
    expect(twice.type).toBe('ConflictException')
    const configured = await s.call('POST', '/apikeys', { value: CONFIG_KEY_VALUE })
    expect(configured.status).toBe(409)
  })

  it('400s name the field; nothing is stored', async () => {
    const s = setup()
    const cases: [unknown, RegExp][] = [
      [{ value: 'short' }, /^value: must be at least 20 characters$/],
      [{ value: 'x'.repeat(129) }, /^value: must be at most 128/],
      [{ value: 'has a space in it 0123456789' }, /^value: /],
      [{ enabled: 'yes' }, /^enabled: must be true or false$/],
      [{ name: 5 }, /^name: must be a string$/],
      [{ nmae: 'typo' }, /^nmae: unknown field/],
      [{ stageKeys: ['x/prod'] }, /^stageKeys: not supported/],
      [[1], /^body: must be a JSON object$/],
      ['{not json', /^body: is not valid JSON$/],
      [JSON.stringify({ description: 'x'.repeat(70_000) }), /^body: larger than 65536 bytes$/],
    ]
    for (const [body, message] of cases) {
      const res = await s.call('POST', '/apikeys', body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.type).toBe('BadRequestException')
      expect(res.body.message).toMatch(message)
    }
    expect((await s.call('GET', '/apikeys')).body.items).toHaveLength(1)
  })

  it('updates by patch operations; an unsupported path or bad value is a 400 and nothing changes', async () => {
    const s = setup()
    const { body: key } = await s.call('POST', '/apikeys', { name: 'a', enabled: true })
    s.clock.advance(5000)
    const ok = await s.call('PATCH', `/apikeys/${key.id}`, {
      patchOperations: [
        { op: 'replace', path: '/name', value: 'b' },
        { op: 'replace', path: '/enabled', value: 'false' },
      ],
    })
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({ name: 'b', enabled: false, lastUpdatedDate: key.createdDate + 5 })

    const bad = await s.call('PATCH', `/apikeys/${key.id}`, { patchOperations: [{ op: 'replace', path: '/name', value: 'c' }, { op: 'replace', path: '/customerId', value: 'x' }] })
    expect(bad.status).toBe(400)
    expect(bad.body.message).toMatch(/^patchOperations\[1\]\.path: replace \/customerId is not supported/)
    const badValue = await s.call('PATCH', `/apikeys/${key.id}`, [{ op: 'replace', path: '/enabled', value: 'maybe' }])
    expect(badValue.body.message).toBe('patchOperations[0].value: must be true or false')
    const badOp = await s.call('PATCH', `/apikeys/${key.id}`, [{ op: 'move', path: '/name', from: '/x' }])
    expect(badOp.body.message).toBe('patchOperations[0].op: must be add, remove or replace')
    expect((await s.call('GET', `/apikeys/${key.id}`)).body.name).toBe('b')
  })

  it('404s with AWS wording; a config key cannot be changed or deleted (409)', async () => {
    const s = setup()
    for (const [method, path] of [['GET', '/apikeys/nope'], ['PATCH', '/apikeys/nope'], ['DELETE', '/apikeys/nope']] as const) {
      const res = await s.call(method, path, method === 'PATCH' ? [{ op: 'replace', path: '/name', value: 'x' }] : undefined)
      expect(res.status).toBe(404)
      expect(res.type).toBe('NotFoundException')
      expect(res.body).toEqual({ message: 'Invalid API Key identifier specified' })
    }
    const del = await s.call('DELETE', '/apikeys/cfgkey0001')
    expect(del.status).toBe(409)
    expect(del.body.message).toMatch(/declared in the config \(apiKeys\)/)
    expect((await s.callRoute('/prod/partner', CONFIG_KEY_VALUE)).status).toBe(200)
  })
})

describe('usage plans and links, end to end on the gateway', () => {
  it('a new key works on the plan stages once linked, and stops when unlinked, disabled or deleted', async () => {
    const s = setup()
    const { key, plan } = await keyAndPlan(s)
    expect(plan).toEqual({ id: plan.id, name: 'gold', apiStages: [{ apiId: s.apiId, stage: 'prod' }] })
    // In no plan: no stage (as on AWS).
    expect((await s.callRoute('/prod/partner', key.value)).status).toBe(403)

    const link = await s.call('POST', `/usageplans/${plan.id}/keys`, { keyId: key.id, keyType: 'API_KEY' })
    expect(link.status).toBe(201)
    expect(link.body).toEqual({ id: key.id, type: 'API_KEY', name: 'partner' })
    expect((await s.call('GET', `/apikeys/${key.id}`)).body.stageKeys).toEqual([`${s.apiId}/prod`])
    const ok = await s.callRoute('/prod/partner', key.value)
    expect(ok.status).toBe(200)
    expect((await ok.json()).apiKeyId).toBe(key.id)
    expect((await s.callRoute('/dev/partner', key.value)).status).toBe(403)
    expect((await s.call('GET', `/usageplans/${plan.id}/keys`)).body).toEqual({ items: [{ id: key.id, type: 'API_KEY', name: 'partner' }] })
    expect((await s.call('GET', `/usageplans?keyId=${key.id}`)).body.items.map((p: { id: string }) => p.id)).toEqual([plan.id])

    // A stage added to the plan opens for its keys.
    const added = await s.call('PATCH', `/usageplans/${plan.id}`, [{ op: 'add', path: '/apiStages', value: `${s.apiId}:dev` }])
    expect(added.status).toBe(200)
    expect((await s.callRoute('/dev/partner', key.value)).status).toBe(200)

    await s.call('PATCH', `/apikeys/${key.id}`, [{ op: 'replace', path: '/enabled', value: 'false' }])
    expect((await s.callRoute('/prod/partner', key.value)).status).toBe(403)
    await s.call('PATCH', `/apikeys/${key.id}`, [{ op: 'replace', path: '/enabled', value: 'true' }])
    expect((await s.callRoute('/prod/partner', key.value)).status).toBe(200)

    expect((await s.call('DELETE', `/usageplans/${plan.id}/keys/${key.id}`)).status).toBe(202)
    expect((await s.callRoute('/prod/partner', key.value)).status).toBe(403)
    expect((await s.call('GET', `/apikeys/${key.id}`)).body.stageKeys).toEqual([])

    await s.call('POST', `/usageplans/${plan.id}/keys`, { keyId: key.id })
    expect((await s.callRoute('/prod/partner', key.value)).status).toBe(200)
    expect((await s.call('DELETE', `/apikeys/${key.id}`)).status).toBe(202)
    expect((await s.callRoute('/prod/partner', key.value)).status).toBe(403)
    expect((await s.call('GET', `/usageplans/${plan.id}/keys`)).body.items).toEqual([])
    // Every rejected call stopped before the integration.
    expect(s.events).toHaveLength(4)
  })

  it('deleting a plan closes its stages to its keys', async () => {
    const s = setup()
    const { key, plan } = await keyAndPlan(s)
    await s.call('POST', `/usageplans/${plan.id}/keys`, { keyId: key.id })
    expect((await s.callRoute('/prod/partner', key.value)).status).toBe(200)
    expect((await s.call('DELETE', `/usageplans/${plan.id}`)).status).toBe(202)
    expect((await s.call('GET', `/usageplans/${plan.id}`)).body).toEqual({ message: 'Invalid Usage Plan ID specified' })
    expect((await s.callRoute('/prod/partner', key.value)).status).toBe(403)
    expect(await s.gateway.deps.stores.keyStore.plansOfKey(key.id)).toEqual([])
  })

  it('stores throttle, quota and per-method throttles, and shows method keys AWS\'s way', async () => {
    const s = setup()
    const res = await s.call('POST', '/usageplans', {
      name: 'silver',
      description: 'd',
      throttle: { rateLimit: 10.5, burstLimit: 20 },
      quota: { limit: 1000, period: 'MONTH' },
      apiStages: [{ apiId: s.apiId, stage: 'prod', throttle: { '/pets/{id}/GET': { rateLimit: 1, burstLimit: 2 }, 'GET /partner': { rateLimit: 3, burstLimit: 4 } } }],
    })
    expect(res.status).toBe(201)
    expect(res.body).toEqual({
      id: res.body.id,
      name: 'silver',
      description: 'd',
      throttle: { burstLimit: 20, rateLimit: 10.5 },
      quota: { limit: 1000, offset: 0, period: 'MONTH' },
      apiStages: [{ apiId: s.apiId, stage: 'prod', throttle: { '/pets/{id}/GET': { burstLimit: 2, rateLimit: 1 }, '/partner/GET': { burstLimit: 4, rateLimit: 3 } } }],
    })
    const stored = await s.gateway.deps.stores.keyStore.getPlan(res.body.id)
    expect(stored?.apiStages[0]!.throttle).toEqual({ 'GET /pets/{id}': { rateLimit: 1, burstLimit: 2 }, 'GET /partner': { rateLimit: 3, burstLimit: 4 } })
    expect(stored?.source).toBe('admin')

    const patched = await s.call('PATCH', `/usageplans/${res.body.id}`, {
      patchOperations: [
        { op: 'replace', path: '/throttle/rateLimit', value: '50' },
        { op: 'replace', path: '/quota/limit', value: '5' },
        { op: 'replace', path: '/quota/period', value: 'DAY' },
        { op: 'replace', path: `/apiStages/${s.apiId}:prod/throttle/~1pets~1{id}/GET/rateLimit`, value: '7' },
        { op: 'remove', path: `/apiStages/${s.apiId}:prod/throttle/~1partner/GET` },
        { op: 'remove', path: '/description' },
      ],
    })
    expect(patched.status).toBe(200)
    expect(patched.body).toEqual({
      id: res.body.id,
      name: 'silver',
      throttle: { burstLimit: 20, rateLimit: 50 },
      quota: { limit: 5, offset: 0, period: 'DAY' },
      apiStages: [{ apiId: s.apiId, stage: 'prod', throttle: { '/pets/{id}/GET': { burstLimit: 2, rateLimit: 7 } } }],
    })
    const removed = await s.call('PATCH', `/usageplans/${res.body.id}`, [{ op: 'remove', path: '/throttle' }, { op: 'remove', path: '/quota' }])
    expect(removed.body.throttle).toBeUndefined()
    expect(removed.body.quota).toBeUndefined()
  })

  it('400s name the field, against the gateway\'s APIs; nothing is written', async () => {
    const s = setup()
    const httpApiId = s.model.apis[1]!.id
    const cases: [unknown, string | RegExp][] = [
      [{}, 'name: is required'],
      [{ name: '' }, 'name: must not be empty'],
      [{ name: 'p', quota: { limit: 10, period: 'YEAR' } }, 'quota.period: must be DAY, WEEK or MONTH'],
      [{ name: 'p', quota: { period: 'DAY' } }, 'quota.limit: is required'],
      [{ name: 'p', quota: { limit: -1, period: 'DAY' } }, /^quota\.limit: must be from 0/],
      [{ name: 'p', quota: { limit: 1.5, period: 'DAY' } }, 'quota.limit: must be a whole number'],
      [{ name: 'p', throttle: { rateLimit: 10 } }, 'throttle.burstLimit: is required'],
      [{ name: 'p', throttle: { rateLimit: 'fast', burstLimit: 1 } }, 'throttle.rateLimit: must be a number'],
      [{ name: 'p', apiStages: [{ apiId: 'nope', stage: 'prod' }] }, 'apiStages[0].apiId: no API with id nope'],
      [{ name: 'p', apiStages: [{ apiId: s.apiId, stage: 'staging' }] }, 'apiStages[0].stage: API rest has no stage staging'],
      [{ name: 'p', apiStages: [{ apiId: httpApiId, stage: '$default' }] }, /^apiStages\[0\]\.apiId: API web is an HTTP API/],
      [{ name: 'p', apiStages: [{ apiId: s.apiId, stage: 'prod', throttle: { '/nothing/GET': { rateLimit: 1, burstLimit: 1 } } }] }, 'apiStages[0].throttle./nothing/GET: API rest has no route GET /nothing'],
      [{ name: 'p', apiStages: [{ apiId: s.apiId, stage: 'prod' }, { apiId: s.apiId, stage: 'prod' }] }, /^apiStages\[1\]: .* listed twice$/],
      [{ name: 'p', productCode: 'x' }, 'productCode: not supported'],
    ]
    for (const [body, message] of cases) {
      const res = await s.call('POST', '/usageplans', body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      if (typeof message === 'string') expect(res.body.message).toBe(message)
      else expect(res.body.message).toMatch(message)
    }
    expect((await s.call('GET', '/usageplans')).body.items).toEqual([])

    const { plan } = await keyAndPlan(s)
    const patches: [unknown[], string | RegExp][] = [
      [[{ op: 'replace', path: '/quota/limit', value: '10' }], 'quota: needs both limit and period (set the other one in the same request)'],
      [[{ op: 'replace', path: '/throttle/burstLimit', value: '10' }], /^throttle: needs both/],
      [[{ op: 'replace', path: '/name', value: 'ok' }, { op: 'replace', path: '/productCode', value: 'x' }], /^patchOperations\[1\]\.path: replace \/productCode is not supported/],
      [[{ op: 'add', path: '/apiStages', value: 'garbage' }], 'patchOperations[0].value: must be "apiId:stage"'],
      [[{ op: 'add', path: '/apiStages', value: `${s.apiId}:prod` }], /is already in the plan$/],
      [[{ op: 'add', path: '/apiStages', value: `${s.apiId}:qa` }], 'patchOperations[0].value.stage: API rest has no stage qa'],
      [[{ op: 'replace', path: `/apiStages/${s.apiId}:prod/throttle/~1partner/GET/rateLimit`, value: '1' }], /GET \/partner has no throttle yet/],
    ]
    for (const [ops, message] of patches) {
      const res = await s.call('PATCH', `/usageplans/${plan.id}`, ops)
      expect(res.status, JSON.stringify(ops)).toBe(400)
      if (typeof message === 'string') expect(res.body.message).toBe(message)
      else expect(res.body.message).toMatch(message)
    }
    expect((await s.call('GET', `/usageplans/${plan.id}`)).body).toEqual(plan)
  })

  it('a key belongs to one plan per stage (409), checked on link and on stage changes; names are unique', async () => {
    const s = setup()
    const { key, plan } = await keyAndPlan(s)
    await s.call('POST', `/usageplans/${plan.id}/keys`, { keyId: key.id })
    const again = await s.call('POST', `/usageplans/${plan.id}/keys`, { keyId: key.id })
    expect(again.status).toBe(409)
    const twin = await s.call('POST', '/usageplans', { name: 'gold' })
    expect(twin.status).toBe(409)

    const other = (await s.call('POST', '/usageplans', { name: 'other', apiStages: [{ apiId: s.apiId, stage: 'prod' }] })).body
    const clash = await s.call('POST', `/usageplans/${other.id}/keys`, { keyId: key.id })
    expect(clash.status).toBe(409)
    expect(clash.type).toBe('ConflictException')
    expect(clash.body.message).toBe(
      `Usage Plan ${other.id} cannot be added because API Key ${key.id} cannot reference multiple Usage Plans with the same API Stage: ${s.apiId}:prod`,
    )

    const dev = (await s.call('POST', '/usageplans', { name: 'dev', apiStages: [{ apiId: s.apiId, stage: 'dev' }] })).body
    expect((await s.call('POST', `/usageplans/${dev.id}/keys`, { keyId: key.id })).status).toBe(201)
    expect((await s.call('GET', `/apikeys/${key.id}`)).body.stageKeys).toEqual([`${s.apiId}/dev`, `${s.apiId}/prod`])
    // Adding prod to "dev" would put the key in two plans for prod.
    const grow = await s.call('PATCH', `/usageplans/${dev.id}`, [{ op: 'add', path: '/apiStages', value: `${s.apiId}:prod` }])
    expect(grow.status).toBe(409)
    expect((await s.call('GET', `/usageplans/${dev.id}`)).body.apiStages).toEqual([{ apiId: s.apiId, stage: 'dev' }])

    expect((await s.call('POST', `/usageplans/${dev.id}/keys`, { keyId: 'nope' })).body).toEqual({ message: 'Invalid API Key identifier specified' })
    expect((await s.call('POST', '/usageplans/nope/keys', { keyId: key.id })).body).toEqual({ message: 'Invalid Usage Plan ID specified' })
    expect((await s.call('POST', `/usageplans/${dev.id}/keys`, { keyId: key.id, keyType: 'OTHER' })).body).toEqual({ message: 'keyType: must be API_KEY' })
    expect((await s.call('DELETE', `/usageplans/${other.id}/keys/${key.id}`)).status).toBe(404)
  })

  it('undoes the link when writing the key\'s stages fails: nothing half-written', async () => {
    const inner = memoryKeyStore()
    let failPuts = false
    const keyStore: KeyStore = { ...inner, put: async (k) => (failPuts ? Promise.reject(new Error('store down')) : inner.put(k)) }
    const s = setup({ keyStore })
    const { key, plan } = await keyAndPlan(s)
    failPuts = true
    const res = await s.call('POST', `/usageplans/${plan.id}/keys`, { keyId: key.id })
    expect(res.status).toBe(500)
    expect(res.body).toEqual({ message: 'Internal server error' })
    expect(await inner.plansOfKey(key.id)).toEqual([])
    expect((await inner.get(key.id))?.stages).toEqual([])
    failPuts = false
    await s.call('POST', `/usageplans/${plan.id}/keys`, { keyId: key.id })
    const second = (await s.call('POST', '/apikeys', { name: 'second', enabled: true })).body
    await s.call('POST', `/usageplans/${plan.id}/keys`, { keyId: second.id })
    // Deleting the plan fails half-way (one write fails, after the first key's stages were
    // rewritten): the plan, its links and that key's stages come back.
    let puts = 0
    keyStore.put = async (k) => (++puts === 2 ? Promise.reject(new Error('store down')) : inner.put(k))
    expect((await s.call('DELETE', `/usageplans/${plan.id}`)).status).toBe(500)
    expect(puts).toBeGreaterThan(1)
    keyStore.put = (k) => inner.put(k)
    expect(await inner.getPlan(plan.id)).toBeDefined()
    expect(await inner.plansOfKey(key.id)).toEqual([plan.id])
    expect(await inner.plansOfKey(second.id)).toEqual([plan.id])
    for (const k of [key, second]) expect((await inner.get(k.id))?.stages).toEqual([`${s.apiId}/prod`])
    expect((await s.callRoute('/prod/partner', key.value)).status).toBe(200)
  })
})

describe('usage and quota reset', () => {
  it('gives [used, remaining] per key per day, counting remaining from the start of the quota period', async () => {
    const s = setup()
    const { key, plan } = await keyAndPlan(s, { quota: { limit: 10, period: 'WEEK' } })
    await s.call('POST', `/usageplans/${plan.id}/keys`, { keyId: key.id })
    const counter = s.gateway.deps.stores.quotaCounter
    const quota = { limit: 10, period: 'WEEK' as const, offset: 0 }
    // Week of Sunday 2026-01-11: 2 on Monday the 12th, 3 on Wednesday the 14th.
    for (const [day, n] of [['2026-01-12', 2], ['2026-01-14', 3]] as const) {
      for (let i = 0; i < n; i++) await counter.consume(quotaCounterKey(plan.id, key.id), quota, Date.parse(day + 'T10:00:00Z'))
    }
    const res = await s.call('GET', `/usageplans/${plan.id}/usage?startDate=2026-01-13&endDate=2026-01-15`)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ usagePlanId: plan.id, startDate: '2026-01-13', endDate: '2026-01-15', items: { [key.id]: [[0, 8], [3, 5], [0, 5]] } })
    const one = await s.call('GET', `/usageplans/${plan.id}/usage?keyId=${key.id}&startDate=2026-01-17&endDate=2026-01-18`)
    // Saturday the 17th closes the week; Sunday the 18th starts a new one.
    expect(one.body.items).toEqual({ [key.id]: [[0, 5], [0, 10]] })

    // Reset: the current period (the clock's, 2026-01-15) starts over.
    expect((await s.call('DELETE', `/usageplans/${plan.id}/keys/${key.id}/usage`)).status).toBe(202)
    const after = await counter.consume(quotaCounterKey(plan.id, key.id), quota, s.clock.now())
    expect(after.used).toBe(1)
  })

  it('400 for missing, malformed or reversed dates; 404 for unknown plan or key', async () => {
    const s = setup()
    const { plan } = await keyAndPlan(s)
    const cases: [string, string][] = [
      ['endDate=2026-01-02', 'startDate: is required (yyyy-MM-dd)'],
      ['startDate=2026-01-02', 'endDate: is required (yyyy-MM-dd)'],
      ['startDate=01/02/2026&endDate=2026-01-02', 'startDate: must be a date as yyyy-MM-dd'],
      ['startDate=2026-02-30&endDate=2026-03-02', 'startDate: 2026-02-30 is not a date'],
      ['startDate=2026-01-05&endDate=2026-01-02', 'endDate: must not be before startDate'],
      ['startDate=2024-01-01&endDate=2026-01-02', 'endDate: the range may cover at most 366 days'],
    ]
    for (const [query, message] of cases) {
      const res = await s.call('GET', `/usageplans/${plan.id}/usage?${query}`)
      expect(res.status, query).toBe(400)
      expect(res.body.message).toBe(message)
    }
    expect((await s.call('GET', '/usageplans/nope/usage?startDate=2026-01-01&endDate=2026-01-02')).status).toBe(404)
    expect((await s.call('GET', `/usageplans/${plan.id}/usage?keyId=nope&startDate=2026-01-01&endDate=2026-01-02`)).body.message).toBe('Invalid API Key identifier specified')
    const noQuota = await s.call('GET', `/usageplans/${plan.id}/usage?startDate=2026-01-01&endDate=2026-01-01`)
    expect(noQuota.body.items).toEqual({})
  })
})

describe('stage caches', () => {
  it('DELETE .../cache/data flushes the stage cache (202): the next request reaches the integration', async () => {
    const s = setup({ cache: true })
    const first = await s.callRoute('/prod/open')
    const hit = await s.callRoute('/prod/open')
    expect(await hit.text()).toBe(await first.text())
    expect(s.events).toHaveLength(1)
    const flushed = await s.call('DELETE', `/restapis/${s.apiId}/stages/prod/cache/data`)
    expect(flushed.status).toBe(202)
    expect(flushed.body).toBeUndefined()
    await s.callRoute('/prod/open')
    expect(s.events).toHaveLength(2)

    expect((await s.call('DELETE', `/restapis/${s.apiId}/stages/dev/cache/data`)).body.message).toMatch(/^stage: stage dev of API .* has no cache/)
    expect((await s.call('DELETE', `/restapis/nope/stages/prod/cache/data`)).body).toEqual({ message: 'Invalid API identifier specified' })
    expect((await s.call('DELETE', `/restapis/${s.apiId}/stages/qa/cache/data`)).body).toEqual({ message: 'Invalid stage identifier specified' })
  })

  it('GET .../cache/stats counts this instance\'s hits, misses and stores; a stage without a cache is a 400', async () => {
    const s = setup({ cache: true })
    const empty = await s.call('GET', `/restapis/${s.apiId}/stages/prod/cache/stats`)
    expect(empty.status).toBe(200)
    expect(empty.body).toEqual({ hits: 0, misses: 0, refreshes: 0, bypasses: 0, stores: 0, evictions: 0 })
    await s.callRoute('/prod/open')
    await s.callRoute('/prod/open')
    await s.callRoute('/prod/open')
    const counted = await s.call('GET', `/restapis/${s.apiId}/stages/prod/cache/stats`)
    expect(counted.body).toMatchObject({ hits: 2, misses: 1, stores: 1, refreshes: 0, bypasses: 0, evictions: 0, entries: 1 })
    expect(counted.body.bytes).toBeGreaterThan(0)
    expect((await s.call('GET', `/restapis/${s.apiId}/stages/dev/cache/stats`)).body.message).toMatch(/^stage: stage dev of API .* has no cache/)
  })

  it('DELETE .../cache/entry deletes the one entry a request would hit, per caller too', async () => {
    const s = setup({ cache: true })
    await s.callRoute('/prod/open')
    await s.callRoute('/prod/open')
    expect(s.events).toHaveLength(1)
    const entry = (query: string) => s.call('DELETE', `/restapis/${s.apiId}/stages/prod/cache/entry?${query}`)
    expect((await entry('path=/open')).body).toEqual({ deleted: true })
    expect((await entry('path=/open')).body).toEqual({ deleted: false })
    await s.callRoute('/prod/open')
    expect(s.events).toHaveLength(2)

    // A per-caller route: the entry of the caller named by its API key id, and only that one.
    await s.callRoute('/prod/partner', CONFIG_KEY_VALUE)
    await s.callRoute('/prod/partner', CONFIG_KEY_VALUE)
    expect(s.events).toHaveLength(3)
    expect((await entry('path=/partner')).body).toEqual({ deleted: false })
    expect((await entry('path=/partner&apiKeyId=cfgkey0001')).body).toEqual({ deleted: true })
    await s.callRoute('/prod/partner', CONFIG_KEY_VALUE)
    expect(s.events).toHaveLength(4)

    const bad = await entry('path=/nowhere')
    expect(bad.status).toBe(400)
    expect(bad.body.message).toMatch(/^path: no route of API .* matches GET \/nowhere$/)
    expect((await entry('method=GET')).body.message).toMatch(/^path: is required/)
  })

  it('DELETE .../cache/authorizers empties the authorizer cache (202)', async () => {
    const s = setup()
    const cache = s.gateway.deps.stores.authorizerCache
    await cache.set('k', { principalId: 'u' }, 300)
    expect((await s.call('DELETE', `/restapis/${s.apiId}/stages/prod/cache/authorizers`)).status).toBe(202)
    expect(await cache.get('k')).toBeUndefined()
  })
})

describe('get-usage after a quota reset', () => {
  it('reports the remaining quota the gateway enforces, with every served request still counted as used', async () => {
    const { usagePlanFeature } = await import('../../src/features/usage-plan/index.ts')
    const s = setup({ features: [apiKeyFeature, usagePlanFeature] })
    const { key, plan } = await keyAndPlan(s, { quota: { limit: 5, period: 'DAY' } })
    expect((await s.call('POST', `/usageplans/${plan.id}/keys`, { keyId: key.id })).status).toBe(201)
    const day = new Date(s.clock.now()).toISOString().slice(0, 10)
    const usage = async () => (await s.call('GET', `/usageplans/${plan.id}/usage?keyId=${key.id}&startDate=${day}&endDate=${day}`)).body.items[key.id]
    for (let i = 0; i < 3; i++) expect((await s.callRoute('/prod/partner', key.value)).status).toBe(200)
    expect(await usage()).toEqual([[3, 2]])
    expect((await s.call('DELETE', `/usageplans/${plan.id}/keys/${key.id}/usage`)).status).toBe(202)
    expect((await s.callRoute('/prod/partner', key.value)).status).toBe(200)
    // Four served today; one counted since the reset, so four of five remain, as enforced.
    expect(await usage()).toEqual([[4, 4]])
    for (let i = 0; i < 4; i++) expect((await s.callRoute('/prod/partner', key.value)).status).toBe(200)
    expect((await s.callRoute('/prod/partner', key.value)).status).toBe(429)
    expect(await usage()).toEqual([[8, 0]])
  })
})
