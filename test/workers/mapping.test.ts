/**
 * VTL mapping templates under workerd (velocityjs evaluates templates without eval or new
 * Function, which workerd forbids): the example's Lambda custom route through the Worker
 * entry, and a templated mock exercising #foreach, $util and Java-style printing.
 */
import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createGateway } from '../../src/gateway.ts'
import { loadModel } from '../../src/model/load.ts'
import { memoryLogger } from '../../src/core/deps.ts'
import { fetchHttpClient } from '../../src/integrations/http/index.ts'

describe('mapping templates on Workers', () => {
  it('the example\'s Lambda custom route renders the guide\'s request and response templates', async () => {
    const res = await exports.default.fetch(new Request('https://example.com/prod/users/42/profile'))
    expect(res.status).toBe(200)
    const body = (await res.json()) as { user: unknown; metadata: { request_id: string; timestamp: string } }
    expect(body.user).toEqual({ id: '42', name: 'User 42', email: 'user42@example.com' })
    expect(body.metadata.request_id).toBe(res.headers.get('x-amzn-RequestId'))
    expect(body.metadata.timestamp).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/)
    const missing = await exports.default.fetch(new Request('https://example.com/prod/users/0/profile'))
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ message: '[404] no user 0' })
  })

  it('a Lambda custom route renders loops, $util and Java-style maps; a mock selects by status', async () => {
    const { model } = loadModel({
      apis: [
        {
          name: 'w',
          type: 'REST',
          stages: [{ name: 'prod', variables: { region: 'eu' } }],
          routes: [
            {
              method: 'POST',
              path: '/echo/{id}',
              integration: {
                type: 'lambda_custom',
                function: 'arn:aws:lambda:us-east-1:123456789012:function:echo',
                requestTemplates: {
                  'application/json':
                    '#set($b = $input.path(\'$\')){"id": "$input.params(\'id\')", "tags": [#foreach($t in $b.tags)"$util.escapeJavaScript($t).replaceAll("\\\\\'", "\'")"#if($foreach.hasNext),#end#end], "map": "$b.meta", "list": $b.tags, "json": $input.json(\'$.tags\'), "b64": "$util.base64Encode($b.tags[0])", "stage": "$stageVariables.region"}',
                },
                responses: [{ statusCode: 200, responseParameters: { 'method.response.header.X-Request': 'context.requestId' } }],
              },
            },
            {
              method: 'GET',
              path: '/teapot',
              integration: {
                type: 'mock',
                requestTemplates: { 'application/json': '{"statusCode": #if($input.params(\'brew\') == "tea")418#{else}200#end}' },
                responses: [
                  { statusCode: 200, responseTemplates: { 'text/plain': 'coffee' } },
                  { selectionPattern: '4\\d{2}', statusCode: 418, responseTemplates: { 'text/plain': 'short and stout' } },
                ],
              },
            },
          ],
        },
      ],
    })
    const echo = { invoke: async ({ event }: { event: unknown }) => ({ kind: 'ok' as const, payload: JSON.stringify(event) }) }
    const gateway = createGateway(model, { clock: { now: () => Date.now() }, logger: memoryLogger(), invoker: echo, httpClient: fetchHttpClient() })
    const body = '{"tags":["a\'b","c"],"meta":{"k":"v","n":1}}'
    const res = await gateway.app.request('/prod/echo/7', { method: 'POST', body, headers: { 'content-type': 'application/json' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-request')).toBe(res.headers.get('x-amzn-RequestId'))
    expect(await res.json()).toEqual({ id: '7', tags: ["a'b", 'c'], map: '{k=v, n=1}', list: ["a'b", 'c'], json: ["a'b", 'c'], b64: 'YSdi', stage: 'eu' })
    // A body of another type passes through (WHEN_NO_MATCH) as the event.
    const passed = await gateway.app.request('/prod/echo/7', { method: 'POST', body, headers: { 'content-type': 'text/plain' } })
    expect(await passed.json()).toEqual(JSON.parse(body))
    const tea = await gateway.app.request('/prod/teapot?brew=tea')
    expect(tea.status).toBe(418)
    expect(tea.headers.get('content-type')).toBe('text/plain')
    expect(await tea.text()).toBe('short and stout')
    expect(await (await gateway.app.request('/prod/teapot')).text()).toBe('coffee')
  })
})
