/**
 * The admin API: API Gateway's management resources for API keys, usage plans, plan keys,
 * usage and stage caches, as a Hono sub-app under a path prefix (settings.admin.pathPrefix,
 * default /_portico/admin). It exists only when an admin token is configured
 * (PORTICO_ADMIN_TOKEN); every call then needs `Authorization: Bearer <token>`.
 *
 * Paths and shapes follow API Gateway's REST API (see shapes.ts for the naming choice):
 *   POST|GET /apikeys, GET|PATCH|DELETE /apikeys/{id}
 *   POST|GET /usageplans, GET|PATCH|DELETE /usageplans/{id}
 *   POST|GET /usageplans/{id}/keys, GET|DELETE /usageplans/{id}/keys/{keyId}
 *   GET /usageplans/{id}/usage?keyId=&startDate=&endDate=
 *   DELETE /usageplans/{id}/keys/{keyId}/usage       (Portico: reset the current quota period)
 *   DELETE /restapis/{apiId}/stages/{stage}/cache/data         (FlushStageCache, 202)
 *   GET    /restapis/{apiId}/stages/{stage}/cache/stats        (this instance's hit/miss counters)
 *   DELETE /restapis/{apiId}/stages/{stage}/cache/entry?method=&path=&querystring=&header.X=&apiKeyId=
 *                                                               (one entry, 200 {deleted})
 *   DELETE /restapis/{apiId}/stages/{stage}/cache/authorizers  (FlushStageAuthorizersCache, 202)
 * Creations answer 201, deletions and flushes 202 (as AWS), errors `{"message"}` with the
 * exception name in x-amzn-ErrorType. The log records each call's method, path (ids only) and
 * status; never a key value or the token.
 */
import { Hono, type Context } from 'hono'
import type { ResolvedDeps } from '../core/deps.ts'
import type { GatewayModel } from '../model/load.ts'
import { constantTimeEqual } from '../features/api-key/keys.ts'
import { cacheStats, deleteStageCacheEntry, flushStageCache } from '../features/cache/index.ts'
import { AdminError, badRequest, notFound } from './errors.ts'
import { AdminService } from './service.ts'

export { quotaCounterKey } from '../features/usage-plan/keys.ts'
export { AdminService, newResourceId, MAX_USAGE_DAYS, type AdminContext } from './service.ts'
export { AdminError, NOT_FOUND, type AdminErrorType } from './errors.ts'
export type { ApiKey, ApiStage, Page, QuotaSettings, ThrottleSettings, Usage, UsagePlan, UsagePlanKey } from './shapes.ts'

/** The environment variable holding the admin token. */
export const ADMIN_TOKEN_ENV = 'PORTICO_ADMIN_TOKEN'
export const DEFAULT_ADMIN_PREFIX = '/_portico/admin'
/** Shorter tokens are accepted with a warning: they can be guessed. */
export const MIN_ADMIN_TOKEN_LENGTH = 16

export interface AdminOptions {
  /** Overrides deps.env.PORTICO_ADMIN_TOKEN. */
  token?: string
  /** Overrides settings.admin.pathPrefix. */
  pathPrefix?: string
  /** Resolves when the gateway's set-up (config keys and plans stored) is done; calls wait for it. */
  ready?: Promise<void>
}

/** Where the admin API answers: settings.admin.pathPrefix without a trailing slash. */
export function adminPathPrefix(model: Pick<GatewayModel, 'settings'>): string {
  const prefix = (model.settings as { admin?: { pathPrefix?: string } }).admin?.pathPrefix ?? DEFAULT_ADMIN_PREFIX
  return prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix
}

/**
 * The admin sub-app, or undefined when no admin token is configured (then nothing answers under
 * the prefix and those paths reach the gateway's routing like any other).
 * Mount it before the gateway's catch-all route: `if (admin) app.route('/', admin)`.
 * @param model the gateway's model (plan stages are checked against its APIs)
 * @param deps the gateway's deps (`gateway.deps`), so keys and counters are the gateway's own
 */
