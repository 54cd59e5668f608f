/**
 * Non-proxy integrations behind a real gateway: passthroughBehavior (AWS's tables, reference
 * §8.2), integration response selection for Lambda errors, HTTP status codes and mocks
 * (§8.3), response template choice, parameter mapping both ways, and $context overrides.
 */
import { describe, expect, it } from 'vitest'
import { makeGateway, restApi, scriptedInvoker } from '../../helpers/gateway.ts'
import { recordingBackend } from './helpers.ts'

const TEMPLATED = '{"transformed": true}'
const XML = '<pet>dog</pet>'

describe('passthroughBehavior (AWS\'s examples 1-3)', () => {
  type Expect = 'template' | 'passthrough' | 415
  const table: [templates: string, contentType: string | null, behavior: string, expected: Expect][] = []
  const add = (templates: string, rows: [string | null, Expect, Expect, Expect][]) => {
    for (const [ct, a, b, c] of rows) {
      table.push([templates, ct, 'WHEN_NO_MATCH', a], [templates, ct, 'WHEN_NO_TEMPLATES', b], [templates, ct, 'NEVER', c])
    }
  }
  // Example 1: a template for application/json.
  add('application/json', [
    [null, 'template', 'template', 'template'],
    ['application/json', 'template', 'template', 'template'],
    ['application/json; charset=utf-8', 'template', 'template', 'template'],
    ['application/xml', 'passthrough', 415, 415],
  ])
  // Example 2: a template for application/xml.
  add('application/xml', [
    [null, 'passthrough', 415, 415],
    ['application/json', 'passthrough', 415, 415],
    ['application/xml', 'template', 'template', 'template'],
  ])
  // No template at all.
  add('', [
    [null, 'passthrough', 'passthrough', 415],
    ['application/json', 'passthrough', 'passthrough', 415],
    ['application/xml', 'passthrough', 'passthrough', 415],
  ])

  it.each(table)('templates [%s], Content-Type %s, %s → %s', async (templates, contentType, behavior, expected) => {
    const backend = recordingBackend()
    const requestTemplates = templates ? { [templates]: TEMPLATED } : {}
    const { app } = makeGateway(
      restApi([{ method: 'POST', path: '/p', integration: { type: 'http', uri: 'http://backend.test/p', requestTemplates, passthroughBehavior: behavior } }]),
      { deps: { httpClient: backend.httpClient } },
    )
    // A byte body, so that no Content-Type is added when the row has none.
    const res = await app.request('/prod/p', { method: 'POST', body: new TextEncoder().encode(XML), headers: contentType ? { 'content-type': contentType } : {} })
    if (expected === 415) {
      expect(res.status).toBe(415)
      expect(await res.json()).toEqual({ message: 'Unsupported Media Type' })
      expect(res.headers.get('x-amzn-ErrorType')).toBe('UnsupportedMediaTypeException')
      expect(backend.seen).toEqual([])
      return
    }
    expect(res.status).toBe(200)
    expect(backend.seen).toHaveLength(1)
    expect(backend.seen[0]!.body).toBe(expected === 'template' ? TEMPLATED : XML)
  })
})

describe('Lambda custom: selection by errorMessage', () => {
  const responses = [
    { statusCode: 200, responseTemplates: { 'application/json': '{"user": $input.json(\'$.name\')}' } },
    { selectionPattern: '.*\\[404\\].*', statusCode: 404, responseTemplates: { 'application/json': '{"error": "$input.path(\'$.errorMessage\')"}' } },
    { selectionPattern: 'Bad.*', statusCode: 400 },
    { selectionPattern: '4', statusCode: 418 },
  ]
  function gateway(answer: (event: any) => unknown, rs: unknown[] = responses) {
    const { invoker, events } = scriptedInvoker(answer)
    const built = makeGateway(
      restApi([{ method: 'POST', path: '/users/{id}', integration: { type: 'lambda_custom', function: 'arn:aws:lambda:us-east-1:123456789012:function:users', responses: rs } }]),
      { invoker },
    )
    return { ...built, events }
  }
  const error = (errorMessage: string) => ({ __error: { errorType: 'Error', errorMessage, trace: ['at x'] } })

  it('a success takes the default response ("" matches no pattern)', async () => {
    const { app, events } = gateway(() => ({ name: 'Ada' }))
    const res = await app.request('/prod/users/1', { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ user: 'Ada' })
    // No template: the body passes through as the event (WHEN_NO_MATCH).
    expect(events).toEqual([{ a: 1 }])
    expect(res.headers.get('X-Amzn-Trace-Id')).toMatch(/^Root=1-/)
  })

  it.each([
    ['[404] no such user', 404, { error: '[404] no such user' }],
    ['Bad input', 400, { errorType: 'Error', errorMessage: 'Bad input', trace: ['at x'] }],
  ])('error %j → %i', async (message, status, body) => {
    const { app } = gateway(() => error(message))
    const res = await app.request('/prod/users/1', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
    expect(res.status).toBe(status)
    expect(await res.json()).toEqual(body)
  })

  it('patterns match the whole message: "4" does not select "404", so the default answers', async () => {
    const { app } = gateway(() => error('404'), [{ statusCode: 200 }, { selectionPattern: '4', statusCode: 418 }])
    const res = await app.request('/prod/users/1', { method: 'POST', body: '{}' })
    // An error no pattern matches: the default response, carrying the error payload (200).
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ errorType: 'Error', errorMessage: '404', trace: ['at x'] })
  })

  it('.+ selects errors only; with no default a success is 500', async () => {
    const { app } = gateway((e) => (e.fail ? error('x') : { ok: true }), [{ selectionPattern: '.+', statusCode: 502 }])
    const failed = await app.request('/prod/users/1', { method: 'POST', body: '{"fail":true}', headers: { 'content-type': 'application/json' } })
    expect(failed.status).toBe(502)
    const ok = await app.request('/prod/users/1', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
    expect(ok.status).toBe(500)
    expect(await ok.json()).toEqual({ message: 'Internal server error' })
  })

  it('a request template that does not give JSON is refused before invoking (400)', async () => {
    const { invoker, events } = scriptedInvoker(() => ({}))
    const { app } = makeGateway(
      restApi([{ method: 'POST', path: '/t', integration: { type: 'lambda_custom', function: 'arn:aws:lambda:us-east-1:123456789012:function:f', requestTemplates: { 'application/json': 'name=$input.path(\'$.n\')' } } }]),
      { invoker },
    )
    const res = await app.request('/prod/t', { method: 'POST', body: '{"n":"x"}', headers: { 'content-type': 'application/json' } })
    expect(res.status).toBe(400)
    expect(res.headers.get('x-amzn-ErrorType')).toBe('BadRequestException')
    expect(((await res.json()) as { message: string }).message).toMatch(/^Could not parse request body into json: /)
    expect(events).toEqual([])
  })
})

