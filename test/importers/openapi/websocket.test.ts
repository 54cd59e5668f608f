/** OpenAPI cannot describe WebSocket APIs (AWS imports only REST and HTTP APIs from it): a wss:// server says so. */
import { expect, it } from 'vitest'
import { importOpenApi } from '../../../src/importers/openapi.ts'

it('warns that a wss:// server cannot be imported as a WebSocket API, and imports the paths as REST', () => {
  const { config, warnings } = importOpenApi({
    openapi: '3.0.1',
    info: { title: 'chat', version: '1' },
    servers: [{ url: 'https://api.example.com' }, { url: 'wss://abc.execute-api.us-east-1.amazonaws.com/prod' }],
    paths: { '/health': { get: { responses: {}, 'x-amazon-apigateway-integration': { type: 'mock', requestTemplates: { 'application/json': '{"statusCode": 200}' }, responses: { default: { statusCode: '200' } } } } } },
  }, {})
  expect(warnings).toEqual([
    'servers[1].url: a WebSocket endpoint: WebSocket APIs cannot be imported from OpenAPI (AWS imports only REST and HTTP APIs from it); this document is served as a REST API. Declare WebSocket APIs in portico.yaml (type: WEBSOCKET) or with serverless.yml websocket events',
  ])
  expect(config.apis[0]!.type).toBe('REST')
})
