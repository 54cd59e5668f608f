/**
 * Non-proxy integrations from OpenAPI (x-amazon-apigateway-integration types aws, http and
 * mock with requestTemplates, requestParameters, responses and passthroughBehavior): imported
 * as written, served, and their problems reported at their place in the document.
 */
import { describe, expect, it } from 'vitest'
import { importOpenApi } from '../../../src/importers/openapi.ts'
import { ConfigError, loadModel } from '../../../src/model/load.ts'
import { makeGateway } from '../../helpers/gateway.ts'
import { recordingBackend } from '../../features/mapping/helpers.ts'
import { fixture, OPENAPI_FIXTURES } from './helpers.ts'

const integration = (path: string, method = 'get') => ['paths', path, method, 'x-amazon-apigateway-integration']

describe('mapping.yaml', () => {
  const imported = () => importOpenApi(fixture('mapping.yaml'), { lambdaMapping: { users: 'handlers.users' } })

  it('imports the three kinds as the model has them, without warnings', () => {
    const { config, warnings } = imported()
    expect(warnings).toEqual([])
    const [users, search, teapot] = config.apis[0]!.routes!.map((r) => r.integration as Record<string, unknown>)
    expect(users).toMatchObject({ type: 'lambda_custom', function: 'users', passthroughBehavior: 'WHEN_NO_TEMPLATES' })
    expect((users!.responses as unknown[])[1]).toEqual({
      selectionPattern: '.*\\[404\\].*',
      statusCode: 404,
      responseParameters: { 'method.response.header.X-Error-Type': 'integration.response.body.errorType' },
      responseTemplates: { 'application/json': '{"message": "$util.escapeJavaScript($input.path(\'$.errorMessage\'))"}' },
    })
    expect(search).toMatchObject({
      type: 'http',
      method: 'GET',
      uri: 'http://search.example.com/find',
      timeoutMs: 5000,
      requestParameters: { 'integration.request.querystring.q': 'method.request.querystring.term', 'integration.request.header.X-Source': "'portico'" },
    })
    expect(teapot).toMatchObject({ type: 'mock', requestTemplates: { 'application/json': expect.stringContaining('#if') } })
  })

  it('serves them', async () => {
    const backend = recordingBackend(() => ({ body: '{"hits":["a","b"]}' }))
    const { app } = makeGateway(imported().config, { baseDir: OPENAPI_FIXTURES, deps: { httpClient: backend.httpClient } })

    const user = await app.request('/v1/users/7')
    expect(user.status).toBe(200)
    expect(await user.json()).toEqual({ name: 'User 7', requestId: user.headers.get('x-amzn-RequestId') })
    const missing = await app.request('/v1/users/0')
    expect(missing.status).toBe(404)
    expect(missing.headers.get('x-error-type')).toBe('Error')
    expect(await missing.json()).toEqual({ message: '[404] no user 0' })
    // when_no_templates with a template defined: another Content-Type is 415.
    const xml = await app.request('/v1/users/7', { headers: { 'content-type': 'application/xml' } })
    expect(xml.status).toBe(415)

    const json = await app.request('/v1/search?term=cats')
    expect(await json.json()).toEqual({ results: ['a', 'b'] })
    expect(json.headers.get('cache-control')).toBe('max-age=60')
    const text = await app.request('/v1/search?term=cats', { headers: { accept: 'text/plain' } })
    expect(await text.text()).toBe('a, b')
    expect(backend.seen[0]!.url).toBe('http://search.example.com/find?q=cats')
    expect(backend.seen[0]!.headers).toContainEqual(['X-Source', 'portico'])

    expect(await (await app.request('/v1/teapot?brew=tea')).text()).toBe('short and stout')
    expect(await (await app.request('/v1/teapot')).text()).toBe('coffee')
  })

  it('a template that does not parse is reported at its place in the document', () => {
    const doc = fixture('mapping.yaml')
    doc.paths['/users/{id}'].get['x-amazon-apigateway-integration'].responses['.*\\[404\\].*'].responseTemplates['application/json'] = '#if($x'
    const { config, origin } = importOpenApi(doc, { lambdaMapping: { users: 'handlers.users' } })
    let error: unknown
    try {
      loadModel(config)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    const issue = (error as ConfigError).issues[0]!
    expect(issue.path).toEqual(['apis', 0, 'routes', 0, 'integration', 'responses', 1, 'responseTemplates', 'application/json'])
    expect(issue.message).toBe('#if on line 1 has no #end')
    expect(origin(issue.path)).toEqual([...integration('/users/{id}'), 'responses', '.*\\[404\\].*', 'responseTemplates', 'application/json'])
  })

  it('warns about what a Lambda integration cannot use', () => {
    const doc = fixture('mapping.yaml')
    doc.paths['/users/{id}'].get['x-amazon-apigateway-integration'].requestParameters = {
      'integration.request.header.X-Amz-Invocation-Type': "'Event'",
      'integration.request.header.X-Other': "'x'",
    }
    doc.paths['/users/{id}'].get['x-amazon-apigateway-integration'].responses.default.contentHandling = 'CONVERT_TO_TEXT'
    const { warnings } = importOpenApi(doc, { lambdaMapping: { users: 'handlers.users' } })
    const at = 'paths./users/{id}.get.x-amazon-apigateway-integration'
    expect(warnings).toEqual([
      `${at}.requestParameters.integration.request.header.X-Amz-Invocation-Type: Portico invokes synchronously (RequestResponse); asynchronous invocation (Event) is not supported; ignored`,
      `${at}.requestParameters.integration.request.header.X-Other: parameters of a Lambda integration would be Invoke API headers, which Portico does not send; ignored`,
      `${at}.responses.default.contentHandling: payload conversion is not supported; ignored`,
    ])
  })
})
