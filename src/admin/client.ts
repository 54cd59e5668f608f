/**
 * The admin operations as the CLI uses them, whichever way it reaches them: over HTTP to a
 * running gateway's admin API, or directly on a store (AdminService). Both answer the same
 * shapes and throw AdminError for refusals.
 */
import { AdminError, type AdminErrorType } from './errors.ts'
import type { AdminService } from './service.ts'

/** The operations the CLI needs (AdminService implements them). */
export type AdminApi = Pick<
  AdminService,
  | 'createApiKey'
  | 'getApiKeys'
  | 'getApiKey'
  | 'updateApiKey'
  | 'deleteApiKey'
  | 'createUsagePlan'
  | 'getUsagePlans'
  | 'getUsagePlan'
  | 'createUsagePlanKey'
  | 'getUsagePlanKeys'
  | 'deleteUsagePlanKey'
  | 'getUsage'
  | 'resetUsage'
>

/** A failure to reach the admin API at all (refused connection, DNS, TLS). */
export class AdminUnreachableError extends Error {}

/**
 * A client of a running gateway's admin API.
 * @param baseUrl the gateway's URL, e.g. http://127.0.0.1:8787
 * @param token the admin token (PORTICO_ADMIN_TOKEN)
 */
export function httpAdminClient(baseUrl: string, token: string, opts: { pathPrefix?: string; fetch?: typeof fetch } = {}): AdminApi {
  const root = baseUrl.replace(/\/+$/, '') + (opts.pathPrefix ?? '/_portico/admin').replace(/\/+$/, '')
  const doFetch = opts.fetch ?? fetch

  async function call<T>(method: string, path: string, body?: unknown, query: Record<string, string | undefined> = {}): Promise<T> {
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, v)
    const url = root + path + (params.size ? `?${params}` : '')
    let res: Response
    try {
      res = await doFetch(url, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause
      throw new AdminUnreachableError(`cannot reach the admin API at ${root}: ${cause?.code ?? cause?.message ?? (e as Error).message}`)
    }
    const text = await res.text()
    let json: unknown
    try {
      json = text ? JSON.parse(text) : undefined
    } catch {
      json = undefined
    }
    if (res.ok) return json as T
    const message = (json as { message?: unknown } | undefined)?.message
    const type = (res.headers.get('x-amzn-ErrorType') ?? statusType(res.status)) as AdminErrorType
    if (res.status === 404 && typeof message !== 'string') {
      throw new AdminError('NotFoundException', `nothing answers at ${root}${path}: is the admin API on (PORTICO_ADMIN_TOKEN set for the gateway) and its prefix ${opts.pathPrefix ?? '/_portico/admin'}?`)
    }
    if (res.status === 403 && (message === 'Missing Authentication Token' || message === 'Forbidden')) {
      // The gateway's own routing answered: no admin API under this prefix.
      throw new AdminError('NotFoundException', `the gateway at ${baseUrl} has no admin API under ${opts.pathPrefix ?? '/_portico/admin'} (is PORTICO_ADMIN_TOKEN set for it?)`, 404)
    }
    if (res.status === 401) throw new AdminError('UnauthorizedException', 'the admin token was refused: PORTICO_ADMIN_TOKEN must be the gateway\'s')
    throw new AdminError(type, typeof message === 'string' ? message : `HTTP ${res.status}`, res.status)
  }

  const enc = encodeURIComponent
  return {
    createApiKey: (body) => call('POST', '/apikeys', body),
    getApiKeys: (q = {}) => call('GET', '/apikeys', undefined, { name: q.nameQuery }),
    getApiKey: (id) => call('GET', `/apikeys/${enc(id)}`),
    updateApiKey: (id, body) => call('PATCH', `/apikeys/${enc(id)}`, body),
    deleteApiKey: (id) => call('DELETE', `/apikeys/${enc(id)}`),
    createUsagePlan: (body) => call('POST', '/usageplans', body),
    getUsagePlans: (q = {}) => call('GET', '/usageplans', undefined, { keyId: q.keyId }),
    getUsagePlan: (id) => call('GET', `/usageplans/${enc(id)}`),
    createUsagePlanKey: (planId, body) => call('POST', `/usageplans/${enc(planId)}/keys`, body),
    getUsagePlanKeys: (planId, q = {}) => call('GET', `/usageplans/${enc(planId)}/keys`, undefined, { name: q.nameQuery }),
    deleteUsagePlanKey: (planId, keyId) => call('DELETE', `/usageplans/${enc(planId)}/keys/${enc(keyId)}`),
    getUsage: (planId, q) =>
      call('GET', `/usageplans/${enc(planId)}/usage`, undefined, { keyId: q.keyId, startDate: q.startDate as string, endDate: q.endDate as string }),
    resetUsage: (planId, keyId) => call('DELETE', `/usageplans/${enc(planId)}/keys/${enc(keyId)}/usage`),
  }
}

function statusType(status: number): AdminErrorType {
  if (status === 400) return 'BadRequestException'
  if (status === 401) return 'UnauthorizedException'
  if (status === 404) return 'NotFoundException'
  if (status === 409) return 'ConflictException'
  return 'ServiceUnavailableException'
}
