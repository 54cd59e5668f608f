/**
 * The JSONPath that `$input.path`, `$input.json` and `integration.response.body.<path>` take:
 * `$`, `$.a.b`, `$['a']`, `$.a[0]` (negative indexes count from the end), `$.a[*]`, `$.*`
 * and `$..name`. A path without a wildcard gives one value (null when missing); one with a
 * wildcard gives a list (empty when nothing matches), as Jayway JsonPath does on AWS.
 * Filters, slices and unions are refused with a MappingError naming the path.
 */
import { MappingError } from './errors.ts'
import { isMap, jsonList } from './values.ts'

type Step =
  | { kind: 'name'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'descend'; name: string | null }

const compiled = new Map<string, Step[]>()
const MAX_COMPILED = 512

/** Evaluates `path` against `root` (a parsed JSON document). */
export function evaluatePath(root: unknown, path: string): unknown {
  const steps = compilePath(path)
  let nodes: unknown[] = [root]
  let definite = true
  for (const step of steps) {
    const next: unknown[] = []
    for (const node of nodes) applyStep(step, node, next)
    if (step.kind === 'wildcard' || step.kind === 'descend') definite = false
    nodes = next
  }
  if (definite) return nodes.length ? nodes[0] : null
  return jsonList(nodes)
}

function applyStep(step: Step, node: unknown, out: unknown[]) {
  switch (step.kind) {
    case 'name':
      if (isMap(node) && Object.hasOwn(node, step.name)) out.push(node[step.name])
      return
    case 'index':
      if (Array.isArray(node)) {
        const i = step.index < 0 ? node.length + step.index : step.index
        if (i >= 0 && i < node.length) out.push(node[i])
      }
      return
    case 'wildcard':
      if (Array.isArray(node)) out.push(...node)
      else if (isMap(node)) out.push(...Object.values(node))
      return
    case 'descend':
      descend(node, step.name, out)
      return
  }
}

/** `..name` (or `..*`): the values of `name` anywhere below `node`, in document order. */
function descend(node: unknown, name: string | null, out: unknown[]) {
  if (Array.isArray(node)) {
    if (name === null) out.push(...node)
    for (const child of node) descend(child, name, out)
  } else if (isMap(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (name === null || k === name) out.push(v)
      descend(v, name, out)
    }
  }
}

/** Parses a path once; throws MappingError for syntax outside the supported subset. */
export function compilePath(path: string): Step[] {
  const known = compiled.get(path)
  if (known) return known
  const steps = parsePath(path)
  if (compiled.size >= MAX_COMPILED) compiled.clear()
  compiled.set(path, steps)
  return steps
}

function parsePath(raw: string): Step[] {
  const path = raw.trim()
  const fail = (why: string): never => {
    throw new MappingError(`JSONPath ${JSON.stringify(raw)}: ${why}`)
  }
  if (!path.startsWith('$')) fail('must start with $')
  const steps: Step[] = []
  let i = 1
  while (i < path.length) {
    if (path.startsWith('..', i)) {
      i += 2
      if (path[i] === '*') {
        steps.push({ kind: 'descend', name: null })
        i++
        continue
      }
      const name = /^[^.[\]\s]+/.exec(path.slice(i))?.[0]
      if (!name) fail('.. must be followed by a name or *')
      steps.push({ kind: 'descend', name: name! })
      i += name!.length
    } else if (path[i] === '.') {
      i++
      if (path[i] === '*') {
        steps.push({ kind: 'wildcard' })
        i++
        continue
      }
      const name = /^[^.[\]]+/.exec(path.slice(i))?.[0]
      if (!name) fail(`a name is expected after the dot at ${i}`)
      steps.push({ kind: 'name', name: name! })
      i += name!.length
    } else if (path[i] === '[') {
      const close = bracketEnd(path, i)
      if (close < 0) fail(`the [ at ${i} is not closed`)
      steps.push(bracketStep(path.slice(i + 1, close).trim(), fail))
      i = close + 1
    } else {
      fail(`unexpected ${JSON.stringify(path[i])} at ${i}`)
    }
  }
  return steps
}

/** Index of the `]` closing the bracket at `open`, skipping quoted names. */
function bracketEnd(path: string, open: number): number {
  let quote: string | null = null
  for (let j = open + 1; j < path.length; j++) {
    const c = path[j]
    if (quote) {
      if (c === '\\') j++
      else if (c === quote) quote = null
    } else if (c === "'" || c === '"') quote = c
    else if (c === ']') return j
  }
  return -1
}

function bracketStep(inner: string, fail: (why: string) => never): Step {
  if (inner === '*') return { kind: 'wildcard' }
  if (/^-?\d+$/.test(inner)) return { kind: 'index', index: Number(inner) }
  const quoted = /^(['"])((?:\\.|(?!\1).)*)\1$/.exec(inner)
  if (quoted) return { kind: 'name', name: quoted[2]!.replace(/\\(.)/g, '$1') }
  if (inner.startsWith('?')) return fail('filters are not supported')
  if (inner.includes(':')) return fail('slices are not supported')
  if (inner.includes(',')) return fail('unions are not supported')
  return fail(`[${inner}] is not an index, a quoted name or *`)
}
