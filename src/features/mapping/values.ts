/**
 * The values mapping templates work with, as API Gateway's Java Velocity sees them: JSON
 * documents (`$input.path`, `$util.parseJson`), Java maps and lists, Java strings. Printing
 * follows AWS's recorded output (reference §8.1): a map prints as Java's `Map.toString`
 * (`{foo=bar}`), a JSON list as JSON (`[{"foo":"bar"}]`), other lists as Java's
 * `List.toString` (`[a, b]`), and null as nothing.
 */

/** Arrays that came from a JSON document: AWS prints those as JSON. */
const jsonLists = new WeakSet<object>()

/** JSON text → value, with its arrays marked as JSON lists. Throws SyntaxError on bad JSON. */
export function parseJsonDocument(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (Array.isArray(value)) jsonLists.add(value)
    return value
  })
}

/** Whether `value` is a list that came from JSON. */
export function isJsonList(value: unknown): boolean {
  return Array.isArray(value) && jsonLists.has(value)
}

/** Marks a list built by the gateway as a JSON one (JSONPath wildcard results). */
export function jsonList<T>(items: T[]): T[] {
  jsonLists.add(items)
  return items
}

/** A map of the template's world: a plain object with no prototype surprises. */
export type VtlMap = Record<string, unknown>

/** Whether `value` is a map (a plain object, not a list or a function host object). */
export function isMap(value: unknown): value is VtlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}

/** Builds a map from entries without letting a `__proto__` key change its prototype. */
export function mapOf(entries: Iterable<[string, unknown]>): VtlMap {
  const out: VtlMap = {}
  for (const [k, v] of entries) {
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, writable: true, enumerable: true, configurable: true })
    else out[k] = v
  }
  return out
}

/** How a reference prints in template output: null and undefined print nothing. */
export function printValue(value: unknown): string {
  if (value === null || value === undefined) return ''
  return javaString(value)
}

/** Java's String.valueOf for the values templates hold (null is "null" inside collections). */
export function javaString(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  switch (typeof value) {
    case 'string':
      return value
    case 'number':
      return numberText(value)
    case 'boolean':
    case 'bigint':
      return String(value)
    case 'function':
      return ''
  }
  if (Array.isArray(value)) {
    if (jsonLists.has(value)) return JSON.stringify(value, jsonReplacer)
    return '[' + value.map(javaString).join(', ') + ']'
  }
  if (isHostObject(value)) return ''
  const map = value as VtlMap
  return '{' + Object.keys(map).map((k) => `${k}=${javaString(map[k])}`).join(', ') + '}'
}

/** JSON text of a value ($input.json): strings quoted, null as null. */
export function jsonText(value: unknown): string {
  if (value === undefined) return 'null'
  return JSON.stringify(value, jsonReplacer) ?? 'null'
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'function' || isHostObject(value) ? undefined : value
}

/** Numbers print as Java prints an Integer / Long, or a Double that has a fraction. */
function numberText(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toFixed(0)
  return String(n)
}

/**
 * The gateway's own variables ($input, $util) are objects of functions; they print as nothing
 * rather than as a map of their methods.
 */
const hostObjects = new WeakSet<object>()

/** Marks an object of the gateway's functions ($input, $util). */
export function hostObject<T extends object>(value: T): T {
  hostObjects.add(value)
  return value
}

/** Whether `value` is one of the gateway's objects of functions. */
export function isHostObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && hostObjects.has(value)
}

/**
 * Velocity's `==` as API Gateway's templates evaluate it: numbers by value, a missing value
 * equal to null and to the empty string (recorded: `$result == ""` is true for a missing
 * path), values of different types by their printed form.
 */
export function vtlEquals(a: unknown, b: unknown): boolean {
  const aNull = a === null || a === undefined
  const bNull = b === null || b === undefined
  if (aNull || bNull) {
    if (aNull && bNull) return true
    return (aNull ? b : a) === ''
  }
  if (typeof a === 'number' && typeof b === 'number') return a === b
  if (typeof a === typeof b && typeof a !== 'object') return a === b
  return javaString(a) === javaString(b)
}