export function createAdminApp(model: GatewayModel, deps: ResolvedDeps, opts: AdminOptions = {}): Hono | undefined {
  const token = opts.token ?? deps.env[ADMIN_TOKEN_ENV]
  if (!token) return undefined
  if (token.length < MIN_ADMIN_TOKEN_LENGTH) {
    deps.logger.warn(`the admin token (${ADMIN_TOKEN_ENV}) is shorter than ${MIN_ADMIN_TOKEN_LENGTH} characters: use a long random one`)
  }
  const prefix = opts.pathPrefix ?? adminPathPrefix(model)
  const tokenDigest = sha256(token)
  const service = new AdminService({ keyStore: deps.stores.keyStore, quotaCounter: deps.stores.quotaCounter, clock: deps.clock, model })
  const app = new Hono().basePath(prefix)

  // Authentication first, for every path under the prefix, known or not.
  app.use('*', async (c, next) => {
    const header = c.req.header('authorization') ?? ''
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
    // Digests of both sides are compared, so the comparison takes the same time whatever the
    // length or content of the guess.
    if (!m || !constantTimeEqual(await sha256(m[1]!), await tokenDigest)) {
      deps.logger.warn('admin call refused: bad or missing bearer token', { method: c.req.method, path: c.req.path })
      return c.json({ message: 'Unauthorized' }, 401, { 'WWW-Authenticate': 'Bearer', 'x-amzn-ErrorType': 'UnauthorizedException' })
    }
    if (opts.ready) await opts.ready
    await next()
  })

  /** Runs an operation and renders its answer or error; logs the call. */
  const op = (status: 200 | 201 | 202, work: (c: Context) => Promise<unknown>) => async (c: Context) => {
    let res: Response
    try {
      const out = await work(c)
      res = status === 202 ? c.body(null, 202) : c.json(out, status)
    } catch (e) {
      if (e instanceof AdminError) {
        res = c.json({ message: e.message }, e.status as 400, { 'x-amzn-ErrorType': e.type })
      } else {
        deps.logger.error('admin call failed', { method: c.req.method, path: c.req.path, error: String(e) })
        res = c.json({ message: 'Internal server error' }, 500)
      }
    }
    deps.logger.info('admin call', { method: c.req.method, path: c.req.path, status: res.status })
    return res
  }

  app.post('/apikeys', op(201, async (c) => service.createApiKey(await body(c))))
  app.get('/apikeys', op(200, (c) => service.getApiKeys({ nameQuery: c.req.query('name') })))
  app.get('/apikeys/:id', op(200, (c) => service.getApiKey(c.req.param('id')!)))
  app.patch('/apikeys/:id', op(200, async (c) => service.updateApiKey(c.req.param('id')!, await body(c))))
  app.delete('/apikeys/:id', op(202, (c) => service.deleteApiKey(c.req.param('id')!)))

  app.post('/usageplans', op(201, async (c) => service.createUsagePlan(await body(c))))
  app.get('/usageplans', op(200, (c) => service.getUsagePlans({ keyId: c.req.query('keyId') })))
  app.get('/usageplans/:id', op(200, (c) => service.getUsagePlan(c.req.param('id')!)))
  app.patch('/usageplans/:id', op(200, async (c) => service.updateUsagePlan(c.req.param('id')!, await body(c))))
  app.delete('/usageplans/:id', op(202, (c) => service.deleteUsagePlan(c.req.param('id')!)))

  app.post('/usageplans/:id/keys', op(201, async (c) => service.createUsagePlanKey(c.req.param('id')!, await body(c))))
  app.get('/usageplans/:id/keys', op(200, (c) => service.getUsagePlanKeys(c.req.param('id')!, { nameQuery: c.req.query('name') })))
  app.get('/usageplans/:id/keys/:keyId', op(200, (c) => service.getUsagePlanKey(c.req.param('id')!, c.req.param('keyId')!)))
  app.delete('/usageplans/:id/keys/:keyId', op(202, (c) => service.deleteUsagePlanKey(c.req.param('id')!, c.req.param('keyId')!)))
  app.delete('/usageplans/:id/keys/:keyId/usage', op(202, (c) => service.resetUsage(c.req.param('id')!, c.req.param('keyId')!)))
  app.get(
    '/usageplans/:id/usage',
    op(200, (c) =>
      service.getUsage(c.req.param('id')!, { keyId: c.req.query('keyId'), startDate: c.req.query('startDate'), endDate: c.req.query('endDate') }),
    ),
  )

  app.delete(
    '/restapis/:apiId/stages/:stage/cache/data',
    op(202, async (c) => {
      const { stage, apiId } = stageOf(model, c.req.param('apiId')!, c.req.param('stage')!)
      if (!stage.cache) throw badRequest('stage', `stage ${stage.name} of API ${apiId} has no cache (cache.enabled)`)
      await flushStageCache(deps, apiId, stage.name)
    }),
  )
  // This instance's counters of the stage cache (Portico's addition; AWS has CloudWatch's
  // CacheHitCount / CacheMissCount): hits, misses, refreshes, bypasses, stores and, on the
  // memory backend, evictions, entries and bytes.
  app.get(
    '/restapis/:apiId/stages/:stage/cache/stats',
    op(200, async (c) => {
      const { stage, apiId } = stageOf(model, c.req.param('apiId')!, c.req.param('stage')!)
      if (!stage.cache) throw badRequest('stage', `stage ${stage.name} of API ${apiId} has no cache (cache.enabled)`)
      return cacheStats(deps)[`${apiId}/${stage.name}`] ?? { hits: 0, misses: 0, refreshes: 0, bypasses: 0, stores: 0, evictions: 0 }
    }),
  )
  // One entry: the one the described request would hit (Portico's addition; AWS flushes whole
  // stages). ?method=GET&path=/pets/7&querystring=type%3Ddog&header.Accept=...&apiKeyId=...
  app.delete(
    '/restapis/:apiId/stages/:stage/cache/entry',
    op(200, async (c) => {
      const { stage, apiId } = stageOf(model, c.req.param('apiId')!, c.req.param('stage')!)
      if (!stage.cache) throw badRequest('stage', `stage ${stage.name} of API ${apiId} has no cache (cache.enabled)`)
      const path = c.req.query('path')
      if (!path || !path.startsWith('/')) throw badRequest('path', 'is required: the resource path of the request, without the stage (/pets/7)')
      const headers: [string, string][] = []
      for (const [name, value] of Object.entries(c.req.queries())) {
        if (name.startsWith('header.')) for (const v of value) headers.push([name.slice('header.'.length), v])
      }
      const result = await deleteStageCacheEntry(deps, apiId, stage.name, {
        method: c.req.query('method') ?? 'GET',
        path,
        query: c.req.query('querystring') ?? '',
        headers,
        apiKeyId: c.req.query('apiKeyId'),
      })
      if (result === 'no-route') throw badRequest('path', `no route of API ${apiId} matches ${c.req.query('method') ?? 'GET'} ${path}`)
      return { deleted: result === 'deleted' }
    }),
  )
  app.delete(
    '/restapis/:apiId/stages/:stage/cache/authorizers',
    op(202, async (c) => {
      stageOf(model, c.req.param('apiId')!, c.req.param('stage')!)
      // One authorizer cache serves every stage (its keys carry the authorizer, not the
      // stage), so flushing a stage's results flushes them all.
      await deps.stores.authorizerCache.clear()
    }),
  )

  app.all('*', (c) => c.json({ message: `No admin resource ${c.req.method} ${c.req.path.slice(prefix.length) || '/'}` }, 404, { 'x-amzn-ErrorType': 'NotFoundException' }))
  return app
}

