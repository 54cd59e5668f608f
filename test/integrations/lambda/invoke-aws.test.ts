import { createHash, createHmac } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createAwsInvoker, parseFunctionRef } from '../../../src/integrations/lambda/invoke-aws.ts'
import { InvokeError, type FunctionTarget, type InvokeOutcome } from '../../../src/integrations/lambda/types.ts'
import type { FunctionConfig } from '../../../src/model/schema.ts'

const ACCESS_KEY = 'AKIDEXAMPLE'
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
const SESSION_TOKEN = 'session-token-value'
const ACCOUNT = '111122223333'

/** What the fake Lambda service saw of one request, after checking its signature. */
interface Seen {
  method: string
  /** Path and query exactly as received. */
  url: string
  functionRef: string
  qualifier: string | null
  /** Region of the credential scope. */
  region: string
  service: string
  signedHeaders: string[]
  headers: IncomingMessage['headers']
  body: string
}

let server: Server
let endpoint: string
let seen: Seen[] = []

function sha256Hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex')
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest()
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
}

/**
 * SigV4 as AWS documents it for non-S3 services, written independently of aws4fetch: the
 * canonical URI is the received (already encoded) path encoded once more, the query is
 * sorted and encoded, and only the headers the client listed are canonicalised.
 */
function expectedSignature(
  req: IncomingMessage,
  body: string,
  scope: { date: string; region: string; service: string },
  signedHeaders: string[],
  secret: string,
): string {
  const url = new URL(req.url!, 'http://placeholder')
  const canonicalUri = url.pathname
    .split('/')
    .map((segment) => rfc3986(segment))
    .join('/')
  const canonicalQuery = [...url.searchParams]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
  const canonicalHeaders = signedHeaders
    .map((name) => `${name}:${String(req.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('')
  const canonicalRequest = [
    req.method,
    canonicalUri,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders.join(';'),
    sha256Hex(body),
  ].join('\n')
  const amzDate = String(req.headers['x-amz-date'])
  const credentialScope = `${scope.date}/${scope.region}/${scope.service}/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, credentialScope, sha256Hex(canonicalRequest)].join('\n')
  const kDate = hmac('AWS4' + secret, scope.date)
  const kRegion = hmac(kDate, scope.region)
  const kService = hmac(kRegion, scope.service)
  const kSigning = hmac(kService, 'aws4_request')
  return createHmac('sha256', kSigning).update(stringToSign, 'utf8').digest('hex')
}

