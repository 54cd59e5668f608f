/** Gateways with non-proxy routes and a backend that records what it was sent. */
import type { HttpClient } from '../../../src/core/deps.ts'
import { makeGateway, restApi } from '../../helpers/gateway.ts'

export interface SeenRequest {
  url: string
  method: string
  headers: [string, string][]
  body: string
}

export interface BackendAnswer {
  status?: number
  headers?: [string, string][]
  body?: string
}

/** An HttpClient answering with `answer` (default 200 {}) and recording every request. */
export function recordingBackend(answer: (seen: SeenRequest) => BackendAnswer = () => ({})) {
  const seen: SeenRequest[] = []
  const httpClient: HttpClient = {
    async send(r) {
      const request: SeenRequest = { url: r.url, method: r.method, headers: r.headers, body: r.body ? await new Response(r.body).text() : '' }
      seen.push(request)
      const a = answer(request)
      return {
        status: a.status ?? 200,
        headers: a.headers ?? [['Content-Type', 'application/json']],
        body: new TextEncoder().encode(a.body ?? '{}'),
      }
    },
  }
  return { httpClient, seen }
}

export interface Call {
  method?: string
  /** Path after the stage, with its query string. */
  path?: string
  headers?: Record<string, string>
  body?: string
}

/**
 * Renders `template` as the application/json request template of an http integration on
 * `routePath` and returns the body the backend received.
 */
export async function renderRequest(template: string, call: Call = {}, opts: { routePath?: string; variables?: Record<string, string> } = {}): Promise<string> {
  const backend = recordingBackend()
  const config = restApi([
    {
      method: 'ANY',
      path: opts.routePath ?? '/things/{id}',
      integration: { type: 'http', uri: 'http://backend.test/x', requestTemplates: { 'application/json': template } },
    },
  ])
  if (opts.variables) (config.apis[0]!.stages[0] as { variables: Record<string, string> }).variables = opts.variables
  const { app } = makeGateway(config, { deps: { httpClient: backend.httpClient } })
  const res = await app.request(`/prod${call.path ?? '/things/42'}`, {
    method: call.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...call.headers },
    body: call.body,
  })
  if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`)
  if (backend.seen.length !== 1) throw new Error(`the backend was called ${backend.seen.length} times`)
  return backend.seen[0]!.body
}
