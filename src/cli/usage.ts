/**
 * `portico usage`: a usage plan's requests per key and day, with what was left of the quota
 * (aws apigateway get-usage), from a running gateway or its store.
 */
import { parseArgs } from 'node:util'
import { findPlan, table, TARGET_HELP, TARGET_OPTIONS, UsageError } from '../admin/cli-target.ts'
import { run, withAdmin } from './keys.ts'

export const USAGE_HELP = `portico usage --plan <name> --from <yyyy-MM-dd> --to <yyyy-MM-dd> [--key <id>] [--json]

Prints, for each API key of the usage plan (or the one --key names), the requests counted
on each UTC day of the range and the quota left at the end of that day ("-" without a
quota). --json prints get-usage's shape: {usagePlanId, startDate, endDate, items:
{keyId: [[used, remaining], ...]}}. The range may cover up to 366 days.

  portico usage --plan <name> --key <id> --reset
      Gives the key its full quota back for the current period (forgets what it used).

${TARGET_HELP}

Exit codes: 0 done; 1 refused or failed (unknown plan or key, bad date, unreachable
gateway, bad token); 2 bad command line.`

/** Runs `portico usage ...` (argv after "usage"); resolves to the exit code. */
export async function usageCommand(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  let values: ReturnType<typeof parse>['values']
  try {
    const parsed = parse(argv)
    if (parsed.positionals.length) throw new Error(`unexpected argument "${parsed.positionals[0]}"`)
    values = parsed.values
  } catch (e) {
    console.error(`portico usage: ${(e as Error).message}\n\n${USAGE_HELP}`)
    return 2
  }
  if (values.help) {
    console.log(USAGE_HELP)
    return 0
  }
  return run('usage', async () => {
    if (values.plan === undefined) throw new UsageError('--plan <name> is required')
    if (values.reset) {
      if (values.key === undefined) throw new UsageError('--reset needs --key <id>')
    } else {
      if (values.from === undefined) throw new UsageError('--from <yyyy-MM-dd> is required')
      if (values.to === undefined) throw new UsageError('--to <yyyy-MM-dd> is required')
    }
    await withAdmin(values, env, async ({ api }) => {
      const plan = await findPlan(api, values.plan!)
      if (values.reset) {
        await api.resetUsage(plan.id, values.key!)
        console.log(`reset the current quota period of key ${values.key} in plan ${plan.name}`)
        return
      }
      const usage = await api.getUsage(plan.id, { keyId: values.key, startDate: values.from, endDate: values.to })
      if (values.json) {
        console.log(JSON.stringify(usage, null, 2))
        return
      }
      const days: string[] = []
      for (let t = Date.parse(usage.startDate + 'T00:00:00Z'); t <= Date.parse(usage.endDate + 'T00:00:00Z'); t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10))
      const rows: string[][] = []
      for (const [keyId, pairs] of Object.entries(usage.items)) {
        pairs.forEach(([used, remaining], i) => rows.push([days[i]!, keyId, String(used), remaining === null ? '-' : String(remaining)]))
      }
      const quota = plan.quota ? `quota ${plan.quota.limit} per ${plan.quota.period.toLowerCase()}` : 'no quota'
      console.log(`usage plan ${plan.name} (${plan.id}), ${quota}, ${usage.startDate} to ${usage.endDate}`)
      console.log(rows.length ? table(['DATE', 'KEY', 'USED', 'REMAINING'], rows) : 'no API keys in this plan')
    })
  })
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      ...TARGET_OPTIONS,
      plan: { type: 'string', short: 'p' },
      key: { type: 'string', short: 'k' },
      from: { type: 'string' },
      to: { type: 'string' },
      reset: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  })
}