describe('HTTP custom: mapping and selection by status code', () => {
  const integration = {
    type: 'http',
    method: 'GET',
    uri: 'http://backend.test/pets/{petId}',
    requestParameters: {
      'integration.request.path.petId': 'method.request.path.id',
      'integration.request.querystring.kind': 'method.request.querystring.type',
      'integration.request.header.X-Caller': 'method.request.header.x-user',
      'integration.request.header.X-Static': "'fixed'",
      'integration.request.header.X-Stage': 'stageVariables.v',
    },
    responses: [
      {
        statusCode: 200,
        responseTemplates: { 'application/json': '{"pet": $input.json(\'$\')}', 'application/xml': '<pet>$input.path(\'$.name\')</pet>' },
        responseParameters: {
          'method.response.header.X-Backend': 'integration.response.header.x-backend',
          'method.response.header.X-Pet-Name': 'integration.response.body.name',
          'method.response.header.X-Static': "'s'",
          'method.response.header.X-Request': 'context.requestId',
          'method.response.header.X-Missing': 'integration.response.header.nope',
        },
      },
      { selectionPattern: '4\\d{2}', statusCode: 404, responseTemplates: { 'application/json': '{"message": "no pet"}' } },
      { selectionPattern: '5\\d{2}', statusCode: 502 },
    ],
  }

  function gateway(status = 200) {
    const backend = recordingBackend(() => ({ status, headers: [['Content-Type', 'application/json'], ['X-Backend', 'b1']], body: '{"name":"Rex"}' }))
    const built = makeGateway(restApi([{ method: 'GET', path: '/pets/{id}', integration }]), { deps: { httpClient: backend.httpClient } })
    return { ...built, seen: backend.seen }
  }

  it('sends only the mapped parameters, and maps the answer', async () => {
    const { app, seen } = gateway()
    const res = await app.request('/prod/pets/7?type=dog&other=1', { headers: { 'x-user': 'ada', 'x-not-mapped': '1' } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ pet: { name: 'Rex' } })
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('x-backend')).toBe('b1')
    expect(res.headers.get('x-pet-name')).toBe('Rex')
    expect(res.headers.get('x-static')).toBe('s')
    expect(res.headers.get('x-request')).toBe(res.headers.get('x-amzn-RequestId'))
    expect(res.headers.has('x-missing')).toBe(false)
    expect(seen).toHaveLength(1)
    expect(seen[0]!.method).toBe('GET')
    expect(seen[0]!.url).toBe('http://backend.test/pets/7?kind=dog')
    const sent = Object.fromEntries(seen[0]!.headers.map(([k, v]) => [k.toLowerCase(), v]))
    expect(sent['x-caller']).toBe('ada')
    expect(sent['x-static']).toBe('fixed')
    expect(sent['x-stage']).toBe('x')
    expect(sent['x-not-mapped']).toBeUndefined()
    expect(sent['user-agent']).toMatch(/^AmazonAPIGateway_/)
  })

  it('chooses the response template by Accept: exact, else application/json', async () => {
    const { app } = gateway()
    const xml = await app.request('/prod/pets/7', { headers: { accept: 'application/xml, application/json' } })
    expect(xml.headers.get('content-type')).toBe('application/xml')
    expect(await xml.text()).toBe('<pet>Rex</pet>')
    const other = await app.request('/prod/pets/7', { headers: { accept: 'text/html' } })
    expect(await other.json()).toEqual({ pet: { name: 'Rex' } })
  })

  it.each([
    [200, 200],
    [201, 200],
    [404, 404],
    [409, 404],
    [503, 502],
  ])('backend %i → %i', async (backendStatus, status) => {
    const { app } = gateway(backendStatus)
    expect((await app.request('/prod/pets/7')).status).toBe(status)
  })

  it('without templates the backend\'s body and Content-Type pass through', async () => {
    const backend = recordingBackend(() => ({ status: 404, headers: [['Content-Type', 'text/plain']], body: 'nope' }))
    const { app } = makeGateway(restApi([{ method: 'GET', path: '/x', integration: { type: 'http', uri: 'http://backend.test/x' } }]), { deps: { httpClient: backend.httpClient } })
    const res = await app.request('/prod/x?ignored=1')
    // The only (default) integration response: 200, whatever the backend said.
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain')
    expect(await res.text()).toBe('nope')
    expect(backend.seen[0]!.url).toBe('http://backend.test/x')
  })

  it('$context.requestOverride and responseOverride', async () => {
    const backend = recordingBackend()
    const template = '#set($context.requestOverride.header.X-Over = "yes")#set($context.requestOverride.querystring.q = "2")#set($context.requestOverride.path.p = "b"){}'
    const response = '#set($context.responseOverride.status = 418)#set($context.responseOverride.header.X-Resp = "r")teapot'
    const { app } = makeGateway(
      restApi([
        {
          method: 'POST',
          path: '/o',
          integration: {
            type: 'http',
            uri: 'http://backend.test/{p}',
            requestParameters: { 'integration.request.path.p': "'a'", 'integration.request.querystring.q': "'1'" },
            requestTemplates: { 'application/json': template },
            responses: [{ statusCode: 200, responseTemplates: { 'text/plain': response } }],
          },
        },
        {
          method: 'POST',
          path: '/bad',
          integration: {
            type: 'http',
            uri: 'http://backend.test/bad',
            responses: [{ statusCode: 200, responseTemplates: { 'application/json': '#set($context.responseOverride.status = 999)ok' } }],
          },
        },
      ]),
      { deps: { httpClient: backend.httpClient } },
    )
    const res = await app.request('/prod/o', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
    expect(res.status).toBe(418)
    expect(res.headers.get('x-resp')).toBe('r')
    expect(await res.text()).toBe('teapot')
    expect(backend.seen[0]!.url).toBe('http://backend.test/b?q=2')
    expect(backend.seen[0]!.headers).toContainEqual(['X-Over', 'yes'])
    // An override status outside 100-599 is ignored.
    expect((await app.request('/prod/bad', { method: 'POST', body: '{}' })).status).toBe(200)
  })

  it('timeouts and unreachable backends answer as the proxy does (504)', async () => {
    const never = { send: (r: { signal: AbortSignal }) => new Promise<never>((_, reject) => r.signal.addEventListener('abort', () => reject(new Error('aborted')))) }
    const down = { send: () => Promise.reject(new Error('ECONNREFUSED')) }
    const config = restApi([{ method: 'GET', path: '/x', integration: { type: 'http', uri: 'http://backend.test/x', timeoutMs: 50 } }])
    const slow = await makeGateway(config, { deps: { httpClient: never as any } }).app.request('/prod/x')
    expect(slow.status).toBe(504)
    expect(await slow.json()).toEqual({ message: 'Endpoint request timed out' })
    const refused = await makeGateway(config, { deps: { httpClient: down as any } }).app.request('/prod/x')
    expect(refused.status).toBe(504)
    expect(await refused.json()).toEqual({ message: 'Network error communicating with endpoint' })
  })
})

