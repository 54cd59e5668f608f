/**
 * Serverless Framework variables in a serverless.yml document: `${self:path}`, `${env:NAME}`,
 * `${opt:stage}` / `${opt:region}`, `${sls:stage}`, fallbacks (`${opt:stage, 'dev'}`,
 * `${env:A, ${self:custom.a}}`, `${env:A, self:custom.a}`) and variables nested in addresses
 * (`${self:custom.${sls:stage}.url}`). Every other source (ssm, cf, s3, file(...), aws, param,
 * ...) is an error naming the variable: Portico never reaches out to AWS to read config, and
 * silently using a fallback instead would serve something the deployed service would not.
 *
 * Resolution is lazy: the importer asks for the subtrees it reads (service, provider,
 * functions), and `custom` is only read through `${self:custom...}`. A broken variable in a
 * section Portico ignores (resources, package) therefore does not stop the load.
 */
import type { ConfigIssue } from '../model/load.ts'

/** What the variables read besides the document itself. */
export interface VariableContext {
  /** `--stage` (opt:stage); wins over provider.stage for sls:stage. */
  stage?: string
  /** `--region` (opt:region). */
  region?: string
  /** env:NAME source. */
  env: Record<string, string | undefined>
}

type Path = (string | number)[]

/** Sources Portico resolves; the rest are named in the error. */
const SUPPORTED = 'self, env, opt, sls'

/** A value that could not be resolved; its issue has been recorded already. */
const FAILED = Symbol('unresolved')

/**
 * Resolves variables in the parts of one document it is asked for, recording each problem
 * once, with the document path of the value that holds the variable.
 */
export class VariableResolver {
  /** Problems found so far (each once). */
  readonly issues: ConfigIssue[] = []
  private readonly root: unknown
  private readonly ctx: VariableContext
  private readonly memo = new Map<string, unknown>()
  private readonly active = new Set<string>()

  constructor(root: unknown, ctx: VariableContext) {
    this.root = root
    this.ctx = ctx
  }

  /**
   * The value at `path`, its variables resolved all the way down; undefined when the path does
   * not exist or a variable on the way failed (see `issues`).
   */
  resolve(path: Path): unknown {
    const found = this.lookup(path)
    return found === FAILED ? undefined : found
  }

  /** The stage the service deploys to: --stage, then provider.stage, then dev. */
  private stage(): string | typeof FAILED {
    if (this.ctx.stage !== undefined) return this.ctx.stage
    const value = this.lookup(['provider', 'stage'])
    if (value === FAILED) return FAILED
    return value === undefined || value === null ? 'dev' : String(value)
  }

  private lookup(path: Path): unknown {
    let node: unknown = this.root
    const walked: Path = []
    for (const seg of path) {
      node = this.shallow(node, walked)
      if (node === FAILED) return FAILED
      if (Array.isArray(node) && /^\d+$/.test(String(seg))) node = node[Number(seg)]
      else if (isObject(node) && Object.hasOwn(node, String(seg))) node = node[String(seg)]
      else return undefined
      walked.push(seg)
    }
    return this.deep(node, walked)
  }

  /** A node whose own string value may be a variable standing for an object: resolve it first. */
  private shallow(node: unknown, path: Path): unknown {
    return typeof node === 'string' ? this.string(node, path) : node
  }

  private deep(node: unknown, path: Path): unknown {
    if (typeof node === 'string') return this.string(node, path)
    if (Array.isArray(node)) {
      const out: unknown[] = []
      node.forEach((item, i) => {
        const v = this.deep(item, [...path, i])
        out.push(v === FAILED ? undefined : v)
      })
      return out
    }
    if (isObject(node)) {
      const out: Record<string, unknown> = {}
      for (const [k, item] of Object.entries(node)) {
        const v = this.deep(item, [...path, k])
        if (v !== FAILED) out[k] = v
      }
      return out
    }
    return node
  }

  /** A string at a document path, resolved once (memoised, so each problem is reported once). */
  private string(text: string, path: Path): unknown {
    if (!text.includes('${')) return text
    const key = JSON.stringify(path)
    if (this.memo.has(key)) return this.memo.get(key)
    if (this.active.has(key)) {
      this.issues.push({ path, message: `${text}: circular reference (this value refers back to itself)` })
      this.memo.set(key, FAILED)
      return FAILED
    }
    this.active.add(key)
    const value = this.interpolate(text, path)
    this.active.delete(key)
    this.memo.set(key, value)
    return value
  }

  /** Replaces every `${...}` in `text`; a text that is one variable keeps the value's type. */
  private interpolate(text: string, path: Path): unknown {
    const parts = splitVariables(text)
    if (parts === null) {
      this.issues.push({ path, message: `${text}: unbalanced \${ } in a variable` })
      return FAILED
    }
    if (parts.length === 1 && typeof parts[0] !== 'string') return this.variable(parts[0]!.inner, path)
    let out = ''
    for (const part of parts) {
      if (typeof part === 'string') {
        out += part
        continue
      }
      const v = this.variable(part.inner, path)
      if (v === FAILED) return FAILED
      if (v !== null && typeof v === 'object') {
        this.issues.push({ path, message: `\${${part.inner}}: resolves to ${Array.isArray(v) ? 'a list' : 'an object'}, which cannot be part of a string` })
        return FAILED
      }
      out += String(v)
    }
    return out
  }

