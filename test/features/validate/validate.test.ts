/**
 * REST request validation: required parameters (400 BAD_REQUEST_PARAMETERS, names in
 * declaration order), body models per content type (400 BAD_REQUEST_BODY), JSON Schema
 * draft 4 with references between models, zod models, where it runs in the pipeline, and
 * $context.error.validationErrorString in gateway responses and the access log.
 */
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { makeGateway, restApi, scriptedInvoker } from '../../helpers/gateway.ts'
import { ConfigError } from '../../../src/model/load.ts'

const fn = { type: 'lambda', function: 'fn' }
const functions = { fn: { handler: 'echo.handler' } }

const MODELS = {
  Order: {
    $schema: 'http://json-schema.org/draft-04/schema#',
    type: 'object',
    required: ['item', 'quantity'],
    properties: {
      item: { type: 'string', minLength: 1 },
      quantity: { type: 'integer', minimum: 1, exclusiveMinimum: false },
      address: { $ref: 'https://apigateway.amazonaws.com/restapis/anything/models/Address' },
      gift: { $ref: 'Gift' },
      notes: { $ref: '#/components/schemas/Note' },
    },
  },
  Address: { type: 'object', required: ['city'], properties: { city: { type: 'string' } } },
  Gift: { type: 'object', properties: { wrap: { type: 'boolean' } }, additionalProperties: false },
  Note: { type: 'array', items: { type: 'string' }, maxItems: 2 },
  Text: { type: 'string', maxLength: 5 },
}

function gateway(route: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const scripted = scriptedInvoker(() => ({ statusCode: 200, body: '{"ok":true}' }))
  const gw = makeGateway(
    {
      functions,
      ...restApi([{ method: 'POST', path: '/orders/{id}', integration: fn, ...route }], {
        models: MODELS,
        requestValidators: {
          all: { validateRequestBody: true, validateRequestParameters: true },
          body: { validateRequestBody: true },
          params: { validateRequestParameters: true },
          none: {},
        },
        ...extra,
      }),
    },
    { invoker: scripted.invoker },
  )
  return { ...gw, events: scripted.events }
}

const post = (body: string | undefined, headers: Record<string, string> = { 'content-type': 'application/json' }, query = '') =>
  [`/prod/orders/7${query}`, { method: 'POST', headers, body }] as const

describe('required request parameters', () => {
  const route = {
    requestValidator: 'params',
    requestParameters: {
      'method.request.header.X-Trace': true,
      'method.request.querystring.currency': true,
      'method.request.path.id': true,
      'method.request.querystring.optional': false,
      'method.request.header.Accept-Language': true,
    },
  }
  const cases: [string, Record<string, string>, string, number, string | null][] = [
    ['all present', { 'X-Trace': 't', 'Accept-Language': 'en' }, '?currency=EUR', 200, null],
    ['all missing: listed in declaration order', {}, '', 400, 'Missing required request parameters: [X-Trace, currency, Accept-Language]'],
    ['blank values count as missing', { 'X-Trace': ' ', 'Accept-Language': 'en' }, '?currency=', 400, 'Missing required request parameters: [X-Trace, currency]'],
    ['a header matches whatever its case', { 'x-trace': 't', 'accept-language': 'en' }, '?currency=EUR', 200, null],
    ['a query string name is case-sensitive', { 'X-Trace': 't', 'Accept-Language': 'en' }, '?Currency=EUR', 400, 'Missing required request parameters: [currency]'],
    ['the last of repeated values counts', { 'X-Trace': 't', 'Accept-Language': 'en' }, '?currency=EUR&currency=', 400, 'Missing required request parameters: [currency]'],
    ['a key without a value is blank', { 'X-Trace': 't', 'Accept-Language': 'en' }, '?currency', 400, 'Missing required request parameters: [currency]'],
  ]
  it.each(cases)('%s', async (_name, headers, query, status, message) => {
    const { app, events } = gateway(route)
    const res = await app.request(`/prod/orders/7${query}`, { method: 'POST', headers })
    expect(res.status).toBe(status)
    if (message === null) {
      expect(events).toHaveLength(1)
      return
    }
    expect(await res.text()).toBe(`{"message": "${message}"}`)
    expect(res.headers.get('x-amzn-errortype')).toBe('BadRequestException')
    expect(events).toHaveLength(0)
  })

  it('is not checked by a validator without validateRequestParameters', async () => {
    const { app, events } = gateway({ ...route, requestValidator: 'body' })
    expect((await app.request('/prod/orders/7', { method: 'POST' })).status).toBe(200)
    expect(events).toHaveLength(1)
  })

  it('nor without a validator (declarations alone check nothing, as on AWS)', async () => {
    const { app } = gateway({ requestParameters: route.requestParameters })
    expect((await app.request('/prod/orders/7', { method: 'POST' })).status).toBe(200)
  })
})

