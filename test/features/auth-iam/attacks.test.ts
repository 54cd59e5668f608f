/**
 * Requests that must be refused, with API Gateway's status, body and error type, and that
 * must never reach the integration: tampering, wrong or unknown keys, stale and replayed
 * signatures, expired presigned URLs, unsigned Host, malformed Authorization values.
 */
import { describe, expect, it } from 'vitest'
import { SignatureV4 } from '@smithy/signature-v4'
import { Sha256 } from '@aws-crypto/sha256-js'
import { ALICE, BASE, MALLORY, REGION, T0, iamConfig, iamGateway, signAws4fetch, signSmithy, tamper } from './helpers.ts'

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.'
const MIN = 60_000

type Expected = { status: number; body: Record<string, unknown>; errorType?: string }

/** AWS's error type follows the failure: a bad signature, an unknown key, or a malformed one. */
const invalid = (message: string): Expected => ({
  status: 403,
  body: { message },
  errorType:
    message === MISMATCH || message === 'Signature expired' || message.startsWith("The provided 'x-amz-content-sha256'")
      ? 'InvalidSignatureException'
      : message.startsWith('The security token')
        ? 'UnrecognizedClientException'
        : 'IncompleteSignatureException',
})

/** Sends `req` to a fresh gateway (clock moved by `advance`), checks the answer and that nothing was invoked. */
async function refuse(makeReq: () => Promise<Request>, expected: Expected, opts: { advance?: number; config?: unknown } = {}) {
  const gw = iamGateway(opts.config)
  const req = await makeReq()
  if (opts.advance) gw.clock.advance(opts.advance)
  const res = await gw.app.request(req)
  expect(await res.json()).toEqual(expected.body)
  expect(res.status).toBe(expected.status)
  if (expected.errorType) expect(res.headers.get('x-amzn-ErrorType')).toBe(expected.errorType)
  expect(gw.events).toHaveLength(0)
  // Secrets, tokens and signatures never reach the logs.
  const logged = JSON.stringify(gw.logger.lines) + gw.logger.accessLines.join('\n')
  expect(logged).not.toContain(ALICE.secretAccessKey)
  expect(logged).not.toContain('SessionTokenValue')
  const signature = /Signature=([0-9a-f]{64})/.exec(req.headers.get('authorization') ?? '')?.[1] ?? new URL(req.url).searchParams.get('X-Amz-Signature')
  if (signature) expect(logged).not.toContain(signature)
  return gw
}

const goodPost = () => signAws4fetch(`${BASE}/prod/items/1?a=1`, { method: 'POST', body: '{"amount":10}', headers: { 'content-type': 'application/json', 'x-custom': 'v1' } })

/** Replaces one part of an Authorization header signed by aws4fetch. */
async function withAuthorization(edit: (value: string) => string, headers: Record<string, string | null> = {}) {
  const req = await signAws4fetch(`${BASE}/prod/items/1`)
  return tamper(req, { headers: { authorization: edit(req.headers.get('authorization')!), ...headers } })
}

