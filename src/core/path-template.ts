/**
 * Resource path templates (`/users/{id}`, `/files/{proxy+}`) and API Gateway's matching rules:
 * a static part beats `{param}`, which beats `{param+}`; a greedy part takes one or more
 * segments and must come last.
 */

export type TemplatePart =
  | { kind: 'static'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'greedy'; name: string }

export interface PathTemplate {
  source: string
  parts: TemplatePart[]
  paramNames: string[]
  greedy: boolean
  /** Rank per part: 0 static, 1 param, 2 greedy; compared lexicographically (lower wins). */
  rank: number[]
}

/** Compiles a validated template such as `/users/{id}`; `/` is the root resource. */
export function compileTemplate(source: string): PathTemplate {
  const raw = source === '/' ? [] : source.replace(/\/$/, '').split('/').slice(1)
  const parts: TemplatePart[] = raw.map((part, i) => {
    const m = /^\{([A-Za-z0-9_]+)(\+)?\}$/.exec(part)
    if (!m) {
      if (part.includes('{') || part.includes('}')) throw new Error(`"${part}": a parameter must be a whole path part`)
      if (part === '') throw new Error('empty path part (double slash) in a resource path')
      return { kind: 'static', value: part }
    }
    if (m[2] && i !== raw.length - 1) throw new Error(`greedy parameter "${part}" must be the last path part`)
    return m[2] ? { kind: 'greedy', name: m[1]! } : { kind: 'param', name: m[1]! }
  })
  return {
    source,
    parts,
    paramNames: parts.flatMap((p) => (p.kind === 'static' ? [] : [p.name])),
    greedy: parts.at(-1)?.kind === 'greedy',
    rank: parts.map((p) => (p.kind === 'static' ? 0 : p.kind === 'param' ? 1 : 2)),
  }
}

/**
 * Splits a request path (stage already removed) into segments for matching: the leading
 * slash goes, one trailing slash is ignored (API Gateway matches `/pets/` as `/pets`), and
 * inner empty segments (`a//b`) are kept, as API Gateway keeps them.
 */
export function splitPath(path: string): string[] {
  let p = path.startsWith('/') ? path.slice(1) : path
  if (p.endsWith('/')) p = p.slice(0, -1)
  return p === '' ? [] : p.split('/')
}

/** Matches segments against a template; returns the raw (undecoded) parameter values or null. */
export function matchTemplate(t: PathTemplate, segments: string[]): Record<string, string> | null {
  const parts = t.parts
  if (t.greedy ? segments.length < parts.length : segments.length !== parts.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!
    if (part.kind === 'static') {
      if (segments[i] !== part.value) return null
    } else if (part.kind === 'param') {
      if (segments[i] === '') return null
      params[part.name] = segments[i]!
    } else {
      const rest = segments.slice(i).join('/')
      if (rest === '') return null
      params[part.name] = rest
    }
  }
  return params
}

/** Negative when `a` is more specific than `b`. */
export function compareSpecificity(a: PathTemplate, b: PathTemplate): number {
  const n = Math.min(a.rank.length, b.rank.length)
  for (let i = 0; i < n; i++) if (a.rank[i] !== b.rank[i]) return a.rank[i]! - b.rank[i]!
  return b.rank.length - a.rank.length
}
