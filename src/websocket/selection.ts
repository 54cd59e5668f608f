/**
 * WebSocket route selection expressions (reference §9.1): `$request.body.action`,
 * `${request.body.service}/${request.body.action}`, static keys and `\$default`. Compiled once
 * at load; evaluated per message against the message's JSON body.
 */

/** One piece of an expression: literal text or a JSONPath into the message body. */
type Part = { literal: string } | { path: PathStep[]; source: string }
type PathStep = string | number

/** A compiled expression: `select(body)` gives the route key, or null for "not JSON" ($default). */
export interface RouteSelector {
  /** The expression as written. */
  source: string
  /** Whether the key depends on the message (false: a static key). */
  readsBody: boolean
  /** The route key for a message; null when the message is not JSON and the key needs it. */
  select(message: string): string | null
}

/** An expression that cannot be compiled; the message says why. */
export class SelectionExpressionError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SelectionExpressionError'
  }
}

// `${request.body.x}` (braced, anywhere) or `$request.body.x` (unbraced: the path runs to the
// first character a JSONPath of names and indices cannot hold).
const VARIABLE = /\\\$|\$\{([^}]*)\}|\$(request\.body(?:\.[A-Za-z_][\w-]*|\[\d+\]|\['[^']*'\])+)|\$/g

/**
 * Compiles a route selection expression.
 * @throws SelectionExpressionError for a variable other than request.body.<path>
 */
export function compileRouteSelection(expression: string): RouteSelector {
  const parts: Part[] = []
  let last = 0
  for (const m of expression.matchAll(VARIABLE)) {
    const at = m.index!
    if (at > last) parts.push({ literal: expression.slice(last, at) })
    last = at + m[0].length
    if (m[0] === '\\$') {
      parts.push({ literal: '$' })
      continue
    }
    const variable = m[1] ?? m[2]
    if (variable === undefined) {
      throw new SelectionExpressionError(`a "$" must start $request.body.<path> or \${request.body.<path>} (write \\$ for a literal "$")`)
    }
    parts.push({ path: parseBodyPath(variable), source: variable })
  }
  if (last < expression.length) parts.push({ literal: expression.slice(last) })

  const readsBody = parts.some((p) => 'path' in p)
  if (!readsBody) {
    const key = parts.map((p) => (p as { literal: string }).literal).join('')
    return { source: expression, readsBody, select: () => key }
  }
  return {
    source: expression,
    readsBody,
    select(message) {
      let body: unknown
      try {
        body = JSON.parse(message)
      } catch {
        return null
      }
      let out = ''
      for (const part of parts) out += 'literal' in part ? part.literal : stringify(lookup(body, part.path))
      return out
    },
  }
}

/** `request.body.a.b[0]['c d']` → ['a', 'b', 0, 'c d']. */
function parseBodyPath(variable: string): PathStep[] {
  const trimmed = variable.trim()
  if (!trimmed.startsWith('request.body')) {
    throw new SelectionExpressionError(`"${variable}": route selection reads the message body only ($request.body.<path>)`)
  }
  const rest = trimmed.slice('request.body'.length)
  const steps: PathStep[] = []
  const step = /\.([A-Za-z_][\w-]*)|\[(\d+)\]|\['([^']*)'\]/y
  let at = 0
  while (at < rest.length) {
    step.lastIndex = at
    const m = step.exec(rest)
    if (!m) throw new SelectionExpressionError(`"${variable}" is not a JSONPath of names and indices (e.g. request.body.action, request.body.items[0])`)
    steps.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3]!))
    at = step.lastIndex
  }
  if (steps.length === 0) throw new SelectionExpressionError(`"${variable}" names no field: use request.body.<field>`)
  return steps
}

function lookup(value: unknown, path: PathStep[]): unknown {
  let current = value
  for (const step of path) {
    if (typeof step === 'number') {
      if (!Array.isArray(current) || step >= current.length) return undefined
      current = current[step]
    } else {
      if (current === null || typeof current !== 'object' || Array.isArray(current) || !Object.hasOwn(current, step)) return undefined
      current = (current as Record<string, unknown>)[step]
    }
  }
  return current
}

/**
 * The value as API Gateway writes it into a route key: a path that is not found (and null)
 * gives "", strings as they are, lists and maps as Java prints them (`[a, b]`, `{k=v}`).
 */
function stringify(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'string') return value
  if (Array.isArray(value)) return `[${value.map(stringify).join(', ')}]`
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}=${stringify(v)}`).join(', ')}}`
  }
  return String(value)
}