describe('tampering after signing', () => {
  it.each<[string, () => Promise<Request>, Expected]>([
    ['body changed (payload hashed by the gateway)', async () => tamper(await goodPost(), { body: '{"amount":10000}' }), invalid(MISMATCH)],
    [
      'body changed under a signed x-amz-content-sha256 (SDK v3)',
      async () => tamper(await signSmithy({ method: 'POST', path: '/prod/items/1', body: '{"amount":10}' }), { body: '{"amount":99}' }),
      invalid("The provided 'x-amz-content-sha256' header does not match what was computed."),
    ],
    [
      'x-amz-content-sha256 swapped for UNSIGNED-PAYLOAD',
      async () => tamper(await signSmithy({ method: 'POST', path: '/prod/items/1', body: 'a' }), { body: 'b', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }),
      invalid(MISMATCH),
    ],
    ['path changed', async () => tamper(await goodPost(), { url: `${BASE}/prod/items/2?a=1` }), invalid(MISMATCH)],
    ['path re-encoded (%2F for /)', async () => tamper(await signAws4fetch(`${BASE}/prod/files/a/b`), { url: `${BASE}/prod/files/a%2Fb` }), invalid(MISMATCH)],
    ['query value changed', async () => tamper(await goodPost(), { url: `${BASE}/prod/items/1?a=2` }), invalid(MISMATCH)],
    ['query parameter added', async () => tamper(await goodPost(), { url: `${BASE}/prod/items/1?a=1&admin=true` }), invalid(MISMATCH)],
    ['signed header changed', async () => tamper(await goodPost(), { headers: { 'x-custom': 'v2' } }), invalid(MISMATCH)],
    ['signed header removed', async () => tamper(await goodPost(), { headers: { 'x-custom': null } }), invalid(MISMATCH)],
    ['method changed', async () => tamper(await goodPost(), { method: 'PUT' }), invalid(MISMATCH)],
    ['Host changed', async () => tamper(await signAws4fetch(`${BASE}/prod/items/1`), { headers: { host: 'evil.example' } }), invalid(MISMATCH)],
    ['X-Amz-Date moved within the window', async () => tamper(await signAws4fetch(`${BASE}/prod/items/1`), { headers: { 'x-amz-date': '20260115T120100Z' } }), invalid(MISMATCH)],
    [
      'session token swapped',
      async () => tamper(await signAws4fetch(`${BASE}/prod/items/1`, { sessionToken: 'SessionTokenValueA' }), { headers: { 'x-amz-security-token': 'SessionTokenValueB' } }),
      invalid(MISMATCH),
    ],
    [
      'presigned URL: path changed',
      async () => {
        const req = await signAws4fetch(`${BASE}/prod/items/1`, { signQuery: true })
        return new Request(req.url.replace('/items/1', '/items/2'))
      },
      invalid(MISMATCH),
    ],
    [
      'presigned URL: X-Amz-Expires raised',
      async () => {
        const req = await signSmithy({ path: '/prod/items/1', presign: true, expiresIn: 60 })
        return new Request(req.url.replace('X-Amz-Expires=60', 'X-Amz-Expires=600'))
      },
      invalid(MISMATCH),
    ],
    [
      'presigned URL: X-Amz-Security-Token swapped',
      async () => {
        const req = await signSmithy({ path: '/prod/items/1', presign: true, sessionToken: 'SessionTokenValueA' })
        return new Request(req.url.replace('SessionTokenValueA', 'SessionTokenValueB'))
      },
      invalid(MISMATCH),
    ],
  ])('%s', async (_label, makeReq, expected) => {
    await refuse(makeReq, expected)
  })
})

describe('credentials', () => {
  it('wrong secret for a known key id', async () => {
    await refuse(() => signAws4fetch(`${BASE}/prod/items/1`, { creds: { accessKeyId: ALICE.accessKeyId, secretAccessKey: 'wrong' } }), invalid(MISMATCH))
  })
  it('unknown access key id', async () => {
    await refuse(() => signAws4fetch(`${BASE}/prod/items/1`, { creds: MALLORY }), invalid('The security token included in the request is invalid.'))
  })
  it('unknown access key id, presigned', async () => {
    await refuse(() => signAws4fetch(`${BASE}/prod/items/1`, { creds: MALLORY, signQuery: true }), invalid('The security token included in the request is invalid.'))
  })
})

describe('time', () => {
  it('signed more than 5 minutes before the gateway clock', async () => {
    await refuse(() => signAws4fetch(`${BASE}/prod/items/1`, { datetime: new Date(T0.getTime() - 6 * MIN) }), {
      status: 403,
      body: { message: 'Signature expired: 20260115T115400Z is now earlier than 20260115T115500Z (20260115T120000Z - 5 min.)' },
      errorType: 'InvalidSignatureException',
    })
  })
  it('signed more than 5 minutes after the gateway clock', async () => {
    await refuse(() => signAws4fetch(`${BASE}/prod/items/1`, { datetime: new Date(T0.getTime() + 6 * MIN) }), {
      status: 403,
      body: { message: 'Signature not yet current: 20260115T120600Z is still later than 20260115T120500Z (20260115T120000Z + 5 min.)' },
    })
  })
  it('a signature inside the window on either side passes', async () => {
    const gw = iamGateway()
    expect((await gw.app.request(await signAws4fetch(`${BASE}/prod/items/1`, { datetime: new Date(T0.getTime() - 5 * MIN) }))).status).toBe(200)
    expect((await gw.app.request(await signAws4fetch(`${BASE}/prod/items/1`, { datetime: new Date(T0.getTime() + 5 * MIN) }))).status).toBe(200)
  })
  it('replaying a valid request 6 minutes later fails', async () => {
    const gw = iamGateway()
    const req = await signAws4fetch(`${BASE}/prod/items/1`, { method: 'POST', body: 'pay' })
    expect((await gw.app.request(req.clone())).status).toBe(200)
    expect(gw.events).toHaveLength(1)
    gw.clock.advance(6 * MIN)
    const res = await gw.app.request(req)
    expect(res.status).toBe(403)
    expect((await res.json()).message).toMatch(/^Signature expired: 20260115T120000Z is now earlier than 20260115T120100Z/)
    expect(gw.events).toHaveLength(1)
  })
  it('presigned URL past X-Amz-Expires', async () => {
    await refuse(() => signSmithy({ path: '/prod/items/1', presign: true, expiresIn: 60 }), invalid('Signature expired'), { advance: 61_000 })
  })
  it('presigned URL within X-Amz-Expires but older than 5 minutes passes', async () => {
    const gw = iamGateway()
    const req = await signSmithy({ path: '/prod/items/1', presign: true, expiresIn: 3600 })
    gw.clock.advance(30 * MIN)
    expect((await gw.app.request(req)).status).toBe(200)
  })
})

