/**
 * `portico keys create | list | revoke`: API keys on a running gateway (admin API) or
 * directly on its store.
 */
import { parseArgs } from 'node:util'
import { AdminError } from '../admin/errors.ts'
import { AdminUnreachableError } from '../admin/client.ts'
import { findPlan, openAdmin, table, TARGET_HELP, TARGET_OPTIONS, UsageError, type OpenedAdmin } from '../admin/cli-target.ts'

export const KEYS_HELP = `portico keys <create|list|revoke> [options]

  portico keys create --plan <name> [--name <name>] [--description <text>] [--json]
      Creates an enabled API key and links it to the usage plan (by name or id), so it may
      call the plan's stages. Prints the key's id and its value: the value is shown this
      once and never again (only its hash is stored).
  portico keys list [--plan <name>] [--json]
      Every key (or the plan's keys): id, name, enabled, usage plans, stages, created.
  portico keys revoke <id>
      Deletes the key: its value stops working at once, and its plan links go.

${TARGET_HELP}

Exit codes: 0 done; 1 refused or failed (unknown id or plan, conflict, unreachable gateway,
bad token); 2 bad command line.`

/** Runs `portico keys ...` (argv after "keys"); resolves to the exit code. */
export async function keysCommand(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (e) {
    console.error(`portico keys: ${(e as Error).message}\n\n${KEYS_HELP}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help || positionals[0] === 'help') {
    console.log(KEYS_HELP)
    return 0
  }
  const sub = positionals[0]
  return run('keys', async () => {
    if (sub === 'create') {
      if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`)
      return withAdmin(values, env, (admin) => create(admin, values))
    }
    if (sub === 'list') {
      if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`)
      return withAdmin(values, env, (admin) => list(admin, values))
    }
    if (sub === 'revoke') {
      const id = positionals[1]
      if (!id) throw new UsageError('revoke needs the key id: portico keys revoke <id>')
      if (positionals.length > 2) throw new UsageError(`unexpected argument "${positionals[2]}"`)
      return withAdmin(values, env, async (admin) => {
        await admin.api.deleteApiKey(id)
        console.log(`revoked API key ${id}`)
      })
    }
    throw new UsageError(sub ? `unknown subcommand "${sub}" (create, list or revoke)` : 'say what to do: create, list or revoke')
  })
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      ...TARGET_OPTIONS,
      plan: { type: 'string', short: 'p' },
      name: { type: 'string', short: 'n' },
      description: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  })
}

type Values = ReturnType<typeof parse>['values']

async function create(admin: OpenedAdmin, values: Values) {
  const { api } = admin
  if (values.plan === undefined) throw new UsageError('create needs --plan <name>: a key in no usage plan may call no stage')
  // The plan first: an unknown plan must not leave a key behind.
  const plan = await findPlan(api, values.plan)
  const body: Record<string, unknown> = { enabled: true }
  if (values.name !== undefined) body.name = values.name
  if (values.description !== undefined) body.description = values.description
  const key = await api.createApiKey(body)
  try {
    await api.createUsagePlanKey(plan.id, { keyId: key.id, keyType: 'API_KEY' })
  } catch (e) {
    // Nothing half-done: the key goes again when it cannot join the plan.
    try {
      await api.deleteApiKey(key.id)
    } catch {
      throw new AdminError('ServiceUnavailableException', `key ${key.id} was created but not linked to plan ${plan.name} (${(e as Error).message}), and deleting it failed: revoke it with "portico keys revoke ${key.id}"`, 500)
    }
    throw e
  }
  if (values.json) {
    console.log(JSON.stringify({ ...key, stageKeys: plan.apiStages.map((s) => `${s.apiId}/${s.stage}`).sort(), usagePlanId: plan.id }, null, 2))
  } else {
    console.log(
      table(
        ['field', 'value'],
        [
          ['id', key.id],
          ['name', key.name ?? ''],
          ['plan', `${plan.name} (${plan.id})`],
          ['stages', plan.apiStages.map((s) => `${s.apiId}/${s.stage}`).join(', ') || '(none)'],
          ['value', key.value],
        ],
      )
        .split('\n')
        .slice(1)
        .join('\n'),
    )
  }
  console.error('The value is shown only now: store it somewhere safe. Only its hash is kept.')
}

async function list(admin: OpenedAdmin, values: Values) {
  const { api } = admin
  const plans = (await api.getUsagePlans()).items
  const plansOfKey = new Map<string, string[]>()
  for (const plan of plans) {
    for (const k of (await api.getUsagePlanKeys(plan.id)).items) plansOfKey.set(k.id, [...(plansOfKey.get(k.id) ?? []), plan.name])
  }
  let keys = (await api.getApiKeys()).items
  if (values.plan !== undefined) {
    const plan = await findPlan(api, values.plan)
    keys = keys.filter((k) => plansOfKey.get(k.id)?.includes(plan.name))
  }
  if (values.json) {
    console.log(JSON.stringify({ items: keys.map((k) => ({ ...k, usagePlans: plansOfKey.get(k.id) ?? [] })) }, null, 2))
    return
  }
  if (!keys.length) {
    console.log(values.plan === undefined ? 'no API keys' : `no API keys in plan ${values.plan}`)
    return
  }
  const rows = keys.map((k) => [
    k.id,
    k.name ?? '',
    k.enabled ? 'yes' : 'no',
    (plansOfKey.get(k.id) ?? []).join(', ') || '-',
    k.stageKeys.join(', ') || '-',
    new Date(k.createdDate * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
  ])
  console.log(table(['ID', 'NAME', 'ENABLED', 'PLANS', 'STAGES', 'CREATED'], rows))
}

/** Opens the target, runs `work`, closes it. */
export async function withAdmin(
  values: { url?: string; store?: string; config?: string; prefix?: string },
  env: Record<string, string | undefined>,
  work: (admin: OpenedAdmin) => Promise<void>,
): Promise<void> {
  const admin = await openAdmin(values, env)
  try {
    await work(admin)
  } finally {
    await admin.close()
  }
}

/** Runs a command body, mapping errors to messages and exit codes (2 usage, 1 anything else). */
export async function run(command: string, body: () => Promise<void>): Promise<number> {
  try {
    await body()
    return 0
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`portico ${command}: ${e.message}\nRun "portico ${command} --help" for the options.`)
      return 2
    }
    if (e instanceof AdminError || e instanceof AdminUnreachableError) {
      console.error(`portico ${command}: ${e.message}`)
      return 1
    }
    console.error(`portico ${command}: ${(e as Error)?.message ?? String(e)}`)
    return 1
  }
}
