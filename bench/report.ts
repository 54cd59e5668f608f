/** The results table. */

export interface Row {
  scenario: string
  url?: string
  skipped?: string
  error?: string
  requests?: number
  reqPerSec?: number
  p50Ms?: number
  p99Ms?: number
  non2xx?: number
  errors?: number
  generatorCpu?: number
  /** 'reference', the baseline scenario's name, or null when no baseline ran. */
  baseline: string | null
  ratio?: number
  goal?: number
  /** undefined when the row has no goal (or did not run). */
  pass?: boolean
}

const HEADERS = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'baseline', 'ratio', 'goal', 'result']
const RIGHT = new Set([1, 2, 3, 4, 6, 7])

export function formatTable(rows: Row[]): string {
  const cells = rows.map((r) => {
    const ran = r.reqPerSec !== undefined
    const result = r.skipped ? 'skipped' : r.error ? 'error' : r.pass === undefined ? '-' : r.pass ? 'PASS' : 'FAIL'
    return [
      r.scenario,
      ran ? Math.round(r.reqPerSec!).toLocaleString('en-US') : '-',
      ran ? r.p50Ms!.toFixed(2) : '-',
      ran ? r.p99Ms!.toFixed(2) : '-',
      ran ? String(r.non2xx) : '-',
      r.baseline ?? '-',
      r.ratio === undefined ? '-' : `${r.ratio.toFixed(2)}x`,
      r.goal === undefined ? '-' : `>= ${r.goal.toFixed(2)}x`,
      result,
    ]
  })
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const line = (c: string[]) => c.map((v, i) => (RIGHT.has(i) ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd()
  return [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n')
}
