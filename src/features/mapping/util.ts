/**
 * `$util` of API Gateway's mapping templates (reference §8.1): escapeJavaScript, parseJson,
 * urlEncode / urlDecode (application/x-www-form-urlencoded rules) and base64Encode /
 * base64Decode, all on UTF-8.
 */
import { base64ToBytes, bytesToBase64, utf8Decode, utf8Encode } from '../../integrations/lambda/body-encoding.ts'
import { MappingError } from './errors.ts'
import { hostObject, javaString, parseJsonDocument } from './values.ts'

function text(v: unknown): string {
  return typeof v === 'string' ? v : javaString(v)
}

/**
 * Java's StringEscapeUtils.escapeJavaScript: `'` becomes `\'` (which is not valid JSON, as
 * AWS warns), `"`, `\` and `/` are escaped, control characters get their short escapes or
 * `\u00XX`, and characters beyond ASCII become `\uXXXX` (uppercase hex).
 */
export function escapeJavaScript(value: string): string {
  let out = ''
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c > 0x7f) out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0')
    else if (c < 0x20) {
      const short = SHORT_ESCAPES[c]
      out += short ?? '\\u' + c.toString(16).toUpperCase().padStart(4, '0')
    } else {
      const ch = value[i]!
      out += ch === "'" ? "\\'" : ch === '"' ? '\\"' : ch === '\\' ? '\\\\' : ch === '/' ? '\\/' : ch
    }
  }
  return out
}

const SHORT_ESCAPES: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' }

/** Java's URLEncoder (UTF-8): letters, digits and `.-*_` stay, space is `+`, the rest %XX. */
export function urlEncode(value: string): string {
  let out = ''
  for (const ch of value) {
    if (/^[A-Za-z0-9.\-*_]$/.test(ch)) out += ch
    else if (ch === ' ') out += '+'
    else for (const b of utf8Encode(ch)) out += '%' + b.toString(16).toUpperCase().padStart(2, '0')
  }
  return out
}

/** Java's URLDecoder (UTF-8): `+` is a space, %XX bytes; a malformed escape is an error. */
export function urlDecode(value: string): string {
  const bytes: number[] = []
  let out = ''
  const flush = () => {
    if (bytes.length) out += utf8Decode(new Uint8Array(bytes.splice(0)))
  }
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!
    if (ch === '%') {
      const hex = value.slice(i + 1, i + 3)
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new MappingError(`$util.urlDecode: malformed escape at ${i} in ${JSON.stringify(value)}`)
      bytes.push(parseInt(hex, 16))
      i += 2
    } else {
      flush()
      out += ch === '+' ? ' ' : ch
    }
  }
  flush()
  return out
}

/** The `$util` object handed to templates. */
export function vtlUtil(): Record<string, (...args: unknown[]) => unknown> {
  return hostObject({
    escapeJavaScript: (v: unknown) => (v === null || v === undefined ? v : escapeJavaScript(text(v))),
    parseJson: (v: unknown) => {
      try {
        return parseJsonDocument(text(v))
      } catch (e) {
        throw new MappingError(`$util.parseJson: not JSON (${(e as Error).message})`)
      }
    },
    urlEncode: (v: unknown) => (v === null || v === undefined ? v : urlEncode(text(v))),
    urlDecode: (v: unknown) => (v === null || v === undefined ? v : urlDecode(text(v))),
    base64Encode: (v: unknown) => (v === null || v === undefined ? v : bytesToBase64(utf8Encode(text(v)))),
    base64Decode: (v: unknown) => {
      if (v === null || v === undefined) return v
      try {
        return utf8Decode(base64ToBytes(text(v).replace(/\s+/g, '')))
      } catch (e) {
        throw new MappingError(`$util.base64Decode: ${(e as Error).message}`)
      }
    },
  })
}