describe('host must be signed', () => {
  const signer = new SignatureV4({ credentials: ALICE, region: REGION, service: 'execute-api', sha256: Sha256 })
  const request = { method: 'GET', protocol: 'http:', hostname: 'localhost', path: '/prod/items/1', query: {}, headers: { host: 'localhost' } }
  const HOST_MESSAGE = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."

  it('header form', async () => {
    await refuse(async () => {
      const signed: any = await signer.sign(request as any, { signingDate: T0, unsignableHeaders: new Set(['host']) })
      expect(signed.headers.authorization).not.toMatch(/SignedHeaders=[^,]*host/)
      return new Request(`${BASE}/prod/items/1`, { headers: signed.headers })
    }, invalid(HOST_MESSAGE))
  })
  it('presigned form', async () => {
    await refuse(async () => {
      const withCustom = { ...request, headers: { ...request.headers, 'x-custom': 'v' } }
      const signed: any = await signer.presign(withCustom as any, { signingDate: T0, unsignableHeaders: new Set(['host']) })
      expect(signed.query['X-Amz-SignedHeaders']).toBe('x-custom')
      const query = new URLSearchParams(signed.query).toString()
      return new Request(`${BASE}/prod/items/1?${query}`, { headers: { 'x-custom': 'v' } })
    }, invalid(HOST_MESSAGE))
  })
})

