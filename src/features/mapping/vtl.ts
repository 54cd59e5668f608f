/**
 * Velocity templates as API Gateway renders them, on velocityjs (which parses and evaluates
 * without eval or new Function, so it runs under workerd too). What API Gateway's Java
 * Velocity does differently from velocityjs is adjusted here: how values print (values.ts),
 * `==`, the 1000-iteration cap of `#foreach`, Java methods on strings, lists and maps, and
 * missing references printing as nothing.
 */
import { Compile, parse } from 'velocityjs'
import { isMap, printValue, vtlEquals, type VtlMap } from './values.ts'
import { javaMethod } from './java.ts'
import { MappingError } from './errors.ts'

export { MappingError }

/** API Gateway stops a `#foreach` after this many iterations (reference §8.2). */
export const MAX_FOREACH_ITERATIONS = 1000
/** Largest mapping template API Gateway accepts: 300 KB (reference §8.2). */
export const MAX_TEMPLATE_BYTES = 300 * 1024
/** A range literal (`[1..n]`) larger than this is refused rather than built. */
const MAX_RANGE = 1_000_000

/** A parsed template, ready to render many times. */
export interface CompiledTemplate {
  /** The template text as configured. */
  source: string
  asts: unknown[]
}

/**
 * Parses a template. Throws MappingError when it is too large, does not parse, or has
 * unbalanced blocks (velocityjs would render those silently, dropping or repeating text).
 */
export function compileTemplate(source: string): CompiledTemplate {
  const bytes = new TextEncoder().encode(source).byteLength
  if (bytes > MAX_TEMPLATE_BYTES) throw new MappingError(`the template is ${bytes} bytes; API Gateway allows ${MAX_TEMPLATE_BYTES} (300 KB)`)
  checkBlocks(source)
  let asts: unknown[]
  try {
    asts = parse(source) as unknown[]
  } catch (e) {
    throw new MappingError(`the template does not parse: ${parseMessage(e)}`, { cause: e })
  }
  return { source, asts }
}

/**
 * Renders a compiled template with the given variables (`input`, `context`, `util`,
 * `stageVariables`, ...). Throws MappingError when evaluation fails.
 */
export function renderTemplate(template: CompiledTemplate, variables: VtlMap): string {
  try {
    const engine = new GatewayVelocity(template.asts, { customMethodHandlers: [{ uid: 'java', match: isJavaCall, resolve: callJava }] })
    // Silent: a reference that resolves to nothing prints nothing, as on API Gateway.
    return engine.render(variables, undefined, true)
  } catch (e) {
    if (e instanceof MappingError) throw e
    throw new MappingError(`rendering failed: ${(e as Error)?.message ?? String(e)}`, { cause: e })
  }
}

type MethodPayload = { property: string; context: unknown; params: unknown[] }

function isJavaCall(p: MethodPayload): boolean {
  return javaMethod(p.context, p.property) !== undefined
}

function callJava(p: MethodPayload): unknown {
  return javaMethod(p.context, p.property)!(p.params)
}

/** The parts of velocityjs's compiler this subclass overrides or calls. */
interface VelocityInternals {
  getReferences(ast: unknown, isVal?: boolean): unknown
  getExpression(ast: unknown): unknown
  getLiteral(ast: unknown): unknown
  getBlockEach(block: unknown[]): string
  getArray(literal: unknown): unknown[]
  render(context: VtlMap, macros?: unknown, silence?: boolean): string
}

type Ast = { type?: string; operator?: string; expression?: unknown[]; isRange?: boolean; value?: unknown[] }

const Base = Compile as unknown as new (asts: unknown[], config: unknown) => VelocityInternals

class GatewayVelocity extends Base {
  /** Printed references follow Java's toString rules; values used in expressions stay raw. */
  override getReferences(ast: unknown, isVal?: boolean): unknown {
    const value = super.getReferences(ast, isVal)
    return isVal ? printValue(value) : value
  }

  override getExpression(ast: unknown): unknown {
    const a = ast as Ast
    if (a.type === 'math' && (a.operator === '==' || a.operator === '!=')) {
      const equal = vtlEquals(this.getExpression(a.expression![0]), this.getExpression(a.expression![1]))
      return a.operator === '==' ? equal : !equal
    }
    return super.getExpression(ast)
  }

  override getArray(literal: unknown): unknown[] {
    const a = literal as Ast
    if (a.isRange) {
      const [from, to] = (a.value ?? []).map((x) => (typeof x === 'string' ? parseInt(x, 10) : typeof x === 'number' ? x : this.getReferences(x)))
      if (typeof from === 'number' && typeof to === 'number' && Math.abs(to - from) >= MAX_RANGE) {
        throw new MappingError(`the range [${from}..${to}] is too large`)
      }
    }
    return super.getArray(literal)
  }

