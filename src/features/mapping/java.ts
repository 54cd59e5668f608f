/**
 * Java methods templates call on the values they hold: `$s.replaceAll(regex, x)`,
 * `$s.split(regex)`, `$list.size()`, `$map.keySet()`, `$map.get(key)`, ... with Java's
 * semantics (regular expressions, `split` dropping trailing empty strings, `get` of a missing
 * key giving null). The gateway's own objects ($input, $util) keep their methods.
 */
import { MappingError } from './errors.ts'
import { isHostObject, isMap, javaString, mapOf, type VtlMap } from './values.ts'

type Method = (args: unknown[]) => unknown

/** The Java method `name` of `target`, bound to it, or undefined when Java has none. */
export function javaMethod(target: unknown, name: string): Method | undefined {
  if (typeof target === 'string') return stringMethod(target, name)
  if (typeof target === 'number' || typeof target === 'boolean') return scalarMethod(target, name)
  if (Array.isArray(target)) return listMethod(target, name)
  if (isMap(target) && !isHostObject(target) && !hasOwnFunction(target, name)) return mapMethod(target, name)
  return undefined
}

function hasOwnFunction(target: object, name: string): boolean {
  return typeof (target as Record<string, unknown>)[name] === 'function'
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : javaString(v)
}

function int(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN
  if (!Number.isInteger(n)) throw new MappingError(`${what} needs an integer, not ${javaString(v)}`)
  return n
}

function stringMethod(s: string, name: string): Method {
  const m: Record<string, Method> = {
    length: () => s.length,
    isEmpty: () => s.length === 0,
    charAt: ([i]) => {
      const n = int(i, 'charAt')
      if (n < 0 || n >= s.length) throw new MappingError(`charAt(${n}): index out of range for a string of length ${s.length}`)
      return s[n]
    },
    substring: ([from, to]) => {
      const a = int(from, 'substring')
      const b = to === undefined ? s.length : int(to, 'substring')
      if (a < 0 || b > s.length || a > b) throw new MappingError(`substring(${a}, ${b}): out of range for a string of length ${s.length}`)
      return s.slice(a, b)
    },
    indexOf: ([x, from]) => s.indexOf(str(x), from === undefined ? 0 : int(from, 'indexOf')),
    lastIndexOf: ([x, from]) => (from === undefined ? s.lastIndexOf(str(x)) : s.lastIndexOf(str(x), int(from, 'lastIndexOf'))),
    contains: ([x]) => s.includes(str(x)),
    startsWith: ([x, from]) => s.startsWith(str(x), from === undefined ? 0 : int(from, 'startsWith')),
    endsWith: ([x]) => s.endsWith(str(x)),
    equals: ([x]) => typeof x === 'string' && x === s,
    equalsIgnoreCase: ([x]) => typeof x === 'string' && x.toLowerCase() === s.toLowerCase(),
    compareTo: ([x]) => (s < str(x) ? -1 : s > str(x) ? 1 : 0),
    toLowerCase: () => s.toLowerCase(),
    toUpperCase: () => s.toUpperCase(),
    trim: () => s.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, ''),
    concat: ([x]) => s + str(x),
    replace: ([a, b]) => s.split(str(a)).join(str(b)),
    replaceAll: ([re, by]) => s.replace(javaRegex(str(re), 'g'), javaReplacement(str(by))),
    replaceFirst: ([re, by]) => s.replace(javaRegex(str(re), ''), javaReplacement(str(by))),
    matches: ([re]) => javaRegex(`^(?:${stripFlags(str(re)).body})$`, stripFlags(str(re)).flags).test(s),
    split: ([re, limit]) => javaSplit(s, str(re), limit === undefined ? 0 : int(limit, 'split')),
    toString: () => s,
    hashCode: () => javaHash(s),
  }
  return m[name] ?? unknownMethod('String', name)
}

function scalarMethod(v: number | boolean, name: string): Method {
  const m: Record<string, Method> = {
    toString: () => javaString(v),
    equals: ([x]) => x === v,
    intValue: () => Math.trunc(Number(v)),
    longValue: () => Math.trunc(Number(v)),
    doubleValue: () => Number(v),
    floatValue: () => Number(v),
    booleanValue: () => Boolean(v),
    compareTo: ([x]) => Math.sign(Number(v) - Number(x)),
  }
  return m[name] ?? unknownMethod(typeof v === 'number' ? 'Number' : 'Boolean', name)
}

