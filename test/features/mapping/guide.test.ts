/**
 * The guide's "Request/Response Transformation" section, as written, end to end: its request
 * mapping template, its DynamoDB response mapping template, the "Using AWS Console
 * Configuration" template and the "Common Transformations" Python handler (run by the Python
 * worker). The templates are in test/fixtures/mapping/*.vtl, copied from the guide; the
 * console template without the guide's `// Integration Request - Mapping Template` label line,
 * which names where the template goes and is not part of it.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FIXTURES, makeGateway, restApi } from '../../helpers/gateway.ts'
import { createInvoker } from '../../../src/integrations/lambda/invoker.ts'
import { createLocalInvoker } from '../../../src/integrations/lambda/invoke-local.ts'
import { nodeModuleLoader } from '../../../src/integrations/lambda/invoke-local-node.ts'
import { isPythonTarget } from '../../../src/integrations/lambda/invoke-python.ts'
import { PY_FIXTURES, PYTHON, pythonInvoker, pythonProblem } from '../../integrations/lambda/python/helpers.ts'

const template = (name: string) => readFileSync(resolve(FIXTURES, 'mapping', name), 'utf8')
const REQUEST = template('guide-request.vtl')
const DYNAMODB_RESPONSE = template('guide-dynamodb-response.vtl')
const CONSOLE = template('guide-console-request.vtl')

describe('the guide\'s mapping templates', () => {
  const functions = { echo: { handler: 'mapping/handlers.echo' }, getItem: { handler: 'mapping/handlers.getItem' } }

  it('the request template turns the path parameter and context into the event', async () => {
    const { app } = makeGateway({
      functions,
      ...restApi([{ method: 'GET', path: '/users/{id}', integration: { type: 'lambda_custom', function: 'echo', requestTemplates: { 'application/json': REQUEST } } }]),
    })
    const res = await app.request('/prod/users/42')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ user_id: '42', action: 'get_user', timestamp: '15/Jan/2026:12:00:00 +0000', source_ip: '127.0.0.1' })
  })

  it('the DynamoDB response template maps GetItem\'s answer, with the request id', async () => {
    const { app } = makeGateway({
      functions,
      ...restApi([
        {
          method: 'GET',
          path: '/users/{id}',
          integration: {
            type: 'lambda_custom',
            function: 'getItem',
            requestTemplates: { 'application/json': REQUEST },
            responses: [
              { statusCode: 200, responseTemplates: { 'application/json': DYNAMODB_RESPONSE } },
              { selectionPattern: '.*\\[404\\].*', statusCode: 404, responseTemplates: { 'application/json': '{"message": "$input.path(\'$.errorMessage\')"}' } },
            ],
          },
        },
      ]),
    })
    const res = await app.request('/prod/users/ada')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      user: { id: 'ada', name: 'Ada Lovelace', email: 'ada@example.com' },
      metadata: { timestamp: '15/Jan/2026:12:00:00 +0000', request_id: res.headers.get('x-amzn-RequestId') },
    })
    const missing = await app.request('/prod/users/missing')
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ message: '[404] no such user' })
  })

  it('the console template passes body, headers, method, path and query parameters', async () => {
    const { app } = makeGateway({
      functions,
      ...restApi([{ method: 'POST', path: '/users/{id}', integration: { type: 'lambda_custom', function: 'echo', requestTemplates: { 'application/json': CONSOLE } } }]),
    })
    const res = await app.request('/prod/users/42?expand=true&q=a%20b', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-note': 'say "hi" / bye' },
      body: '{"name":"Ada","tags":["x"]}',
    })
    expect(res.status).toBe(200)
    const event = (await res.json()) as Record<string, any>
    expect(event.body).toEqual({ name: 'Ada', tags: ['x'] })
    expect(event.method).toBe('POST')
    expect(event.params).toEqual({ id: '42' })
    expect(event.query).toEqual({ expand: 'true', q: 'a b' })
    expect(event.headers['x-note']).toBe('say "hi" / bye')
    expect(event.headers['content-type']).toBe('application/json')
  })
})

const problem = pythonProblem(PYTHON)

describe.skipIf(problem !== undefined)(`the guide's "Common Transformations" Python handler (${problem ?? PYTHON})`, () => {
  it('runs as written behind the console template: params.id and source_ip from the event', async () => {
    const { invoker: python } = pythonInvoker()
    const local = createLocalInvoker({ loadModule: nodeModuleLoader(PY_FIXTURES), region: 'us-east-1', accountId: '123456789012', now: Date.now })
    const invoker = createInvoker({ local, aws: local, python, isPython: (t) => isPythonTarget(t, PY_FIXTURES) })
    const config = {
      functions: { transform: { handler: 'transform.handler' } },
      ...restApi([
        { method: 'GET', path: '/users/{id}', integration: { type: 'lambda_custom', function: 'transform', requestTemplates: { 'application/json': CONSOLE } } },
        { method: 'GET', path: '/ip/{id}', integration: { type: 'lambda_custom', function: 'transform', requestTemplates: { 'application/json': REQUEST } } },
      ]),
    }
    const { app } = makeGateway(config, { invoker, baseDir: PY_FIXTURES })
    const res = await app.request('/prod/users/42')
    expect(res.status).toBe(200)
    // The console template has no source_ip, so the handler's event.get('source_ip') is None.
    expect(await res.json()).toEqual({ statusCode: 200, user: { id: '42', name: 'User 42' }, request_ip: null })
    // Behind the request template instead, event['params'] is missing: a function error that
    // no pattern selects, so the default response carries it (200), as on AWS.
    const failed = await app.request('/prod/ip/42')
    expect(failed.status).toBe(200)
    expect(await failed.json()).toMatchObject({ errorType: 'KeyError', errorMessage: "'params'" })
  })
})