  /** `#foreach` over at most MAX_FOREACH_ITERATIONS items, as API Gateway caps it. */
  override getBlockEach(block: unknown[]): string {
    // velocityjs evaluates the loop's source with getLiteral, first thing: cap that one value.
    const self = this as unknown as { getLiteral: (ast: unknown) => unknown }
    const own = Object.getPrototypeOf(this) as { getLiteral: (ast: unknown) => unknown }
    self.getLiteral = (ast: unknown) => {
      delete (self as { getLiteral?: unknown }).getLiteral
      return capped(own.getLiteral.call(this, ast))
    }
    try {
      return super.getBlockEach(block)
    } finally {
      delete (self as { getLiteral?: unknown }).getLiteral
    }
  }
}

function capped(source: unknown): unknown {
  if (Array.isArray(source)) return source.length > MAX_FOREACH_ITERATIONS ? source.slice(0, MAX_FOREACH_ITERATIONS) : source
  if (isMap(source)) {
    // A loop over a map iterates its values (Java's Velocity does the same).
    const values = Object.values(source)
    return values.length > MAX_FOREACH_ITERATIONS ? values.slice(0, MAX_FOREACH_ITERATIONS) : values
  }
  return source
}

/** velocityjs's parse errors are jison's multi-line text: say where, and what came unexpectedly. */
function parseMessage(e: unknown): string {
  const lines = String((e as Error)?.message ?? e).split('\n')
  const line = /line (\d+)/.exec(lines[0] ?? '')?.[1]
  const got = /got '([^']*)'/.exec(lines.find((l) => l.startsWith('Expecting')) ?? '')?.[1]
  // jison names the end of input by its symbol number, 1.
  const lexical = /^Lexical error/.test(lines[0] ?? '')
  const near = lexical ? /^\.{0,3}\s*(.*)$/.exec(lines[1] ?? '')?.[1]?.trim() : undefined
  const what = lexical
    ? `unrecognised text${near ? ` near ${JSON.stringify(near)}` : ''}`
    : got === undefined
      ? 'a syntax error'
      : got === '1' || got === 'EOF'
        ? 'the template ends too early'
        : `unexpected ${got}`
  return `line ${line ?? '?'}: ${what}`
}

const BLOCK_OPENERS = new Set(['if', 'foreach', 'macro', 'define', 'noescape'])

/**
 * Directive balance: every #if / #foreach / #macro / #define / #@call has its #end, no #end
 * is left over, and #else / #elseif sit inside an #if. velocityjs's parser accepts templates
 * that break these rules and renders them wrongly; Velocity refuses them.
 */
function checkBlocks(source: string) {
  const stack: { name: string; line: number }[] = []
  const lineAt = (i: number) => source.slice(0, i).split('\n').length
  const directive = /\\*#(?:\{([A-Za-z@][\w-]*)\}|(@?[A-Za-z][\w-]*))/y
  for (let i = 0; i < source.length; i++) {
    const c = source[i]
    if (c !== '#' && c !== '\\') continue
    if (source.startsWith('##', i)) {
      const end = source.indexOf('\n', i)
      i = end < 0 ? source.length : end
      continue
    }
    if (source.startsWith('#*', i)) {
      const end = source.indexOf('*#', i + 2)
      if (end < 0) throw new MappingError(`the comment opened on line ${lineAt(i)} (#*) is never closed (*#)`)
      i = end + 1
      continue
    }
    if (source.startsWith('#[[', i)) {
      const end = source.indexOf(']]#', i + 3)
      if (end < 0) throw new MappingError(`the unparsed block opened on line ${lineAt(i)} (#[[) is never closed (]]#)`)
      i = end + 2
      continue
    }
    directive.lastIndex = i
    const m = directive.exec(source)
    if (!m) continue
    const name = m[1] ?? m[2]!
    i += m[0].length - 1
    // An odd number of backslashes escapes the directive: \#if is text.
    if (m[0].indexOf('#') % 2 === 1) continue
    const bare = name
    const followsParen = /^\s*\(/.test(source.slice(i + 1))
    if (name.startsWith('@')) {
      stack.push({ name, line: lineAt(i) })
    } else if (BLOCK_OPENERS.has(bare) && (followsParen || bare === 'noescape')) {
      stack.push({ name: bare, line: lineAt(i) })
    } else if (bare === 'end') {
      if (!stack.pop()) throw new MappingError(`#end on line ${lineAt(i)} closes no block`)
    } else if ((bare === 'else' || bare === 'elseif') && stack[stack.length - 1]?.name !== 'if') {
      throw new MappingError(`#${bare} on line ${lineAt(i)} is not inside an #if`)
    }
  }
  const open = stack.pop()
  if (open) throw new MappingError(`#${open.name} on line ${open.line} has no #end`)
}
