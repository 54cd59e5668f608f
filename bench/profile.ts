/**
 * Summarises a V8 CPU profile (from BENCH_PROFILE=portico npm run bench):
 * `node bench/profile.ts bench/results/profiles/<file>.cpuprofile [top]`.
 * Prints self time by area (Portico's src/, hono, undici, node internals, GC, idle...) and
 * the functions with the most self time, and those with the most inclusive time (all, and src/).
 */
import { readFile } from 'node:fs/promises'

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: Node[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

const file = process.argv[2]
if (!file) {
  console.error('usage: node bench/profile.ts <file.cpuprofile> [top]')
  process.exit(2)
}
const top = Number(process.argv[3] ?? 25)
const profile = JSON.parse(await readFile(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

const selfUs = new Map<number, number>()
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
const total = [...selfUs.values()].reduce((a, b) => a + b, 0)

function area(n: Node): string {
  const { url, functionName } = n.callFrame
  if (!url) {
    if (['(garbage collector)', '(idle)', '(program)', '(root)'].includes(functionName)) return functionName
    return '(native / builtins)'
  }
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m) return m[1]!
  if (url.startsWith('node:')) return 'node internals'
  const src = /\/(src|bench|examples)\/(.*)$/.exec(url)
  if (src) return src[1] === 'src' ? `src/${src[2]!.split('/').slice(0, -1).join('/') || '.'}` : src[1]!
  return url
}
const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(node_modules|src|bench)\//, '$1/')}:${n.callFrame.lineNumber + 1}`
const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`

const areas = new Map<string, number>()
const fns = new Map<string, number>()
for (const [id, us] of selfUs) {
  const n = byId.get(id)!
  areas.set(area(n), (areas.get(area(n)) ?? 0) + us)
  fns.set(label(n), (fns.get(label(n)) ?? 0) + us)
}
// Inclusive time (each sample counted once per function): all functions, and src/ ones.
const incl = new Map<string, number>()
const inclSrc = new Map<string, number>()
profile.samples.forEach((id, i) => {
  const seen = new Set<string>()
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur)!
    const l = label(n)
    if (seen.has(l) || n.callFrame.functionName === '(root)') continue
    seen.add(l)
    const us = profile.timeDeltas[i] ?? 0
    incl.set(l, (incl.get(l) ?? 0) + us)
    if (/\/src\//.test(n.callFrame.url) && !/node_modules/.test(n.callFrame.url)) inclSrc.set(l, (inclSrc.get(l) ?? 0) + us)
  }
})

const print = (title: string, m: Map<string, number>, n: number) => {
  console.log(`\n${title}`)
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`  ${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`)
}
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled, ${profile.samples.length} samples`)
print('self time by area', areas, 20)
print(`top ${top} functions by self time`, fns, top)
print(`top ${top} functions by inclusive time`, incl, top)
print(`top ${top} src/ functions by inclusive time`, inclSrc, top)
