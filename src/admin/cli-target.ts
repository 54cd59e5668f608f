/**
 * Where the `portico keys` / `portico usage` commands act (Node and Bun only; the admin app
 * itself never imports this): a running gateway's admin API (--url, with PORTICO_ADMIN_TOKEN),
 * or a store opened directly (--store sqlite:<path> | redis://...), for when no gateway runs
 * or its admin API is off.
 */
import { systemClock } from '../core/deps.ts'
import type { GatewayModel } from '../model/load.ts'
import { httpAdminClient, type AdminApi } from './client.ts'
import { AdminError } from './errors.ts'
import { AdminService } from './service.ts'
import { ADMIN_TOKEN_ENV, adminPathPrefix, DEFAULT_ADMIN_PREFIX } from './index.ts'

/** A mistake in the command line (exit code 2). */
export class UsageError extends Error {}

/** The options every admin command takes. */
export const TARGET_OPTIONS = {
  url: { type: 'string' },
  store: { type: 'string' },
  config: { type: 'string', short: 'c' },
  prefix: { type: 'string' },
} as const

export const TARGET_HELP = `Where it acts (one of):
  --url <url>         a running gateway, e.g. http://127.0.0.1:8787, through its admin API;
                      the token comes from PORTICO_ADMIN_TOKEN (never from the command line).
                      --prefix <path> if the gateway's settings.admin.pathPrefix is not
                      ${DEFAULT_ADMIN_PREFIX} (or give --config to read it from there).
  --store <spec>      the store itself: sqlite:<path>, redis://host:port[?prefix=p], upstash.
                      With --config <file>, plan stages are checked against its APIs and the
                      keys it declares are protected.
PORTICO_ADMIN_URL and PORTICO_STORE stand in for --url and --store.`

export interface OpenedAdmin {
  api: AdminApi
  /** Where, for messages ("http://127.0.0.1:8787", "sqlite:/tmp/x.db"). */
  where: string
  close(): Promise<void>
}

/**
 * Opens the target the options name.
 * @throws UsageError when none or both are given, or the token is missing
 */
export async function openAdmin(values: { url?: string; store?: string; config?: string; prefix?: string }, env: Record<string, string | undefined>): Promise<OpenedAdmin> {
  const url = values.url ?? (values.store ? undefined : env.PORTICO_ADMIN_URL)
  const store = values.store ?? (values.url ? undefined : env.PORTICO_STORE)
  if (url && store) throw new UsageError('give --url or --store, not both')
  if (!url && !store) throw new UsageError('say where to act: --url <gateway url> (with PORTICO_ADMIN_TOKEN) or --store <sqlite:path | redis://...>')
  const model = values.config ? await loadModel(values.config) : undefined

  if (url) {
    if (!/^https?:\/\//.test(url)) throw new UsageError(`--url must be an http:// or https:// URL, not "${url}"`)
    const token = env[ADMIN_TOKEN_ENV]
    if (!token) throw new UsageError(`${ADMIN_TOKEN_ENV} is not set: it must hold the gateway's admin token`)
    const pathPrefix = values.prefix ?? (model ? adminPathPrefix(model) : undefined)
    return { api: httpAdminClient(url, token, { pathPrefix }), where: url, close: async () => {} }
  }

  const { openStores } = await import('../storage/open.ts')
  // A one-shot command: no near cache, so no subscription to open.
  const opened = await openStores(store!, { clock: systemClock, env, nearCacheMs: 0 })
  const { keyStore, quotaCounter } = opened.stores
  if (!keyStore || !quotaCounter) {
    await opened.close()
    throw new Error(`the store ${opened.description} has no key store or quota counter`)
  }
  if (opened.description === 'memory') {
    await opened.close()
    throw new UsageError('--store memory would act on a store nobody else sees: use sqlite:<path> or redis://..., or --url for a running gateway')
  }
  return {
    api: new AdminService({ keyStore, quotaCounter, clock: systemClock, model }),
    where: opened.description,
    close: opened.close,
  }
}

async function loadModel(file: string): Promise<GatewayModel> {
  const { loadConfigFile } = await import('../model/load-file.ts')
  return (await loadConfigFile(file)).model
}

/** Finds a plan by name or id. */
export async function findPlan(api: AdminApi, nameOrId: string) {
  const plans = (await api.getUsagePlans()).items
  const plan = plans.find((p) => p.name === nameOrId) ?? plans.find((p) => p.id === nameOrId)
  if (!plan) {
    const known = plans.map((p) => `${p.name} (${p.id})`).join(', ')
    throw new AdminError('NotFoundException', `no usage plan named "${nameOrId}"${known ? `; the plans are: ${known}` : ': there are no usage plans'}`)
  }
  return plan
}

/** Rows as aligned columns, headers first. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  return [headers, ...rows].map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n')
}
