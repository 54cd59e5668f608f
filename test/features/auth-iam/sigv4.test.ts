/**
 * The SigV4 verifier on its own: botocore's signing (a hand-computed vector standing in for the
 * guide's Python client), AWS's published get-vanilla vector, and the canonical forms of paths
 * and queries that aws4fetch and the SDK v3 signer produce.
 */
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { SignatureV4 } from '@smithy/signature-v4'
import { Sha256 } from '@aws-crypto/sha256-js'
import { AwsV4Signer } from 'aws4fetch'
import { FIXTURES } from '../../helpers/gateway.ts'
import { createHash, createHmac } from 'node:crypto'
import { canonicalHeaders, canonicalQuery, canonicalRequest, canonicalUri, createVerifier, SigV4Error } from '../../../src/features/auth-iam/sigv4.ts'
import { iamConfig, iamGateway, T0 } from './helpers.ts'

const vector = JSON.parse(readFileSync(resolve(FIXTURES, 'sigv4/botocore-vector.json'), 'utf8'))

describe("botocore's SigV4Auth (the guide's client)", () => {
  it.each(vector.requests as any[])('$url verifies through the gateway and reaches the integration', async (r: any) => {
    const gw = iamGateway(iamConfig({ credentials: [{ ...vector.credentials, policies: [{ Statement: [{ Effect: 'Allow', Action: 'execute-api:*', Resource: '*' }] }] }] }))
    expect(gw.clock.now()).toBe(Date.parse(vector.signedAt))
    const res = await gw.app.request(new Request(r.url, { headers: r.headers }))
    expect(res.status).toBe(200)
    expect(gw.events).toHaveLength(1)
  })

  it('the vector agrees with the SDK v3 signer given the same headers (no x-amz-content-sha256)', async () => {
    const signer = new SignatureV4({ credentials: vector.credentials, region: 'us-east-1', service: 'execute-api', sha256: Sha256, applyChecksum: false })
    const r = vector.requests[0]
    const url = new URL(r.url)
    const signed: any = await signer.sign(
      { method: 'GET', protocol: 'https:', hostname: url.hostname, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: { host: url.host } } as any,
      { signingDate: T0 },
    )
    expect(signed.headers.authorization).toBe(r.headers.Authorization)
  })

  it('the same request with one unsigned header changed still verifies; a signed one does not', async () => {
    const gw = iamGateway(iamConfig({ credentials: [{ ...vector.credentials, policies: [{ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }] }] }))
    const r = vector.requests[0]
    expect((await gw.app.request(new Request(r.url, { headers: { ...r.headers, 'User-Agent': 'curl/8' } }))).status).toBe(200)
    expect((await gw.app.request(new Request(r.url, { headers: { ...r.headers, 'X-Amz-Date': '20260115T120001Z' } }))).status).toBe(403)
  })
})

