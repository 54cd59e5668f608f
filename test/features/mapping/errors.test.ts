/**
 * Bad templates and mappings: refused at load time with the field at fault (route and
 * template named), or, when only a request can reveal the problem, a 500 in API Gateway's
 * format with the detail in the log and nothing of it in the response.
 */
import { describe, expect, it } from 'vitest'
import { ConfigError, loadModel } from '../../../src/model/load.ts'
import { httpApi, makeGateway, restApi } from '../../helpers/gateway.ts'
import { recordingBackend } from './helpers.ts'

function issues(config: unknown): string[] {
  try {
    loadModel(config)
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    throw e
  }
  return []
}

const http = (extra: Record<string, unknown>) => ({ type: 'http', uri: 'http://backend.test/x', ...extra })
const at = 'apis.0.routes.0.integration'

describe('load-time errors', () => {
  it.each([
    [
      'a template that does not parse',
      http({ requestTemplates: { 'application/json': '{"a": $input.json(\'$\'' } }),
      `${at}.requestTemplates.application/json: the template does not parse: line 1: the template ends too early`,
    ],
    ['an #if without #end', http({ requestTemplates: { 'application/json': '#if($a)\nx' } }), `${at}.requestTemplates.application/json: #if on line 1 has no #end`],
    ['a stray #end', http({ requestTemplates: { 'text/plain': 'x\n#end' } }), `${at}.requestTemplates.text/plain: #end on line 2 closes no block`],
    [
      'a response template that does not parse',
      http({ responses: [{ statusCode: 200, responseTemplates: { 'application/json': '{\n"a": #set($x = )\n}' } }] }),
      `${at}.responses.0.responseTemplates.application/json: the template does not parse: line 2: unexpected CLOSE_PARENTHESIS`,
    ],
    [
      'a selection pattern that is not a regular expression',
      http({ responses: [{ statusCode: 200 }, { selectionPattern: '([', statusCode: 400 }] }),
      `${at}.responses.1.selectionPattern: not a regular expression: "^(?:([)$" (Invalid regular expression: /^(?:([)$/: Unterminated character class)`,
    ],
    ['two default responses', http({ responses: [{ statusCode: 200 }, { statusCode: 201 }] }), `${at}.responses.1.selectionPattern: responses[0] is already the default response (no selectionPattern)`],
    [
      'a response parameter from nowhere',
      http({ responses: [{ statusCode: 200, responseParameters: { 'method.response.header.X': 'method.request.header.y' } }] }),
      `${at}.responses.0.responseParameters.method.response.header.X: "method.request.header.y" is not a response parameter source: integration.response.header.X, integration.response.multivalueheader.X, integration.response.body[.a.b], context.X, stageVariables.X or 'static'`,
    ],
    [
      'an unquoted static value',
      http({ requestParameters: { 'integration.request.header.X': 'fixed' } }),
      `${at}.requestParameters.integration.request.header.X: "fixed" is not a request parameter source: method.request.{path,querystring,header,multivaluequerystring,multivalueheader}.X, method.request.body[.a.b], context.X, stageVariables.X or 'static'`,
    ],
    [
      'a body path outside the JSONPath subset',
      http({ requestParameters: { 'integration.request.header.X': 'method.request.body.a[?(@.b)]' } }),
      `${at}.requestParameters.integration.request.header.X: JSONPath "$.a[?(@.b)]": filters are not supported`,
    ],
    ['a {param} of the uri nothing fills', http({ uri: 'http://backend.test/{nope}' }), `${at}.uri: {nope} is neither mapped (integration.request.path.nope) nor a path parameter of /x`],
    ['a mock both static and templated', { type: 'mock', statusCode: 200, responses: [{ statusCode: 200 }] }, `${at}.responses: a mock is either static (statusCode, headers, body) or templated (requestTemplates, responses), not both`],
    ['a mock with templates but no responses', { type: 'mock', requestTemplates: { 'application/json': '{"statusCode": 200}' } }, `${at}.responses: requestTemplates and passthroughBehavior select among responses: add responses`],
  ])('%s', (_name, integration, message) => {
    expect(issues(restApi([{ method: 'POST', path: '/x', integration }]))).toEqual([message])
  })

  it('templates above 300 KB are refused', () => {
    const big = 'x'.repeat(300 * 1024 + 1)
    expect(issues(restApi([{ method: 'POST', path: '/x', integration: http({ requestTemplates: { 'application/json': big } }) }]))).toEqual([
      `${at}.requestTemplates.application/json: a mapping template is at most 300 KB (API Gateway's limit)`,
    ])
  })

  it('non-proxy integrations exist on REST APIs only', () => {
    expect(issues(httpApi([{ route: 'GET /x', integration: { type: 'lambda_custom', function: 'arn:aws:lambda:us-east-1:123456789012:function:f' } }]))).toEqual([
      `${at}.type: lambda_custom (non-proxy) integrations exist on REST APIs only (as on AWS); HTTP APIs use lambda or http_proxy`,
    ])
  })

  it('a lambda_custom function must exist', () => {
    expect(issues(restApi([{ method: 'GET', path: '/x', integration: { type: 'lambda_custom', function: 'nope' } }]))).toEqual([
      `${at}.function: no function "nope" in functions, and it is not a Lambda ARN`,
    ])
  })
})

describe('run-time failures', () => {
  it.each([
    ['a malformed $util.urlDecode input', "$util.urlDecode('%zz')", '$util.urlDecode: malformed escape at 0 in "%zz"'],
    ['$util.parseJson of text that is not JSON', "$util.parseJson('nope')", '$util.parseJson: not JSON'],
    ['a JSONPath filter', "$input.path('$.a[?(@.x)]')", 'JSONPath "$.a[?(@.x)]": filters are not supported'],
    ['a Java method strings do not have', "#set($s = 'x')$s.getBytes()", 'String has no method getBytes()'],
  ])('%s: 500 Internal server error, the detail in the log only', async (_name, template, detail) => {
    const backend = recordingBackend()
    const { app, logger } = makeGateway(restApi([{ method: 'POST', path: '/x', integration: http({ requestTemplates: { 'application/json': template } }) }]), {
      deps: { httpClient: backend.httpClient },
    })
    const res = await app.request('/prod/x', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(JSON.parse(text)).toEqual({ message: 'Internal server error' })
    expect(text).not.toContain(detail)
    expect(backend.seen).toEqual([])
    const logged = logger.lines.find((l) => l.message === 'request rejected')
    expect(logged?.fields?.type).toBe('API_CONFIGURATION_ERROR')
    expect(String(logged?.fields?.detail)).toContain(detail)
  })

  it('a gateway response override for API_CONFIGURATION_ERROR applies', async () => {
    const { app } = makeGateway(
      restApi([{ method: 'POST', path: '/x', integration: http({ requestTemplates: { 'application/json': "$util.parseJson('x')" } }) }], {
        gatewayResponses: { API_CONFIGURATION_ERROR: { statusCode: 503, body: '{"error": "mapping", "id": "$context.requestId"}' } },
      }),
    )
    const res = await app.request('/prod/x', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
    expect(res.status).toBe(503)
    expect(await res.json()).toEqual({ error: 'mapping', id: res.headers.get('x-amzn-RequestId') })
  })
})
