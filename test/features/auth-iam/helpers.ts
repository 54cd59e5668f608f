/** Shared set-up for the IAM tests: a config with credentials, signers, a recording invoker. */
import { AwsClient } from 'aws4fetch'
import { SignatureV4 } from '@smithy/signature-v4'
import { Sha256 } from '@aws-crypto/sha256-js'
import { makeGateway, scriptedInvoker } from '../../helpers/gateway.ts'
import { iamFeature, resourcePolicyFeature } from '../../../src/features/auth-iam/index.ts'

export const ACCOUNT = '123456789012'
export const REGION = 'us-east-1'
export const ALICE = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
}
/** Credentials the gateway does not know. */
export const MALLORY = { accessKeyId: 'AKIAMALLORY000000000', secretAccessKey: 'not-a-known-secret' }

export const allowAll = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:*:*:*' }] }

/** The fake clock's start (test/helpers/gateway.ts): signers use it as their signing time. */
export const T0 = new Date(Date.UTC(2026, 0, 15, 12, 0, 0))

const lambda = { type: 'lambda', function: 'fn' }

/** REST routes (payload 1.0) and an HTTP API (payload 2.0), all AWS_IAM unless told otherwise. */
export function iamConfig(opts: { credentials?: unknown[]; resourcePolicy?: unknown; httpResourcePolicy?: unknown; settings?: Record<string, unknown> } = {}) {
  return {
    settings: { region: REGION, accountId: ACCOUNT, trustForwardedFor: true, ...opts.settings },
    functions: { fn: { handler: 'echo.handler' } },
    iam: { credentials: opts.credentials ?? [{ ...ALICE, policies: [allowAll] }] },
    apis: [
      {
        name: 'rest',
        type: 'REST',
        stages: [{ name: 'prod' }],
        ...(opts.resourcePolicy ? { resourcePolicy: opts.resourcePolicy } : {}),
        routes: [
          { method: 'ANY', path: '/items/{id}', integration: lambda, authorization: 'AWS_IAM' },
          { method: 'ANY', path: '/files/{proxy+}', integration: lambda, authorization: 'AWS_IAM' },
          { method: 'GET', path: '/open', integration: lambda },
        ],
      },
      {
        name: 'http',
        type: 'HTTP',
        basePath: '/v2',
        ...(opts.httpResourcePolicy ? { resourcePolicy: opts.httpResourcePolicy } : {}),
        routes: [{ route: 'ANY /things/{id}', integration: { ...lambda, payloadFormatVersion: '2.0' }, authorization: 'AWS_IAM' }],
      },
    ],
  }
}

/** A gateway with both features and an invoker that records what reached the integration. */
export function iamGateway(config: unknown = iamConfig(), env: Record<string, string> = {}) {
  const recorder = scriptedInvoker(() => ({ statusCode: 200, body: 'reached' }))
  const gw = makeGateway(config, {
    invoker: recorder.invoker,
    deps: { env },
    gateway: { features: [iamFeature, resourcePolicyFeature] },
  })
  return { ...gw, events: recorder.events }
}

export const BASE = 'http://localhost'

/** aws4fetch, header form (`signQuery: true` for a presigned URL). */
export async function signAws4fetch(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; signQuery?: boolean; sessionToken?: string; datetime?: Date; creds?: { accessKeyId: string; secretAccessKey: string } } = {},
): Promise<Request> {
  const client = new AwsClient({ ...(init.creds ?? ALICE), sessionToken: init.sessionToken, service: 'execute-api', region: REGION })
  const datetime = (init.datetime ?? T0).toISOString().replace(/[:-]|\.\d{3}/g, '')
  return client.sign(url, {
    method: init.method ?? 'GET',
    headers: init.headers,
    body: init.body,
    aws: { signQuery: init.signQuery, datetime },
  } as RequestInit)
}

/** @smithy/signature-v4 (the AWS SDK v3 signer), header form or presigned. */
export async function signSmithy(
  opts: {
    method?: string
    path: string
    query?: Record<string, string | string[]>
    headers?: Record<string, string>
    body?: string
    presign?: boolean
    expiresIn?: number
    sessionToken?: string
    signingDate?: Date
    host?: string
  },
): Promise<Request> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: ALICE.accessKeyId, secretAccessKey: ALICE.secretAccessKey, sessionToken: opts.sessionToken },
    region: REGION,
    service: 'execute-api',
    sha256: Sha256,
  })
  const host = opts.host ?? 'localhost'
  const request = {
    method: opts.method ?? 'GET',
    protocol: 'http:',
    hostname: host,
    path: opts.path,
    query: opts.query ?? {},
    headers: { host, ...opts.headers },
    body: opts.body,
  }
  const signed: any = opts.presign
    ? await signer.presign(request as any, { signingDate: opts.signingDate ?? T0, expiresIn: opts.expiresIn ?? 300 })
    : await signer.sign(request as any, { signingDate: opts.signingDate ?? T0 })
  const query = Object.entries(signed.query as Record<string, string | string[]>)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(x)}`))
    .join('&')
  return new Request(`http://${host}${signed.path}${query ? `?${query}` : ''}`, {
    method: signed.method,
    headers: signed.headers,
    body: signed.body,
  })
}

/** A copy of a request with some parts changed (the signature kept). */
export async function tamper(req: Request, change: { url?: string; method?: string; headers?: Record<string, string | null>; body?: string }): Promise<Request> {
  const headers = new Headers(req.headers)
  for (const [k, v] of Object.entries(change.headers ?? {})) {
    if (v === null) headers.delete(k)
    else headers.set(k, v)
  }
  const method = change.method ?? req.method
  const body = change.body ?? (method === 'GET' || method === 'HEAD' ? undefined : await req.clone().text())
  return new Request(change.url ?? req.url, { method, headers, body })
}