describe('verifier', () => {
  it("AWS's published get-vanilla vector", async () => {
    const verifier = createVerifier({ region: 'us-east-1', service: 'service', secretFor: (id) => (id === 'AKIDEXAMPLE' ? 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' : undefined) })
    const input = {
      method: 'GET',
      path: '/',
      query: '',
      headers: [
        ['Host', 'example.amazonaws.com'],
        ['X-Amz-Date', '20150830T123600Z'],
        [
          'Authorization',
          'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
        ],
      ] as [string, string][],
      host: 'unused',
      bodySha256: async () => 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    }
    const result = await verifier.verify(input, Date.UTC(2015, 7, 30, 12, 36))
    expect(result).toMatchObject({ accessKeyId: 'AKIDEXAMPLE', form: 'header', signedHeaders: ['host', 'x-amz-date'] })
  })

  it('does not read the body when the signature covers UNSIGNED-PAYLOAD or fails early', async () => {
    let reads = 0
    const verifier = createVerifier({ region: 'us-east-1', service: 'execute-api', secretFor: () => undefined })
    const err = await verifier
      .verify(
        {
          method: 'POST',
          path: '/',
          query: '',
          headers: [['Authorization', 'AWS4-HMAC-SHA256 Credential=AKIAX/20260115/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=00'], ['X-Amz-Date', '20260115T120000Z']],
          host: 'h',
          bodySha256: async () => {
            reads++
            return ''
          },
        },
        T0.getTime(),
      )
      .catch((e) => e)
    expect(err).toBeInstanceOf(SigV4Error)
    expect(err.kind).toBe('unknown-key')
    expect(reads).toBe(0)
  })
})

describe('canonical forms', () => {
  it('headers: lowercase names, trimmed values, inner whitespace collapsed, repeats joined with ","', () => {
    const headers: [string, string][] = [['X-Multi', 'a'], ['Host', 'api.example'], ['x-multi', '  b \t  c ']]
    expect(canonicalHeaders(headers, ['host', 'x-multi'], 'fallback')).toBe('host:api.example\nx-multi:a,b c\n')
    // In-process requests carry no Host header: the URL's host stands in.
    expect(canonicalHeaders([], ['host'], 'localhost:8787')).toBe('host:localhost:8787\n')
  })

  it('the HTTP Date header stands in for X-Amz-Date', async () => {
    const secret = 'date-secret'
    const input = {
      method: 'GET',
      path: '/prod/items/1',
      query: '',
      headers: [['Host', 'h'], ['Date', 'Thu, 15 Jan 2026 12:00:00 GMT']] as [string, string][],
      host: 'h',
      bodySha256: async () => createHash('sha256').update('').digest('hex'),
    }
    const canonical = canonicalRequest(input, ['date', 'host'], await input.bodySha256(), false)
    const scope = '20260115/us-east-1/execute-api/aws4_request'
    const sts = ['AWS4-HMAC-SHA256', '20260115T120000Z', scope, createHash('sha256').update(canonical).digest('hex')].join('\n')
    let key = createHmac('sha256', `AWS4${secret}`).update('20260115').digest()
    for (const part of ['us-east-1', 'execute-api', 'aws4_request']) key = createHmac('sha256', key).update(part).digest()
    const signature = createHmac('sha256', key).update(sts).digest('hex')
    input.headers.push(['Authorization', `AWS4-HMAC-SHA256 Credential=AKIADATE/${scope}, SignedHeaders=date;host, Signature=${signature}`])
    const verifier = createVerifier({ region: 'us-east-1', service: 'execute-api', secretFor: (id) => (id === 'AKIADATE' ? secret : undefined) })
    await expect(verifier.verify(input, T0.getTime())).resolves.toMatchObject({ accessKeyId: 'AKIADATE', signedAt: T0.getTime() })
    input.headers[1] = ['Date', 'Thu, 15 Jan 2026 12:00:01 GMT']
    await expect(verifier.verify(input, T0.getTime())).rejects.toMatchObject({ kind: 'mismatch' })
  })

  it.each([
    ['/', '/'],
    ['', '/'],
    ['/prod/a%20b', '/prod/a%2520b'],
    ['/prod/a%2Fb', '/prod/a%252Fb'],
    ['/prod//double///slash/', '/prod/double/slash/'],
    ['/prod/./x/../y', '/prod/y'],
    ["/prod/it's(1)*!", '/prod/it%27s%281%29%2A%21'],
    ['/prod/~user/a-b_c.d', '/prod/~user/a-b_c.d'],
  ])('path %j signs as %j', (path, expected) => {
    expect(canonicalUri(path)).toBe(expected)
  })

  it.each([
    ['b=2&a=1', 'a=1&b=2'],
    ['a=2&a=1&a=10', 'a=1&a=10&a=2'],
    ['flag&x=', 'flag=&x='],
    ['q=a+b&r=a%20b&s=a%2Bb', 'q=a%20b&r=a%20b&s=a%2Bb'],
    ['k=%7e%2a!', 'k=~%2A%21'],
    ['caf%C3%A9=%E2%98%95', 'caf%C3%A9=%E2%98%95'],
    ['&&a=1&', 'a=1'],
    ['bad=%zz', 'bad=%25zz'],
  ])('query %j signs as %j', (query, expected) => {
    expect(canonicalQuery(query)).toBe(expected)
  })

  it('matches aws4fetch and the SDK v3 signer on awkward paths and queries', async () => {
    const cases = [
      { path: '/prod/John%20Doe/%E2%98%95', query: { 'a b': 'c d', tilde: '~', star: '*', plus: '+' } },
      { path: "/prod/a%2Fb/it's", query: { z: '', y: 'é' } },
    ]
    for (const c of cases) {
      const qs = Object.entries(c.query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')
      const a4f = new AwsV4Signer({ url: `http://h${c.path}?${qs}`, accessKeyId: 'A', secretAccessKey: 'S', service: 'execute-api', region: 'us-east-1' })
      expect(canonicalUri(c.path)).toBe((a4f as any).encodedPath)
      expect(canonicalQuery(qs)).toBe((a4f as any).encodedSearch)
      const smithy = new SignatureV4({ credentials: { accessKeyId: 'A', secretAccessKey: 'S' }, region: 'us-east-1', service: 'execute-api', sha256: Sha256 })
      expect(canonicalUri(c.path)).toBe((smithy as any).getCanonicalPath({ path: c.path }))
    }
  })
})