function send(res: import('node:http').ServerResponse, status: number, headers: Record<string, string>, body: string) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(body)
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')

    const auth = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      String(req.headers.authorization ?? ''),
    )
    if (!auth || auth[1] !== ACCESS_KEY) {
      send(res, 403, { 'x-amzn-ErrorType': 'UnrecognizedClientException' }, '{"message":"The security token included in the request is invalid."}')
      return
    }
    const [, , date, region, service, signedHeaderList, signature] = auth
    const signedHeaders = signedHeaderList.split(';')
    const expected = expectedSignature(req, body, { date, region, service }, signedHeaders, SECRET_KEY)
    if (signature !== expected) {
      send(res, 403, { 'x-amzn-ErrorType': 'InvalidSignatureException' }, '{"message":"The request signature we calculated does not match the signature you provided."}')
      return
    }

    const url = new URL(req.url!, 'http://placeholder')
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname)
    if (req.method !== 'POST' || !match) {
      send(res, 404, { 'x-amzn-ErrorType': 'UnknownOperationException' }, '{"message":"Unknown operation"}')
      return
    }
    const functionRef = decodeURIComponent(match[1])
    seen.push({
      method: req.method,
      url: req.url!,
      functionRef,
      qualifier: url.searchParams.get('Qualifier'),
      region,
      service,
      signedHeaders,
      headers: req.headers,
      body,
    })

    const name = functionRef.split(':function:').pop()
    if (name === 'echo') {
      send(res, 200, { 'x-amz-executed-version': '$LATEST' }, JSON.stringify({ statusCode: 200, body: body }))
    } else if (name === 'broken') {
      send(
        res,
        200,
        { 'x-amz-function-error': 'Unhandled' },
        JSON.stringify({ errorType: 'TypeError', errorMessage: 'x is undefined', trace: ['TypeError: x is undefined', '    at handler (/var/task/index.mjs:2:9)'] }),
      )
    } else if (name === 'timedout') {
      send(res, 200, { 'x-amz-function-error': 'Unhandled' }, '{"errorMessage":"2024-01-01T00:00:00.000Z abc Task timed out after 3.00 seconds"}')
    } else if (name === 'forbidden') {
      send(
        res,
        403,
        { 'x-amzn-ErrorType': 'AccessDeniedException' },
        JSON.stringify({ Message: `User: arn:aws:iam::${ACCOUNT}:user/dev is not authorized to perform: lambda:InvokeFunction` }),
      )
    } else if (name === 'slow') {
      // Answers only when the test server shuts down.
    } else {
      send(
        res,
        404,
        { 'x-amzn-ErrorType': 'ResourceNotFoundException' },
        JSON.stringify({ Type: 'User', message: `Function not found: arn:aws:lambda:${region}:${ACCOUNT}:function:${name}` }),
      )
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

beforeEach(() => {
  seen = []
})

const credentials = { AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY }

function fn(config: Partial<FunctionConfig>): FunctionConfig {
  return { timeout: 6, memorySize: 1024, environment: {}, ...config } as FunctionConfig
}

function remote(arn: string, extra: Partial<FunctionConfig> = {}): FunctionTarget {
  return { name: arn.split(':function:').pop()!.split(':')[0], config: fn({ arn, endpoint, ...extra }) }
}

async function invokeWith(
  target: FunctionTarget,
  event: unknown = { hello: 'world' },
  env: Record<string, string | undefined> = credentials,
  region = 'us-east-1',
  signal = new AbortController().signal,
): Promise<InvokeOutcome> {
  return createAwsInvoker({ region, env }).invoke({ target, event, signal })
}

describe('AWS invoker: signed Invoke API calls', () => {
  it('posts the event, signed for lambda in the default region, and returns the payload', async () => {
    const event = { path: '/users', n: 1 }
    const outcome = await invokeWith(remote('echo'), event)
    expect(outcome).toEqual({ kind: 'ok', payload: JSON.stringify({ statusCode: 200, body: JSON.stringify(event) }) })
    expect(seen).toHaveLength(1)
    const [request] = seen
    expect(request.url).toBe('/2015-03-31/functions/echo/invocations')
    expect(request.body).toBe(JSON.stringify(event))
    expect(request.region).toBe('us-east-1')
    expect(request.service).toBe('lambda')
    expect(request.headers['x-amz-invocation-type']).toBe('RequestResponse')
    expect(request.headers['content-type']).toBe('application/json')
    expect(request.signedHeaders).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'x-amz-invocation-type']))
    expect(request.headers['x-amz-security-token']).toBeUndefined()
  })

  it('takes region and qualifier from a full ARN and keeps the account in the path', async () => {
    const arn = `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:echo:live`
    const outcome = await invokeWith(remote(arn, { region: 'ap-south-1' }), {}, credentials, 'us-east-1')
    expect(outcome.kind).toBe('ok')
    expect(seen[0].functionRef).toBe(`arn:aws:lambda:eu-west-1:${ACCOUNT}:function:echo`)
    expect(seen[0].url).toBe(
      `/2015-03-31/functions/${encodeURIComponent(`arn:aws:lambda:eu-west-1:${ACCOUNT}:function:echo`)}/invocations?Qualifier=live`,
    )
    expect(seen[0].qualifier).toBe('live')
    expect(seen[0].region).toBe('eu-west-1')
  })

  it('takes the qualifier of name:alias and the region from the function config', async () => {
    await invokeWith(remote('echo:$LATEST', { region: 'ap-south-1' }))
    expect(seen[0].functionRef).toBe('echo')
    expect(seen[0].qualifier).toBe('$LATEST')
    expect(seen[0].region).toBe('ap-south-1')
  })

  it('signs with a session token when one is set', async () => {
    const outcome = await invokeWith(remote('echo'), {}, { ...credentials, AWS_SESSION_TOKEN: SESSION_TOKEN })
    expect(outcome.kind).toBe('ok')
    expect(seen[0].headers['x-amz-security-token']).toBe(SESSION_TOKEN)
    expect(seen[0].signedHeaders).toContain('x-amz-security-token')
  })

  it('is rejected by the service when signed with another secret', async () => {
    const error = await invokeWith(remote('echo'), {}, { ...credentials, AWS_SECRET_ACCESS_KEY: 'wrong' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvokeError)
    expect((error as InvokeError).status).toBe(403)
    expect((error as InvokeError).message).toContain('InvalidSignatureException')
    expect(seen).toHaveLength(0)
  })

  it('passes the target ARN from the route when there is no function config', async () => {
    const target: FunctionTarget = { name: 'echo', arn: `arn:aws:lambda:us-west-2:${ACCOUNT}:function:echo` }
    const outcome = await invokeWith(target, {}, { ...credentials, AWS_ENDPOINT_URL_LAMBDA: endpoint })
    expect(outcome.kind).toBe('ok')
    expect(seen[0].region).toBe('us-west-2')
  })
})

