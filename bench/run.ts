/**
 * `npm run bench`: starts the servers (each in its own child process), loads every scenario
 * of scenarios.ts in turn with wrk (or autocannon) from another child process, and prints
 * req/s, p50/p99 latency and each row's ratio to its baseline, from this one run. Results
 * also go to bench/results/latest.json.
 *
 * Environment:
 *   BENCH_SECONDS      load duration per row (default 5), after a 1 s warm-up
 *   BENCH_CONNECTIONS  concurrent connections (default 32)
 *   BENCH_GENERATOR    wrk | autocannon (default: wrk when installed)
 *   BENCH_NGINX=0      leave nginx out even when installed
 *   BENCH_ONLY         only the rows whose name contains one of these comma-separated words
 *   BENCH_PROFILE      server ids to run under node --cpu-prof (e.g. portico); profiles in bench/results/profiles
 *   BENCH_STRICT=1     exit 1 when a goal is missed (by default only errors fail the run)
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pickGenerator, type LoadResult } from './load.ts'
import { installCleanup, killAll, liveCount } from './proc.ts'
import { SCENARIOS, type Scenario } from './scenarios.ts'
import { SERVERS, type RunningServer, type ServerContext } from './servers.ts'
import { formatTable, type Row } from './report.ts'

const here = dirname(fileURLToPath(import.meta.url))
const resultsDir = join(here, 'results')
const WARMUP_SECONDS = 1

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, not "${raw}"`)
  return n
}

const seconds = intEnv('BENCH_SECONDS', 5)
const connections = intEnv('BENCH_CONNECTIONS', 32)
const only = (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)
const scenarios = only.length ? SCENARIOS.filter((s) => only.some((w) => s.name.toLowerCase().includes(w))) : SCENARIOS

const tmpDir = await mkdtemp(join(tmpdir(), 'portico-bench-'))
const ctx: ServerContext = {
  tmpDir,
  profile: new Set((process.env.BENCH_PROFILE ?? '').split(',').map((s) => s.trim()).filter(Boolean)),
  profileDir: join(resultsDir, 'profiles'),
}
const running = new Map<string, RunningServer>()

async function stopServers(): Promise<void> {
  // Dependents first: servers started later may proxy to earlier ones.
  for (const server of [...running.values()].reverse()) {
    await server.stop()
    running.delete(server.id)
  }
  killAll('SIGKILL') // anything left (a generator interrupted mid-run)
}
let interrupted: NodeJS.Signals | undefined
installCleanup((signal) => {
  interrupted = signal
  process.stderr.write(`\n${signal}: stopping\n`)
  killAll('SIGTERM') // the generator and servers; the run below then ends and cleans up
})

const date = new Date()
const cpuList = cpus()
const generator = await pickGenerator(tmpDir).catch(async (e: Error) => {
  await rm(tmpDir, { recursive: true, force: true })
  console.error(e.message)
  process.exit(1)
})
const log = (line: string) => process.stderr.write(line + '\n')

console.log('Portico benchmark')
console.log(`  date        ${date.toISOString()}`)
console.log(`  node        ${process.version} (${process.execPath})`)
console.log(`  cpus        ${cpuList.length} x ${cpuList[0]?.model.trim() ?? 'unknown'}`)
console.log(`  generator   ${generator.name} ${generator.version} (${generator.note})`)
console.log(`  load        ${connections} connections, ${seconds} s per row after a ${WARMUP_SECONDS} s warm-up${generator.name === 'wrk' ? ', 1 wrk thread' : ''}`)
console.log('')

// Which servers can run here, and so which rows are skipped.
const unavailable = new Map<string, string>()
async function whyNot(id: string, seen: string[] = []): Promise<string | undefined> {
  if (unavailable.has(id)) return unavailable.get(id)
  const def = SERVERS[id]
  let why: string | undefined
  if (!def) why = `no server "${id}" in servers.ts`
  else if (seen.includes(id)) why = `dependency cycle ${[...seen, id].join(' -> ')}`
  else {
    why = await def.unavailable?.()
    for (const dep of def.dependsOn ?? []) why ??= await whyNot(dep, [...seen, id])
  }
  if (why) unavailable.set(id, why)
  return why
}

async function ensureServer(id: string): Promise<RunningServer> {
  const have = running.get(id)
  if (have) return have
  const def = SERVERS[id]!
  const deps: Record<string, RunningServer> = {}
  for (const dep of def.dependsOn ?? []) deps[dep] = await ensureServer(dep)
  log(`starting ${id} ...`)
  const server = await def.start(deps, ctx)
  running.set(id, server)
  log(`  ${id} at ${server.url} (pid ${server.pid})`)
  return server
}

/** Sends the scenario's request once; returns a problem, or undefined when the answer is right. */
async function verify(s: Scenario, url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { method: s.method ?? 'GET', headers: s.headers, body: s.body, signal: AbortSignal.timeout(10_000) })
    const body = await res.text()
    if (res.status !== s.status) return `expected status ${s.status}, got ${res.status}: ${body.slice(0, 200)}`
    return s.check?.(body)
  } catch (e) {
    return `request failed: ${(e as Error).message}`
  }
}