function listMethod(list: unknown[], name: string): Method {
  const index = (i: unknown, what: string) => {
    const n = int(i, what)
    if (n < 0 || n >= list.length) throw new MappingError(`${what}(${n}): index out of range for a list of ${list.length}`)
    return n
  }
  const m: Record<string, Method> = {
    size: () => list.length,
    isEmpty: () => list.length === 0,
    get: ([i]) => list[index(i, 'get')],
    contains: ([x]) => list.some((y) => y === x || javaString(y) === javaString(x)),
    indexOf: ([x]) => list.findIndex((y) => y === x || javaString(y) === javaString(x)),
    add: ([a, b]) => {
      if (b === undefined) list.push(a)
      else list.splice(int(a, 'add'), 0, b)
      return true
    },
    set: ([i, x]) => {
      const n = index(i, 'set')
      const prior = list[n]
      list[n] = x
      return prior
    },
    remove: ([x]) => {
      const n = typeof x === 'number' ? index(x, 'remove') : list.findIndex((y) => y === x)
      return n < 0 ? false : list.splice(n, 1)[0]
    },
    subList: ([a, b]) => list.slice(int(a, 'subList'), int(b, 'subList')),
    clear: () => void list.splice(0),
    toString: () => javaString(list),
  }
  return m[name] ?? unknownMethod('List', name)
}

function mapMethod(map: VtlMap, name: string): Method | undefined {
  const own = (k: unknown) => Object.hasOwn(map, str(k))
  const m: Record<string, Method> = {
    get: ([k]) => (own(k) ? map[str(k)] : null),
    getOrDefault: ([k, d]) => (own(k) ? map[str(k)] : d),
    containsKey: ([k]) => own(k),
    containsValue: ([v]) => Object.values(map).some((x) => x === v || javaString(x) === javaString(v)),
    keySet: () => Object.keys(map),
    values: () => Object.values(map),
    entrySet: () => Object.entries(map).map(([key, value]) => mapOf([['key', key], ['value', value]])),
    size: () => Object.keys(map).length,
    isEmpty: () => Object.keys(map).length === 0,
    put: ([k, v]) => {
      const prior = own(k) ? map[str(k)] : null
      Object.assign(map, mapOf([[str(k), v]]))
      return prior
    },
    putAll: ([other]) => {
      if (isMap(other)) Object.assign(map, mapOf(Object.entries(other)))
      return undefined
    },
    remove: ([k]) => {
      if (!own(k)) return null
      const prior = map[str(k)]
      delete map[str(k)]
      return prior
    },
    toString: () => javaString(map),
  }
  // Unknown methods on a map print nothing, as Velocity prints an unresolvable call.
  return m[name] ?? (() => undefined)
}

function unknownMethod(type: string, name: string): Method {
  return () => {
    throw new MappingError(`${type} has no method ${name}()`)
  }
}

/** Java's String.hashCode. */
function javaHash(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0
  return h
}

/** Leading inline flags of a Java regex ((?i), (?s), (?m)) become JS flags. */
function stripFlags(pattern: string): { body: string; flags: string } {
  const m = /^\(\?([ism]+)\)/.exec(pattern)
  return m ? { body: pattern.slice(m[0].length), flags: [...new Set(m[1]!)].join('') } : { body: pattern, flags: '' }
}

/** A Java regular expression as a JS RegExp (the syntax both share). */
export function javaRegex(pattern: string, flags: string): RegExp {
  const { body, flags: inline } = stripFlags(pattern)
  try {
    return new RegExp(body, [...new Set(flags + inline)].join(''))
  } catch (e) {
    throw new MappingError(`not a regular expression: ${JSON.stringify(pattern)} (${(e as Error).message})`)
  }
}

/** Java's replacement syntax ($1, ${name}, \x for a literal x) as a JS replacer function. */
function javaReplacement(replacement: string): (...args: unknown[]) => string {
  return (...args: unknown[]) => {
    const groups = args.at(-1) && typeof args.at(-1) === 'object' ? (args.at(-1) as Record<string, string>) : undefined
    const captures = args.slice(0, typeof args.at(-1) === 'object' ? -3 : -2) as (string | undefined)[]
    let out = ''
    for (let i = 0; i < replacement.length; i++) {
      const c = replacement[i]!
      if (c === '\\' && i + 1 < replacement.length) {
        out += replacement[++i]
      } else if (c === '$') {
        const named = /^\{([A-Za-z][A-Za-z0-9]*)\}/.exec(replacement.slice(i + 1))
        if (named) {
          out += groups?.[named[1]!] ?? ''
          i += named[0].length
          continue
        }
        const digits = /^\d+/.exec(replacement.slice(i + 1))
        if (!digits) throw new MappingError(`illegal group reference in replacement ${JSON.stringify(replacement)}`)
        out += captures[Number(digits[0])] ?? ''
        i += digits[0].length
      } else {
        out += c
      }
    }
    return out
  }
}

/** Java's String.split: a regex separator, trailing empty strings removed (limit 0). */
function javaSplit(s: string, pattern: string, limit: number): string[] {
  if (s === '') return ['']
  const re = javaRegex(pattern, 'g')
  const parts: string[] = []
  let last = 0
  for (const m of s.matchAll(re)) {
    if (limit > 0 && parts.length === limit - 1) break
    // A zero-width match at the start yields no leading empty string (Java 8+).
    if (m[0] === '' && m.index === 0) continue
    if (m[0] === '' && m.index >= s.length) break
    parts.push(s.slice(last, m.index))
    last = m.index + m[0].length
  }
  parts.push(s.slice(last))
  if (limit === 0) while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop()
  return parts
}