describe('AWS invoker: endpoints', () => {
  it('prefers the function endpoint, then AWS_ENDPOINT_URL_LAMBDA, then AWS_ENDPOINT_URL', async () => {
    const target: FunctionTarget = { name: 'echo', config: fn({ arn: 'echo' }) }
    await invokeWith(target, {}, { ...credentials, AWS_ENDPOINT_URL_LAMBDA: endpoint + '/', AWS_ENDPOINT_URL: 'http://127.0.0.1:1' })
    await invokeWith(target, {}, { ...credentials, AWS_ENDPOINT_URL: endpoint })
    await invokeWith(remote('echo'), {}, { ...credentials, AWS_ENDPOINT_URL_LAMBDA: 'http://127.0.0.1:1' })
    expect(seen).toHaveLength(3)
  })

  it('defaults to the regional AWS endpoint', async () => {
    const urls: string[] = []
    const invoker = createAwsInvoker({
      region: 'ap-southeast-2',
      env: credentials,
      fetch: async (input) => {
        urls.push(input instanceof Request ? input.url : String(input))
        return new Response('"ok"', { status: 200 })
      },
    })
    const signal = new AbortController().signal
    const outcome = await invoker.invoke({ target: { name: 'f', arn: 'my-function' }, event: {}, signal })
    await invoker.invoke({ target: { name: 'g', arn: `arn:aws-cn:lambda:cn-north-1:${ACCOUNT}:function:g` }, event: {}, signal })
    expect(outcome).toEqual({ kind: 'ok', payload: '"ok"' })
    expect(urls).toEqual([
      'https://lambda.ap-southeast-2.amazonaws.com/2015-03-31/functions/my-function/invocations',
      `https://lambda.cn-north-1.amazonaws.com.cn/2015-03-31/functions/${encodeURIComponent(`arn:aws-cn:lambda:cn-north-1:${ACCOUNT}:function:g`)}/invocations`,
    ])
  })
})