/** Admin bodies are a few hundred bytes; anything near this is a mistake or an attack. */
const MAX_BODY_BYTES = 65_536

/** The request's JSON body ({} when empty); 400 when it is not JSON. */
async function body(c: Context): Promise<unknown> {
  const declared = Number(c.req.header('content-length') ?? 0)
  if (declared > MAX_BODY_BYTES) throw badRequest('body', `larger than ${MAX_BODY_BYTES} bytes`)
  const text = await c.req.text()
  if (text.length > MAX_BODY_BYTES) throw badRequest('body', `larger than ${MAX_BODY_BYTES} bytes`)
  if (text.trim() === '') return {}
  let value: unknown
  try {
    // A "__proto__" key must stay a plain field, never a prototype.
    value = JSON.parse(text, (key, v) => (key === '__proto__' ? undefined : v))
  } catch {
    throw badRequest('body', 'is not valid JSON')
  }
  // Objects, or arrays of patch operations; null and bare values say nothing.
  if (value === null || typeof value !== 'object') throw badRequest('body', 'must be a JSON object')
  return value
}

function stageOf(model: GatewayModel, apiId: string, stageName: string) {
  const api = model.apis.find((a) => a.id === apiId)
  if (!api) throw notFound('restApi')
  const stage = api.stages.find((s) => s.name === stageName)
  if (!stage) throw notFound('stage')
  return { api, apiId, stage }
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
}