const measured = new Map<string, LoadResult>()
const outcome = new Map<string, { skipped?: string; error?: string; url?: string }>()
let failed = false

try {
  for (const s of scenarios) {
    if (interrupted) break
    const why = await whyNot(s.server)
    if (why) {
      outcome.set(s.name, { skipped: why })
      log(`skipping "${s.name}": ${why}`)
      continue
    }
    const server = await ensureServer(s.server)
    const url = server.url + s.path
    const problem = await verify(s, url)
    if (problem) {
      failed = true
      outcome.set(s.name, { url, error: problem })
      log(`"${s.name}" answers wrongly, not loaded: ${problem}`)
      continue
    }
    const target = { url, method: s.method, headers: s.headers, body: s.body }
    log(`loading "${s.name}" (${s.method ?? 'GET'} ${url}) ...`)
    await generator.run(target, WARMUP_SECONDS, connections)
    const result = await generator.run(target, seconds, connections)
    measured.set(s.name, result)
    outcome.set(s.name, { url })
    const genCpu = result.generatorCpu === undefined ? '' : `, ${generator.name} at ${Math.round(result.generatorCpu * 100)}% of a CPU`
    log(`  ${Math.round(result.reqPerSec)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, non-2xx ${result.non2xx}, errors ${result.errors}${genCpu}`)
    if (result.non2xx > 0 || result.errors > 0) failed = true
  }
} catch (e) {
  failed = true
  if (!interrupted) log(`benchmark aborted: ${(e as Error).stack ?? e}`)
} finally {
  await stopServers()
  await rm(tmpDir, { recursive: true, force: true })
}
if (interrupted) {
  log(`interrupted by ${interrupted}: servers stopped, no results written`)
  process.exit(130)
}

// Ratios against the first baseline measured in this run.
const rows: Row[] = scenarios.map((s) => {
  const o = outcome.get(s.name) ?? { error: 'not run (aborted)' }
  const r = measured.get(s.name)
  const base = s.baselines?.find((b) => measured.has(b.scenario))
  const baseRps = base ? measured.get(base.scenario)!.reqPerSec : undefined
  const ratio = r && baseRps ? r.reqPerSec / baseRps : undefined
  const goal = base?.goal
  return {
    scenario: s.name,
    url: o.url,
    skipped: o.skipped,
    error: o.error,
    ...(r ?? {}),
    baseline: s.baselines ? (base?.scenario ?? null) : 'reference',
    ratio,
    goal,
    pass: goal === undefined || ratio === undefined ? undefined : ratio >= goal,
  }
})

console.log(formatTable(rows))
console.log('')
console.log(`ratio = req/s / baseline req/s, same run. non-2xx: ${generator.non2xxMeaning}.`)
if (generator.resolutionMs >= 1) console.log(`latency resolution: ${generator.resolutionMs} ms (${generator.name})`)
const gens = rows.filter((r) => r.generatorCpu !== undefined)
if (gens.length) {
  console.log(`${generator.name} CPU use per row: ${gens.map((r) => `${r.scenario} ${Math.round(r.generatorCpu! * 100)}%`).join(', ')}`)
  for (const r of gens.filter((x) => x.generatorCpu! >= 0.9)) {
    console.log(`"${r.scenario}": ${generator.name} used ${Math.round(r.generatorCpu! * 100)}% of a CPU, so it may have capped this row (its req/s is a lower bound)`)
  }
}
for (const row of rows) {
  if (row.skipped) console.log(`skipped "${row.scenario}": ${row.skipped}`)
  if (row.error) console.log(`error in "${row.scenario}": ${row.error}`)
  if (row.errors) console.log(`"${row.scenario}": ${row.errors} connection errors/timeouts`)
  const s = scenarios.find((x) => x.name === row.scenario)
  if (s?.baselines && !row.skipped && !row.error && row.baseline !== s.baselines[0]!.scenario) {
    console.log(`"${row.scenario}": baseline "${s.baselines[0]!.scenario}" did not run, compared to ${row.baseline ?? 'nothing'}${s.baselines[0]!.goal ? ' (no goal)' : ''}`)
  }
}

const report = {
  date: date.toISOString(),
  node: process.version,
  cpus: cpuList.length,
  cpuModel: cpuList[0]?.model.trim(),
  platform: `${process.platform} ${process.arch}`,
  generator: { name: generator.name, version: generator.version, note: generator.note },
  seconds,
  warmupSeconds: WARMUP_SECONDS,
  connections,
  rows,
}
await mkdir(resultsDir, { recursive: true })
const out = join(resultsDir, 'latest.json')
await writeFile(out, JSON.stringify(report, null, 2) + '\n')
console.log(`\nresults: ${relative(process.cwd(), out)}`)
if (ctx.profile.size) console.log(`cpu profiles: ${relative(process.cwd(), ctx.profileDir)} (summarise with node bench/profile.ts <file>)`)

const left = liveCount()
if (left) log(`warning: ${left} child process(es) still running`)
const missed = rows.some((r) => r.pass === false)
process.exitCode = failed || left ? 1 : missed && process.env.BENCH_STRICT === '1' ? 1 : 0