  /** One `${...}` (without the braces): a reference, then fallbacks tried in order. */
  private variable(inner: string, path: Path): unknown {
    const text = `\${${inner}}`
    const items = splitTopLevel(inner)
    if (items === null || items.length === 0 || items[0]!.trim() === '') {
      this.issues.push({ path, message: `${text}: not a variable (expected \${source:address})` })
      return FAILED
    }
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!.trim()
      const last = i === items.length - 1
      const v = i === 0 ? this.reference(item, text, path) : this.fallback(item, text, path)
      if (v === FAILED) return FAILED
      if (v !== undefined && v !== null) return v
      if (last) {
        if (i === 0) this.issues.push({ path, message: `${text}: ${this.missing(item)}, and there is no fallback` })
        else this.issues.push({ path, message: `${text}: no value, and the last fallback ${item} has none either` })
        return FAILED
      }
    }
    return FAILED
  }

  /** `source:address`, possibly with variables nested in the address. */
  private reference(ref: string, text: string, path: Path): unknown {
    let resolved = ref
    if (ref.includes('${')) {
      const v = this.interpolate(ref, path)
      if (v === FAILED) return FAILED
      resolved = String(v)
    }
    const m = /^([A-Za-z][\w-]*)(\([^)]*\))?:(.*)$/s.exec(resolved)
    if (!m) {
      this.issues.push({ path, message: `${text}: "${resolved}" is not a variable reference (expected source:address, e.g. self:custom.x)` })
      return FAILED
    }
    const [, source, params, address] = m as unknown as [string, string, string | undefined, string]
    if (params !== undefined) {
      this.issues.push({ path, message: `${text}: the "${source}" variable source is not supported by Portico (supported: ${SUPPORTED})` })
      return FAILED
    }
    switch (source) {
      case 'self': {
        const target = address.trim() === '' ? [] : address.trim().split('.')
        return this.lookup(target)
      }
      case 'env': {
        const name = address.trim()
        return this.ctx.env[name]
      }
      case 'opt': {
        const name = address.trim()
        if (name === 'stage') return this.ctx.stage
        if (name === 'region') return this.ctx.region
        return undefined
      }
      case 'sls': {
        const name = address.trim()
        if (name === 'stage') return this.stage()
        this.issues.push({ path, message: `${text}: sls:${name} is not supported by Portico (sls:stage is)` })
        return FAILED
      }
      default:
        this.issues.push({ path, message: `${text}: the "${source}" variable source is not supported by Portico (supported: ${SUPPORTED})` })
        return FAILED
    }
  }

  /** A fallback: a quoted string, a number, true/false/null, a nested ${...} or a bare reference. */
  private fallback(item: string, text: string, path: Path): unknown {
    const quoted = /^'(.*)'$/s.exec(item) ?? /^"(.*)"$/s.exec(item)
    if (quoted) return quoted[1]
    if (/^-?\d+(\.\d+)?$/.test(item)) return Number(item)
    if (item === 'true' || item === 'false') return item === 'true'
    if (item === 'null') return null
    if (item.startsWith('${')) return this.interpolate(item, path)
    if (/^[A-Za-z][\w-]*(\([^)]*\))?:/.test(item)) return this.reference(item, text, path)
    // A bare word: serverless v2 read it as a string; so do we.
    return item
  }

  private missing(ref: string): string {
    const m = /^([A-Za-z][\w-]*):(.*)$/s.exec(ref)
    const source = m?.[1]
    const address = m?.[2]?.trim() ?? ''
    if (source === 'env') return `the environment variable ${address} is not set`
    if (source === 'opt') return `no --${address} option was given`
    if (source === 'self') return `"${address}" is not in this file`
    return 'it has no value'
  }
}

/** Splits text into literal parts and `${...}` parts; null when the braces do not balance. */
export function splitVariables(text: string): (string | { inner: string })[] | null {
  const out: (string | { inner: string })[] = []
  let literal = ''
  let i = 0
  while (i < text.length) {
    if (text[i] === '$' && text[i + 1] === '{') {
      const end = closingBrace(text, i + 2)
      if (end < 0) return null
      if (literal) out.push(literal)
      literal = ''
      out.push({ inner: text.slice(i + 2, end) })
      i = end + 1
    } else {
      literal += text[i]
      i++
    }
  }
  if (literal || out.length === 0) out.push(literal)
  return out
}

/** Index of the `}` closing a `${` whose contents start at `from`; quotes and nested `${` skipped. */
function closingBrace(text: string, from: number): number {
  let depth = 0
  let quote: string | undefined
  for (let i = from; i < text.length; i++) {
    const c = text[i]!
    if (quote) {
      if (c === quote) quote = undefined
      continue
    }
    if (c === "'" || c === '"') quote = c
    else if (c === '$' && text[i + 1] === '{') {
      depth++
      i++
    } else if (c === '}') {
      if (depth === 0) return i
      depth--
    }
  }
  return -1
}

/** Splits a variable's contents on commas outside quotes and nested `${}`. */
function splitTopLevel(inner: string): string[] | null {
  const out: string[] = []
  let depth = 0
  let quote: string | undefined
  let start = 0
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!
    if (quote) {
      if (c === quote) quote = undefined
      continue
    }
    if (c === "'" || c === '"') quote = c
    else if (c === '$' && inner[i + 1] === '{') {
      depth++
      i++
    } else if (c === '}') depth--
    else if (c === ',' && depth === 0) {
      out.push(inner.slice(start, i))
      start = i + 1
    }
  }
  if (quote || depth !== 0) return null
  out.push(inner.slice(start))
  return out
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