describe('body models', () => {
  const route = { requestValidator: 'body', requestModels: { 'application/json': 'Order', 'text/plain': 'Text' } }
  const valid = JSON.stringify({ item: 'tea', quantity: 2, address: { city: 'Lyon' }, gift: { wrap: true }, notes: ['a'] })
  const cases: [string, string | undefined, Record<string, string>, number][] = [
    ['a valid body', valid, { 'content-type': 'application/json' }, 200],
    ['a charset parameter is ignored', valid, { 'content-type': 'Application/JSON; charset=utf-8' }, 200],
    ['a missing required property', JSON.stringify({ item: 'tea' }), { 'content-type': 'application/json' }, 400],
    ['a wrong type', JSON.stringify({ item: 'tea', quantity: '2' }), { 'content-type': 'application/json' }, 400],
    ['draft 4: exclusiveMinimum is a boolean', JSON.stringify({ item: 'tea', quantity: 0 }), { 'content-type': 'application/json' }, 400],
    ['$ref by AWS model URL: Address.city required', JSON.stringify({ item: 'tea', quantity: 1, address: {} }), { 'content-type': 'application/json' }, 400],
    ['$ref by name: Gift allows no other property', JSON.stringify({ item: 'tea', quantity: 1, gift: { ribbon: 1 } }), { 'content-type': 'application/json' }, 400],
    ['$ref #/components/schemas/Note: at most 2 items', JSON.stringify({ item: 'tea', quantity: 1, notes: ['a', 'b', 'c'] }), { 'content-type': 'application/json' }, 400],
    ['invalid JSON', '{"item": "tea", ', { 'content-type': 'application/json' }, 400],
    ['no body is checked as {}: required properties missing', undefined, { 'content-type': 'application/json' }, 400],
    ['no Content-Type is checked as application/json', JSON.stringify({ item: 'tea' }), {}, 400],
    ['a content type with its own model: a JSON string is checked against it', '"short"', { 'content-type': 'text/plain' }, 200],
    ['a content type with its own model: too long', '"too long"', { 'content-type': 'text/plain' }, 400],
    ['a content type without a model is not checked', 'anything at all', { 'content-type': 'application/xml' }, 200],
  ]
  it.each(cases)('%s', async (_name, body, headers, status) => {
    const { app, events } = gateway(route)
    const res = await app.request(...post(body, headers))
    expect(res.status).toBe(status)
    if (status === 400) {
      expect(await res.text()).toBe('{"message": "Invalid request body"}')
      expect(res.headers.get('x-amzn-errortype')).toBe('BadRequestException')
      expect(events).toHaveLength(0)
    } else {
      expect(events).toHaveLength(1)
      // The integration still gets the whole body.
      expect(events[0].body).toBe(body ?? null)
    }
  })

  it('$default applies to content types without their own model', async () => {
    const { app } = gateway({ requestValidator: 'body', requestModels: { 'application/json': 'Order', $default: 'Text' } })
    expect((await app.request(...post('"ok"', { 'content-type': 'application/xml' }))).status).toBe(200)
    expect((await app.request(...post('"far too long"', { 'content-type': 'application/xml' }))).status).toBe(400)
    expect((await app.request(...post('<a/>', { 'content-type': 'application/xml' }))).status).toBe(400)
  })

  it('the built-in Empty model accepts any object', async () => {
    const { app } = gateway({ requestValidator: 'body', requestModels: { 'application/json': 'Empty' } })
    expect((await app.request(...post('{"any": 1}'))).status).toBe(200)
    expect((await app.request(...post('[1]'))).status).toBe(400)
  })

  it('parameters are checked before the body', async () => {
    const { app } = gateway({ requestValidator: 'all', requestModels: { 'application/json': 'Order' }, requestParameters: { 'method.request.querystring.q': true } })
    const res = await app.request(...post('{}'))
    expect(await res.text()).toBe('{"message": "Missing required request parameters: [q]"}')
  })

  it('a validator validating nothing lets everything through', async () => {
    const { app, events } = gateway({ requestValidator: 'none', requestModels: { 'application/json': 'Order' }, requestParameters: { 'method.request.querystring.q': true } })
    expect((await app.request(...post('not json'))).status).toBe(200)
    expect(events).toHaveLength(1)
  })

  it('a body over the payload limit is 413, not a validation error', async () => {
    const { app } = gateway(route, {})
    const big = JSON.stringify({ item: 'x'.repeat(2_000), quantity: 1 })
    const small = makeGateway({
      settings: { maxPayloadBytes: 1000 },
      functions,
      ...restApi([{ method: 'POST', path: '/o', integration: fn, ...route }], { models: MODELS, requestValidators: { body: { validateRequestBody: true } } }),
    })
    const chunked = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big))
        c.close()
      },
    })
    const res = await small.app.request('/prod/o', { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunked, duplex: 'half' } as RequestInit)
    expect(res.status).toBe(413)
    expect((await app.request(...post(big))).status).toBe(200)
  })
})

