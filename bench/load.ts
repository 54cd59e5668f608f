/**
 * Load generators, each run as its own child process: wrk when installed (one thread, C
 * connections), autocannon from node_modules otherwise. Both report req/s, p50/p99 latency
 * and the responses that were not 2xx.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { runToEnd, which } from './proc.ts'

/** What to send. */
export interface LoadTarget {
  url: string
  method?: string
  headers?: Record<string, string>
  body?: string
}

export interface LoadResult {
  requests: number
  reqPerSec: number
  p50Ms: number
  p99Ms: number
  /** Responses outside 2xx (wrk: status >= 400, as it counts them). */
  non2xx: number
  /** Connection errors and timeouts. */
  errors: number
  /** Share of one CPU the generator used (Linux); near 1 means it may have been the bottleneck. */
  generatorCpu?: number
}

export interface LoadGenerator {
  name: 'wrk' | 'autocannon'
  version: string
  /** Why this generator: wrk found, or the fallback. */
  note: string
  /** Latency resolution, ms (autocannon records whole milliseconds). */
  resolutionMs: number
  /** What its non-2xx count counts. */
  non2xxMeaning: string
  run(target: LoadTarget, seconds: number, connections: number): Promise<LoadResult>
}

/** wrk when on PATH (unless BENCH_GENERATOR=autocannon), else autocannon. */
export async function pickGenerator(tmpDir: string): Promise<LoadGenerator> {
  const forced = process.env.BENCH_GENERATOR
  if (forced && forced !== 'wrk' && forced !== 'autocannon') throw new Error(`BENCH_GENERATOR must be wrk or autocannon, not "${forced}"`)
  const wrkBin = forced === 'autocannon' ? undefined : await which('wrk')
  if (wrkBin) return wrk(wrkBin, tmpDir)
  if (forced === 'wrk') throw new Error('BENCH_GENERATOR=wrk but wrk is not installed (apt-get install -y wrk)')
  return autocannon(forced === 'autocannon' ? 'BENCH_GENERATOR=autocannon' : 'wrk is not installed (apt-get install -y wrk); autocannon is one Node thread and may cap the fastest rows')
}

async function wrk(bin: string, tmpDir: string): Promise<LoadGenerator> {
  const v = await runToEnd('wrk', bin, ['-v'], 5_000) // prints its banner and exits 1
  const version = /^wrk\s+(\S+)/m.exec(v.stdout + v.stderr)?.[1] ?? 'unknown'
  let scripts = 0
  return {
    name: 'wrk',
    version,
    note: `found at ${bin}`,
    resolutionMs: 0.001,
    non2xxMeaning: 'wrk counts responses with status >= 400',
    async run(target, seconds, connections) {
      const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '10s']
      for (const [k, v] of Object.entries(target.headers ?? {})) args.push('-H', `${k}: ${v}`)
      if ((target.method && target.method !== 'GET') || target.body !== undefined) {
        const script = join(tmpDir, `wrk-${++scripts}.lua`)
        const lua = [`wrk.method = ${JSON.stringify(target.method ?? 'GET')}`]
        if (target.body !== undefined) lua.push(`wrk.body = ${JSON.stringify(target.body)}`)
        await writeFile(script, lua.join('\n') + '\n')
        args.push('-s', script)
      }
      args.push(target.url)
      const out = await runToEnd('wrk', bin, args, (seconds + 30) * 1000)
      if (out.code !== 0) throw new Error(`wrk failed (${out.code}): ${out.stderr || out.stdout}`)
      return { ...parseWrk(out.stdout), generatorCpu: out.cpu }
    },
  }
}

/** Parses wrk's --latency report. */
export function parseWrk(text: string): LoadResult {
  const num = (re: RegExp) => {
    const m = re.exec(text)
    if (!m) throw new Error(`cannot read ${re} in wrk's output:\n${text}`)
    return m
  }
  const requests = Number(num(/(\d+) requests in /).at(1))
  const reqPerSec = Number(num(/Requests\/sec:\s+([\d.]+)/).at(1))
  const p50 = num(/^\s*50%\s+([\d.]+)(us|ms|s|m|h)\s*$/m)
  const p99 = num(/^\s*99%\s+([\d.]+)(us|ms|s|m|h)\s*$/m)
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0)
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text)
  const errors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0
  return { requests, reqPerSec, p50Ms: toMs(p50[1]!, p50[2]!), p99Ms: toMs(p99[1]!, p99[2]!), non2xx, errors }
}

function toMs(value: string, unit: string): number {
  const factor: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
  return Number(value) * factor[unit]!
}

async function autocannon(note: string): Promise<LoadGenerator> {
  const require = createRequire(import.meta.url)
  const pkgFile = require.resolve('autocannon/package.json')
  const pkg = JSON.parse(await readFile(pkgFile, 'utf8')) as { version: string; bin: Record<string, string> | string }
  const binRel = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin.autocannon!
  const script = join(dirname(pkgFile), binRel)
  return {
    name: 'autocannon',
    version: pkg.version,
    note,
    resolutionMs: 1,
    non2xxMeaning: 'autocannon counts responses outside 2xx',
    async run(target, seconds, connections) {
      const args = [script, '-c', String(connections), '-d', String(seconds), '--json']
      if (target.method) args.push('-m', target.method)
      if (target.body !== undefined) args.push('-b', target.body)
      for (const [k, v] of Object.entries(target.headers ?? {})) args.push('-H', `${k}=${v}`)
      args.push(target.url)
      const out = await runToEnd('autocannon', process.execPath, args, (seconds + 30) * 1000)
      if (out.code !== 0) throw new Error(`autocannon failed (${out.code}): ${out.stderr}`)
      const line = out.stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1)
      if (!line) throw new Error(`no JSON in autocannon's output:\n${out.stdout}\n${out.stderr}`)
      const r = JSON.parse(line) as {
        requests: { average: number; total: number }
        latency: { p50: number; p99: number }
        non2xx: number
        errors: number
        timeouts: number
      }
      return {
        requests: r.requests.total,
        reqPerSec: r.requests.average,
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
        generatorCpu: out.cpu,
      }
    },
  }
}
