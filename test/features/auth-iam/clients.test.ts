/**
 * Requests signed by real clients pass unchanged and reach the integration with the caller:
 * aws4fetch and @smithy/signature-v4 (the AWS SDK v3 signer), header and presigned forms,
 * bodies, queries, encoded paths, session tokens; and over a real socket on Node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AwsClient } from 'aws4fetch'
import { serve } from '@hono/node-server'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ALICE, ACCOUNT, BASE, iamConfig, iamGateway, REGION, signAws4fetch, signSmithy } from './helpers.ts'
import { createGateway } from '../../../src/gateway.ts'
import { loadModel } from '../../../src/model/load.ts'
import { memoryLogger } from '../../../src/core/deps.ts'
import { nodeClientInfo } from '../../../src/runtime/node/index.ts'
import { scriptedInvoker, FIXTURES } from '../../helpers/gateway.ts'
import { iamFeature, resourcePolicyFeature } from '../../../src/features/auth-iam/index.ts'
import { uniqueIds } from '../../../src/features/auth-iam/credentials.ts'

const aliceIds = uniqueIds(ALICE.arn)

function expectIdentity(event: any) {
  expect(event.requestContext.identity).toMatchObject({
    accessKey: ALICE.accessKeyId,
    accountId: ACCOUNT,
    caller: aliceIds.caller,
    user: aliceIds.user,
    userArn: ALICE.arn,
  })
}

describe('aws4fetch', () => {
  it('header form, GET with a query: reaches the integration with identity fields (1.0)', async () => {
    const { app, events } = iamGateway()
    const res = await app.request(await signAws4fetch(`${BASE}/prod/items/42?b=2&a=x%20y&a=1&empty=`))
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('reached')
    expect(events).toHaveLength(1)
    expectIdentity(events[0])
    expect(events[0].multiValueQueryStringParameters).toEqual({ b: ['2'], a: ['x y', '1'], empty: [''] })
    expect(events[0].requestContext.authorizer).toBeUndefined()
    expect(aliceIds.caller).toMatch(/^AIDA[A-Z2-7]{17}$/)
  })

  it('header form, POST with a JSON body: the integration still receives the body', async () => {
    const { app, events } = iamGateway()
    const body = JSON.stringify({ name: 'Ada', note: 'ünïcödé' })
    const req = await signAws4fetch(`${BASE}/prod/items/7`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
    const res = await app.request(req)
    expect(res.status).toBe(200)
    expect(events[0].body).toBe(body)
    expect(events[0].httpMethod).toBe('POST')
  })

  it('presigned GET URL (X-Amz-* in the query)', async () => {
    const { app, events } = iamGateway()
    const req = await signAws4fetch(`${BASE}/prod/items/9?color=dark+blue&x=%2B1`, { signQuery: true })
    expect(new URL(req.url).searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/)
    expect(req.headers.get('authorization')).toBeNull()
    const res = await app.request(req)
    expect(res.status).toBe(200)
    expectIdentity(events[0])
    expect(events[0].queryStringParameters.color).toBe('dark blue')
    expect(events[0].queryStringParameters.x).toBe('+1')
  })

  it('session tokens: header and presigned forms', async () => {
    const { app, events } = iamGateway()
    const header = await signAws4fetch(`${BASE}/prod/items/1`, { sessionToken: 'FwoGZXIvYXdzEBYaDSessionToken//+=' })
    expect(header.headers.get('x-amz-security-token')).toBe('FwoGZXIvYXdzEBYaDSessionToken//+=')
    expect((await app.request(header)).status).toBe(200)
    const presigned = await signAws4fetch(`${BASE}/prod/items/1`, { sessionToken: 'FwoGZXIvYXdzEBYaDSessionToken//+=', signQuery: true })
    expect(new URL(presigned.url).searchParams.get('X-Amz-Security-Token')).toBe('FwoGZXIvYXdzEBYaDSessionToken//+=')
    expect((await app.request(presigned)).status).toBe(200)
    expect(events).toHaveLength(2)
  })

  it.each([
    ['a space', '/prod/files/John%20Doe/report.pdf'],
    ['an encoded slash', '/prod/files/a%2Fb/c'],
    ['sub-delimiters and unicode', "/prod/files/it's(1)*!/caf%C3%A9~x"],
    ['a percent sign', '/prod/files/100%25/done'],
    ['a trailing slash', '/prod/files/dir/'],
  ])('paths with %s verify (header and presigned)', async (_label, path) => {
    const { app, events } = iamGateway()
    expect((await app.request(await signAws4fetch(`${BASE}${path}`))).status).toBe(200)
    expect((await app.request(await signAws4fetch(`${BASE}${path}`, { signQuery: true }))).status).toBe(200)
    expect(events).toHaveLength(2)
  })

  it('HTTP API payload 2.0: authorizer.iam carries the caller', async () => {
    const { app, events } = iamGateway()
    const res = await app.request(await signAws4fetch(`${BASE}/v2/things/5`, { method: 'PUT', body: 'plain', headers: { 'content-type': 'text/plain' } }))
    expect(res.status).toBe(200)
    expect(events[0].body).toBe('plain')
    expect(events[0].requestContext.authorizer).toEqual({
      iam: {
        accessKey: ALICE.accessKeyId,
        accountId: ACCOUNT,
        callerId: aliceIds.caller,
        cognitoIdentity: null,
        principalOrgId: null,
        userArn: ALICE.arn,
        userId: aliceIds.user,
      },
    })
  })

  it('a Host with a port is signed and verified with the port', async () => {
    const { app } = iamGateway()
    const req = await signAws4fetch('http://localhost:8787/prod/items/1')
    expect((await app.request(req)).status).toBe(200)
  })
})

describe('@smithy/signature-v4 (AWS SDK v3 signer)', () => {
  it('header form GET with a multi-valued query', async () => {
    const { app, events } = iamGateway()
    const req = await signSmithy({ path: '/prod/items/1', query: { tag: ['b', 'a'], q: 'x y+z', 'we ird': '~*' } })
    const res = await app.request(req)
    expect(res.status).toBe(200)
    expectIdentity(events[0])
    expect(events[0].multiValueQueryStringParameters.tag).toEqual(['b', 'a'])
    expect(events[0].queryStringParameters.q).toBe('x y+z')
  })

  it('header form POST: x-amz-content-sha256 is signed and checked against the body', async () => {
    const { app, events } = iamGateway()
    const body = '{"order":[1,2,3]}'
    const req = await signSmithy({ method: 'POST', path: '/prod/items/1', body, headers: { 'content-type': 'application/json' } })
    expect(req.headers.get('x-amz-content-sha256')).toMatch(/^[0-9a-f]{64}$/)
    expect((await app.request(req)).status).toBe(200)
    expect(events[0].body).toBe(body)
  })

  it('UNSIGNED-PAYLOAD declared by the client is accepted', async () => {
    const { app, events } = iamGateway()
    const req = await signSmithy({ method: 'POST', path: '/prod/items/1', body: 'anything', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } })
    expect((await app.request(req)).status).toBe(200)
    expect(events[0].body).toBe('anything')
  })

  it('presigned URL with a session token', async () => {
    const { app, events } = iamGateway()
    const req = await signSmithy({ path: '/prod/items/3', presign: true, expiresIn: 900, sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE==', query: { page: '2' } })
    const url = new URL(req.url)
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('IQoJb3JpZ2luX2VjEXAMPLE==')
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900')
    expect((await app.request(req)).status).toBe(200)
    expect(events[0].queryStringParameters.page).toBe('2')
  })

  it.each(['/prod/files/John%20Doe', '/prod/files/a%2Fb%2Fc', '/prod/files/x/./y/../z', "/prod/files/%E2%98%95(coffee)!"])(
    'encoded path %s verifies (header and presigned)',
    async (path) => {
      const { app, events } = iamGateway()
      expect((await app.request(await signSmithy({ path }))).status).toBe(200)
      expect((await app.request(await signSmithy({ path, presign: true }))).status).toBe(200)
      expect(events).toHaveLength(2)
    },
  )

  it('HTTP API under a base path, with a session token', async () => {
    const { app, events } = iamGateway()
    const req = await signSmithy({ method: 'DELETE', path: '/v2/things/abc', sessionToken: 'token-xyz' })
    expect((await app.request(req)).status).toBe(200)
    expect((events[0].requestContext.authorizer as any).iam.userArn).toBe(ALICE.arn)
  })
})

describe('over a real socket (Node)', () => {
  let server: Server
  let url: string
  const recorder = scriptedInvoker((event) => ({ statusCode: 200, body: JSON.stringify({ identity: event.requestContext.identity, body: event.body }) }))

  beforeAll(async () => {
    const { model } = loadModel(iamConfig(), { baseDir: FIXTURES })
    const gateway = createGateway(
      model,
      { clock: { now: () => Date.now() }, logger: memoryLogger(), invoker: recorder.invoker, httpClient: { send: () => Promise.reject(new Error('unused')) }, clientInfo: nodeClientInfo },
      { features: [iamFeature, resourcePolicyFeature] },
    )
    await gateway.ready
    server = await new Promise<Server>((resolve) => {
      const s = serve({ fetch: gateway.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server)) as Server
    })
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()))
  })

  it('aws4fetch signs the Host with the port; the signed body streams through to the integration', async () => {
    const client = new AwsClient({ ...ALICE, service: 'execute-api', region: REGION, retries: 0 })
    const body = 'x'.repeat(100_000)
    const res = await client.fetch(`${url}/prod/files/big%20one?x=1`, { method: 'POST', body, headers: { 'content-type': 'text/plain' } })
    expect(res.status).toBe(200)
    const answer = await res.json()
    expect(answer.identity.userArn).toBe(ALICE.arn)
    expect(answer.body).toBe(body)
  })

  it('a request without a signature gets 403 Missing Authentication Token', async () => {
    const before = recorder.events.length
    const res = await fetch(`${url}/prod/items/1`)
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({ message: 'Missing Authentication Token' })
    expect(recorder.events.length).toBe(before)
  })
})