describe('validationErrorString', () => {
  it('is $context.error.validationErrorString in a BAD_REQUEST_BODY template', async () => {
    const { app } = gateway(
      { requestValidator: 'body', requestModels: { 'application/json': 'Order' } },
      { gatewayResponses: { BAD_REQUEST_BODY: { body: '{"message": $context.error.messageString, "detail": "$context.error.validationErrorString"}' } } },
    )
    const res = await app.request(...post(JSON.stringify({ item: 'tea' })))
    expect(res.status).toBe(400)
    const text = await res.text()
    expect(text).toContain('"message": "Invalid request body"')
    // Plain substitution, as AWS's gateway response templates do (no escaping).
    expect(text).toBe('{"message": "Invalid request body", "detail": "[#: Instance does not have required property "quantity".]"}')
  })

  it('and in the access log, for parameters and bodies', async () => {
    const { app, logger } = gateway(
      { requestValidator: 'all', requestModels: { 'application/json': 'Order' }, requestParameters: { 'method.request.header.X-Trace': true } },
      { stages: [{ name: 'prod', accessLog: { format: '$context.status $context.error.responseType $context.error.validationErrorString' } }] },
    )
    await app.request(...post('{}'))
    await app.request(...post('{"item": 5, "quantity": 1}', { 'content-type': 'application/json', 'X-Trace': 't' }))
    expect(logger.accessLines).toEqual([
      '400 BAD_REQUEST_PARAMETERS Missing required request parameters: [X-Trace]',
      '400 BAD_REQUEST_BODY [#/item: Instance type "number" is invalid. Expected "string".]',
    ])
  })

  it('names JSON syntax errors', async () => {
    const { app, logger } = gateway(
      { requestValidator: 'body', requestModels: { 'application/json': 'Order' } },
      { stages: [{ name: 'prod', accessLog: { format: '$context.error.validationErrorString' } }] },
    )
    await app.request(...post('{nope'))
    expect(logger.accessLines[0]).toMatch(/^\[the body is not valid JSON: /)
  })
})

describe('zod models (TypeScript configs)', () => {
  const Order = z.object({ item: z.string().min(1), quantity: z.number().int().positive() }).strict()
  it('validates with the zod schema, and reports its issues', async () => {
    const { app, events, logger } = gateway(
      { requestValidator: 'body', requestModels: { 'application/json': 'ZodOrder' } },
      { models: { ZodOrder: Order }, stages: [{ name: 'prod', accessLog: { format: '$context.error.validationErrorString' } }] },
    )
    expect((await app.request(...post('{"item":"tea","quantity":2}'))).status).toBe(200)
    expect(events).toHaveLength(1)
    const bad = await app.request(...post('{"item":"tea","quantity":-1,"extra":true}'))
    expect(bad.status).toBe(400)
    expect(await bad.text()).toBe('{"message": "Invalid request body"}')
    expect(logger.accessLines.at(-1)).toMatch(/^\[quantity: .+, .*extra.*\]$/)
  })

  it('keeps the schema as given (not copied into a plain object)', () => {
    const { model } = gateway({}, { models: { ZodOrder: Order } })
    expect(model.apis[0]!.models.ZodOrder).toBe(Order)
  })

  it('a JSON model cannot refer to a zod one', () => {
    try {
      gateway({}, { models: { ...MODELS, ZodOrder: Order, Wrapper: { type: 'object', properties: { o: { $ref: 'ZodOrder' } } } } })
      expect.unreachable()
    } catch (e) {
      expect((e as ConfigError).issues).toEqual([
        { path: ['apis', 0, 'models', 'Wrapper', 'properties', 'o', '$ref'], message: 'model "ZodOrder" is a zod schema; a JSON Schema model cannot refer to it' },
      ])
    }
  })
})

describe('config errors', () => {
  const issues = (route: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    try {
      gateway(route, extra)
    } catch (e) {
      return (e as ConfigError).issues
    }
    return []
  }

  it('an unknown validator, model or path parameter', () => {
    expect(issues({ requestValidator: 'strict', requestModels: { 'application/json': 'Nope' }, requestParameters: { 'method.request.path.other': true } })).toEqual([
      { path: ['apis', 0, 'routes', 0, 'requestValidator'], message: 'no request validator "strict" in this API\'s requestValidators (known: all, body, params, none)' },
      { path: ['apis', 0, 'routes', 0, 'requestParameters', 'method.request.path.other'], message: '{other} is not a path parameter of this route' },
      {
        path: ['apis', 0, 'routes', 0, 'requestModels', 'application/json'],
        message: 'no model "Nope" in this API\'s models (known: Order, Address, Gift, Note, Text, Empty, Error)',
      },
    ])
  })

  it('a reference to an unknown model or into nothing', () => {
    expect(issues({}, { models: { A: { properties: { b: { $ref: 'B' }, c: { $ref: '#/definitions/c' }, d: { $ref: 'https://example.com/x.json' } } } } })).toEqual([
      { path: ['apis', 0, 'models', 'A', 'properties', 'b', '$ref'], message: 'no model "B" (models: Empty, Error, A)' },
      { path: ['apis', 0, 'models', 'A', 'properties', 'c', '$ref'], message: '"#/definitions/c" points to nothing in this model' },
      {
        path: ['apis', 0, 'models', 'A', 'properties', 'd', '$ref'],
        message: '"https://example.com/x.json" is not a reference to a model (a model name, #/components/schemas/Name or https://apigateway.amazonaws.com/restapis/{apiId}/models/Name)',
      },
    ])
  })

  it('request validation on an HTTP API', () => {
    try {
      makeGateway({
        functions,
        apis: [{ name: 'h', type: 'HTTP', requestValidators: { a: {} }, routes: [{ route: 'POST /x', integration: fn, requestValidator: 'a' }] }],
      })
      expect.unreachable()
    } catch (e) {
      expect((e as ConfigError).issues).toEqual([
        { path: ['apis', 0, 'requestValidators'], message: 'request validation exists on REST APIs only (as on AWS)' },
        { path: ['apis', 0, 'routes', 0, 'requestValidator'], message: 'request validation exists on REST APIs only (as on AWS)' },
      ])
    }
  })
})

describe('place in the pipeline', () => {
  it('after the API key check and throttling, before the integration', async () => {
    const scripted = scriptedInvoker(() => ({ statusCode: 200, body: '{}' }))
    const { app } = makeGateway(
      {
        functions,
        apiKeys: [{ name: 'k', value: 'k'.repeat(30) }],
        ...restApi(
          [{ method: 'POST', path: '/o', integration: fn, apiKeyRequired: true, requestValidator: 'all', requestParameters: { 'method.request.querystring.q': true } }],
          { requestValidators: { all: { validateRequestParameters: true } }, stages: [{ name: 'prod', throttle: { rateLimit: 1, burstLimit: 1 } }] },
        ),
      },
      { invoker: scripted.invoker },
    )
    // No key: 403 before validation.
    expect((await app.request('/prod/o', { method: 'POST' })).status).toBe(403)
    const key = { 'x-api-key': 'k'.repeat(30) }
    expect((await app.request('/prod/o', { method: 'POST', headers: key })).status).toBe(400)
    // The invalid request took the bucket's token: throttling ran first.
    expect((await app.request('/prod/o', { method: 'POST', headers: key })).status).toBe(429)
    expect(scripted.events).toHaveLength(0)
  })

  it('before the cache: an invalid request is never answered from it', async () => {
    const scripted = scriptedInvoker(() => ({ statusCode: 200, body: '{"n":1}' }))
    const { app } = makeGateway(
      {
        functions,
        ...restApi([{ method: 'GET', path: '/c', integration: fn, requestValidator: 'p', requestParameters: { 'method.request.header.X-Need': true } }], {
          requestValidators: { p: { validateRequestParameters: true } },
          stages: [{ name: 'prod', cache: { enabled: true } }],
        }),
      },
      { invoker: scripted.invoker },
    )
    expect((await app.request('/prod/c', { headers: { 'X-Need': '1' } })).status).toBe(200)
    expect((await app.request('/prod/c')).status).toBe(400)
    expect(scripted.events).toHaveLength(1)
  })
})