describe('malformed authentication', () => {
  it('no Authorization header and no presigned query: 403 Missing Authentication Token', async () => {
    await refuse(async () => new Request(`${BASE}/prod/items/1`), {
      status: 403,
      body: { message: 'Missing Authentication Token' },
      errorType: 'MissingAuthenticationTokenException',
    })
  })
  it('a bearer token: the missing equal-sign message, token hashed, never echoed', async () => {
    const gw = await refuse(async () => new Request(`${BASE}/prod/items/1`, { headers: { authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.secret-claims.sig' } }), {
      status: 403,
      body: {
        message:
          "Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): 'ajCoUZFRqUv2WFCYfL5KRHgAO8N6FqyhSUZo2f6bGI4='.",
      },
      errorType: 'IncompleteSignatureException',
    })
    expect(JSON.stringify(gw.logger.lines) + gw.logger.accessLines.join('')).not.toContain('secret-claims')
  })

  const requires = (...names: string[]) => names.map((n) => `Authorization header requires '${n}' parameter.`).join(' ')
  it.each<[string, () => Promise<Request>, string]>([
    ['only the algorithm', () => withAuthorization(() => 'AWS4-HMAC-SHA256'), requires('Credential', 'Signature', 'SignedHeaders')],
    ['a raw token without spaces', () => withAuthorization(() => 'abcdefghijklmnop'), requires('Credential', 'Signature', 'SignedHeaders')],
    ['no Signature', () => withAuthorization((v) => v.replace(/, Signature=[0-9a-f]+/, '')), requires('Signature')],
    ['empty Credential', () => withAuthorization((v) => v.replace(/Credential=[^,]+/, 'Credential=')), requires('Credential')],
    [
      'no X-Amz-Date nor Date header',
      () => withAuthorization((v) => v, { 'x-amz-date': null }),
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    ],
    ['another algorithm', () => withAuthorization((v) => v.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA512')), "Unsupported AWS 'algorithm': only AWS4-HMAC-SHA256 is accepted."],
    [
      'a Credential with three parts',
      () => withAuthorization((v) => v.replace(/Credential=[^,]+/, `Credential=${ALICE.accessKeyId}/20260115/us-east-1`)),
      'The Credential is malformed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
    ],
    ['another region', () => withAuthorization((v) => v.replace('/us-east-1/', '/eu-west-1/')), "Credential should be scoped to a valid region, not 'eu-west-1'."],
    ['another service', () => withAuthorization((v) => v.replace('/execute-api/', '/s3/')), "Credential should be scoped to correct service: 'execute-api'."],
    ['another terminator', () => withAuthorization((v) => v.replace('/aws4_request', '/aws5_request')), "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."],
    [
      'scope date differs from X-Amz-Date',
      () => withAuthorization((v) => v.replace('/20260115/', '/20260114/')),
      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260114' != '20260115', from '20260115T120000Z'.",
    ],
    [
      'X-Amz-Date not in basic format',
      () => withAuthorization((v) => v, { 'x-amz-date': '2026-01-15T12:00:00Z' }),
      "Date must be in ISO-8601 'basic format'. Got '2026-01-15T12:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601",
    ],
    ['X-Amz-Date on the 31st of February', () => withAuthorization((v) => v, { 'x-amz-date': '20260231T120000Z' }), "Date must be in ISO-8601 'basic format'. Got '20260231T120000Z'. See http://en.wikipedia.org/wiki/ISO_8601"],
    ['SignedHeaders in capitals', () => withAuthorization((v) => v.replace('SignedHeaders=host;x-amz-date', 'SignedHeaders=Host;X-Amz-Date')), 'SignedHeaders must be lowercase header names separated by semicolons.'],
    ['a signature that is not hex', () => withAuthorization((v) => v.replace(/Signature=[0-9a-f]+/, 'Signature=zz')), MISMATCH],
    ['a truncated signature', () => withAuthorization((v) => v.slice(0, -2)), MISMATCH],
    ['SignedHeaders without x-amz-date', () => withAuthorization((v) => v.replace('SignedHeaders=host;x-amz-date', 'SignedHeaders=host')), MISMATCH],
  ])('%s', async (_label, makeReq, message) => {
    await refuse(makeReq, invalid(message))
  })

  it.each<[string, (url: URL) => void, string]>([
    ['no X-Amz-Signature', (u) => u.searchParams.delete('X-Amz-Signature'), "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters."],
    [
      'only X-Amz-Credential',
      (u) => {
        for (const k of ['X-Amz-Algorithm', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders']) u.searchParams.delete(k)
      },
      "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders'. Re-examine the query-string parameters.",
    ],
    ['X-Amz-Expires over a week', (u) => u.searchParams.set('X-Amz-Expires', '604801'), 'X-Amz-Expires must be less than a week (in seconds) that is 604800'],
    ['X-Amz-Expires not a number', (u) => u.searchParams.set('X-Amz-Expires', '-5'), 'X-Amz-Expires should be a number'],
  ])('presigned: %s', async (_label, edit, message) => {
    await refuse(async () => {
      const req = await signSmithy({ path: '/prod/items/1', presign: true })
      const url = new URL(req.url)
      edit(url)
      return new Request(url)
    }, invalid(message))
  })

  it('an empty Authorization header counts as missing', async () => {
    await refuse(async () => new Request(`${BASE}/prod/items/1`, { headers: { authorization: '   ' } }), {
      status: 403,
      body: { message: 'Missing Authentication Token' },
    })
  })
})

describe('HTTP APIs', () => {
  it.each<[string, () => Promise<Request>]>([
    ['missing signature', async () => new Request(`${BASE}/v2/things/1`)],
    ['bad signature', async () => tamper(await signAws4fetch(`${BASE}/v2/things/1`), { url: `${BASE}/v2/things/2` })],
    ['expired signature', () => signAws4fetch(`${BASE}/v2/things/1`, { datetime: new Date(T0.getTime() - 10 * MIN) })],
    ['unknown key', () => signAws4fetch(`${BASE}/v2/things/1`, { creds: MALLORY })],
  ])('%s: 403 {"message":"Forbidden"} without x-amzn-ErrorType', async (_label, makeReq) => {
    const gw = iamGateway()
    const res = await gw.app.request(await makeReq())
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({ message: 'Forbidden' })
    expect(res.headers.get('x-amzn-ErrorType')).toBeNull()
    expect(gw.events).toHaveLength(0)
  })
})

describe('body limits', () => {
  it('a streamed body over maxPayloadBytes is refused with 413 while hashing', async () => {
    const body = 'z'.repeat(3000)
    const signed = await signAws4fetch(`${BASE}/prod/items/1`, { method: 'POST', body })
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(body))
        c.close()
      },
    })
    const req = new Request(signed.url, { method: 'POST', headers: signed.headers, body: stream, duplex: 'half' } as RequestInit)
    const gw = iamGateway(iamConfig({ settings: { maxPayloadBytes: 1024 } }))
    const res = await gw.app.request(req)
    expect(res.status).toBe(413)
    expect(gw.events).toHaveLength(0)
  })
})