describe('MOCK with templates', () => {
  const integration = {
    type: 'mock',
    requestTemplates: { 'application/json': '{"statusCode": $input.params(\'code\')}' },
    responses: [
      { statusCode: 200, responseTemplates: { 'application/json': '{"ok": true, "stage": "$context.stage"}' } },
      { selectionPattern: '4\\d{2}', statusCode: 404, responseParameters: { 'method.response.header.X-Why': "'missing'" }, responseTemplates: { 'application/json': '{"ok": false}' } },
    ],
  }
  const { app } = makeGateway(restApi([{ method: 'GET', path: '/m/{code}', integration }]))

  it('the request template\'s statusCode selects the response', async () => {
    const ok = await app.request('/prod/m/200')
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ ok: true, stage: 'prod' })
    expect(ok.headers.get('X-Amzn-Trace-Id')).toBeNull()
    const missing = await app.request('/prod/m/404')
    expect(missing.status).toBe(404)
    expect(missing.headers.get('x-why')).toBe('missing')
    expect(await missing.json()).toEqual({ ok: false })
    // 503 matches no pattern: the default response answers.
    expect((await app.request('/prod/m/503')).status).toBe(200)
  })

  it('a request template without a statusCode is 500', async () => {
    const res = await app.request('/prod/m/nope')
    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({ message: 'Internal server error' })
  })

})
