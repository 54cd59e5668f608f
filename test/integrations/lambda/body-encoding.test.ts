import { describe, expect, test } from 'vitest'
import {
  base64ToBytes,
  bytesToBase64,
  isTextContentType,
  matchesBinaryMediaType,
} from '../../../src/integrations/lambda/body-encoding.ts'

describe('isTextContentType', () => {
  test.each([
    [null, true],
    ['', true],
    ['text/plain', true],
    ['text/csv; charset=utf-8', true],
    ['TEXT/HTML', true],
    ['application/json', true],
    ['application/problem+json', true],
    ['application/xml', true],
    ['image/svg+xml', true],
    ['application/javascript', true],
    ['application/x-javascript', true],
    ['application/x-www-form-urlencoded', true],
    ['application/graphql', true],
    ['application/yaml', true],
    ['application/x-yaml', true],
    ['application/octet-stream', false],
    ['image/png', false],
    ['multipart/form-data; boundary=x', false],
    ['application/pdf', false],
  ])('%j → %j', (ct, text) => {
    expect(isTextContentType(ct)).toBe(text)
  })
})

describe('matchesBinaryMediaType', () => {
  test.each([
    ['application/octet-stream', ['application/octet-stream'], true],
    ['Application/Octet-Stream; charset=x', ['application/octet-stream'], true],
    ['image/png', ['image/*'], true],
    ['image/png', ['*/*'], true],
    ['text/plain', ['image/*'], false],
    ['*/*', ['image/png'], false],
    ['*/*', ['*/*'], true],
    [null, ['*/*'], false],
    ['image/png', [], false],
  ] as [string | null, string[], boolean][])('%j against %j → %j', (mt, patterns, want) => {
    expect(matchesBinaryMediaType(mt, patterns)).toBe(want)
  })
})

describe('base64', () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i)
  test.each([
    [new Uint8Array([]), ''],
    [new Uint8Array([0]), 'AA=='],
    [new Uint8Array([0, 255]), 'AP8='],
    [new Uint8Array([0, 255, 1]), 'AP8B'],
    [new TextEncoder().encode('test-data'), 'dGVzdC1kYXRh'],
  ])('%j ↔ %j', (bytes, text) => {
    expect(bytesToBase64(bytes)).toBe(text)
    expect(Array.from(base64ToBytes(text))).toEqual(Array.from(bytes))
  })

  test('round-trips every byte value and matches btoa', () => {
    const text = bytesToBase64(all)
    expect(text).toBe(btoa(String.fromCharCode(...all)))
    expect(base64ToBytes(text)).toEqual(all)
  })

  test.each(['AP8', 'AA', 'dGVzdC1kYXRh'])('unpadded %j decodes', (text) => {
    expect(() => base64ToBytes(text)).not.toThrow()
  })

  test.each(['not base64!', 'a', 'AP8B=', 'A=A=', 'ab-_', 'é'])('rejects %j', (text) => {
    expect(() => base64ToBytes(text)).toThrow()
  })
})