describe('AWS invoker: errors', () => {
  it('turns X-Amz-Function-Error into a function error with the payload as sent', async () => {
    const outcome = await invokeWith(remote('broken'))
    expect(outcome).toMatchObject({ kind: 'function-error', errorType: 'TypeError', errorMessage: 'x is undefined' })
    expect(JSON.parse(outcome.payload).trace[0]).toBe('TypeError: x is undefined')
  })

  it('keeps a function error whose payload has no errorType', async () => {
    const outcome = await invokeWith(remote('timedout'))
    expect(outcome).toEqual({
      kind: 'function-error',
      payload: '{"errorMessage":"2024-01-01T00:00:00.000Z abc Task timed out after 3.00 seconds"}',
      errorType: undefined,
      errorMessage: '2024-01-01T00:00:00.000Z abc Task timed out after 3.00 seconds',
    })
  })

  it('throws InvokeError with status 403 for AccessDeniedException', async () => {
    const error = await invokeWith(remote('forbidden')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvokeError)
    expect((error as InvokeError).status).toBe(403)
    expect((error as InvokeError).message).toMatch(/403 AccessDeniedException .*not authorized to perform: lambda:InvokeFunction/)
  })

  it('throws InvokeError with status 404 for ResourceNotFoundException', async () => {
    const error = await invokeWith(remote('ghost')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvokeError)
    expect((error as InvokeError).status).toBe(404)
    expect((error as InvokeError).message).toMatch(/404 ResourceNotFoundException .*Function not found: arn:aws:lambda:us-east-1:\d{12}:function:ghost/)
  })

  it('throws InvokeError naming the variables when credentials are missing, without calling out', async () => {
    for (const env of [{}, { AWS_ACCESS_KEY_ID: ACCESS_KEY }, { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: SECRET_KEY }]) {
      const error = await invokeWith(remote('echo'), {}, env).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(InvokeError)
      expect((error as InvokeError).message).toContain('AWS_ACCESS_KEY_ID')
      expect((error as InvokeError).message).toContain('AWS_SECRET_ACCESS_KEY')
      expect((error as InvokeError).status).toBeUndefined()
    }
    expect(seen).toHaveLength(0)
  })

  it('throws InvokeError without status when the endpoint cannot be reached', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const error = await invokeWith(remote('echo', { endpoint: `http://127.0.0.1:${port}` })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvokeError)
    expect((error as InvokeError).status).toBeUndefined()
    expect((error as InvokeError).message).toContain(`http://127.0.0.1:${port}`)
  })

  it('stops waiting when the invocation signal aborts', async () => {
    const controller = new AbortController()
    const started = Date.now()
    setTimeout(() => controller.abort(new Error('integration timeout')), 50)
    const error = await invokeWith(remote('slow'), {}, credentials, 'us-east-1', controller.signal).catch((e: unknown) => e)
    expect(Date.now() - started).toBeLessThan(5000)
    expect(error).toBeInstanceOf(InvokeError)
    expect((error as InvokeError).status).toBeUndefined()
    expect(seen[0].functionRef).toBe('slow')
  })

  it('throws InvokeError for an endpoint that is not a URL', async () => {
    const target: FunctionTarget = { name: 'echo', arn: 'echo' }
    const error = await invokeWith(target, {}, { ...credentials, AWS_ENDPOINT_URL: 'not a url' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvokeError)
    expect((error as InvokeError).message).toContain('"not a url"')
  })

  it('throws InvokeError for a target without an arn', async () => {
    await expect(invokeWith({ name: 'local', config: fn({ handler: 'src/x.handler' }) })).rejects.toBeInstanceOf(InvokeError)
  })
})

describe('parseFunctionRef', () => {
  it('splits names, aliases, partial and full ARNs', () => {
    expect(parseFunctionRef('users')).toEqual({ functionName: 'users', qualifier: undefined })
    expect(parseFunctionRef('users:prod')).toEqual({ functionName: 'users', qualifier: 'prod' })
    expect(parseFunctionRef(`${ACCOUNT}:function:users:7`)).toEqual({ functionName: `${ACCOUNT}:function:users`, qualifier: '7' })
    expect(parseFunctionRef(`arn:aws:lambda:sa-east-1:${ACCOUNT}:function:users`)).toEqual({
      functionName: `arn:aws:lambda:sa-east-1:${ACCOUNT}:function:users`,
      region: 'sa-east-1',
      qualifier: undefined,
    })
  })
})
