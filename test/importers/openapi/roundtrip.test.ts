/**
 * Export and round trip: import → loadModel → export → import → loadModel gives the same
 * compiled model; exports of native configs say what they leave out; `portico export openapi`.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { importOpenApi, type OpenApiImportOptions } from '../../../src/importers/openapi.ts'
import { exportOpenApi, exportOpenApiDocument } from '../../../src/exporters/openapi.ts'
import { exportCommand } from '../../../src/exporters/cli.ts'
import { loadModel } from '../../../src/model/load.ts'
import { loadConfigFile } from '../../../src/model/load-file.ts'
import { makeGateway } from '../../helpers/gateway.ts'
import { fixture, OPENAPI_FIXTURES } from './helpers.ts'

const load = (config: unknown) => loadModel(config, { baseDir: OPENAPI_FIXTURES }).model

describe('round trip', () => {
  const cases: [string, OpenApiImportOptions][] = [
    ['petstore.yaml', {}],
    ['petstore-mock.json', {}],
    ['orders-auth.yaml', { lambdaMapping: { orders: 'handlers.orders', tokenAuth: 'handlers.tokenAuth' } }],
    ['http-api.yaml', { lambdaMapping: { items: 'handlers.items', teamAuth: 'handlers.teamAuth' } }],
  ]
  it.each(cases)('%s: the export imports back into the same model, and exports the same', (file, opts) => {
    const first = load(importOpenApi(fixture(file), opts).config)
    const exported = exportOpenApi(first)
    const again = importOpenApi(exported, opts)
    // What the export writes, the import reads without anything to warn about.
    expect(again.warnings).toEqual([])
    const second = load(again.config)
    expect(second).toEqual(first)
    expect(exportOpenApi(second)).toEqual(exported)
  })

  it('writes API Gateway\'s extensions as AWS exports them', () => {
    const model = load(importOpenApi(fixture('orders-auth.yaml'), { lambdaMapping: { orders: 'handlers.orders', tokenAuth: 'handlers.tokenAuth' } }).config)
    const doc = exportOpenApi(model) as any
    expect(doc.openapi).toBe('3.0.1')
    expect(doc.servers).toEqual([{ url: `https://${model.apis[0]!.id}.execute-api.us-east-1.amazonaws.com/{basePath}`, variables: { basePath: { default: 'v1' } } }])
    expect(doc.paths['/orders'].post.security).toEqual([{ 'token-auth': [], api_key: [] }])
    expect(doc.paths['/orders'].get['x-amazon-apigateway-integration']).toEqual({
      type: 'aws_proxy',
      httpMethod: 'POST',
      uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:orders/invocations',
      timeoutInMillis: 5000,
    })
    // A remote function keeps its ARN, and its region in the invocation URI.
    expect(doc.paths['/admin/{proxy+}']['x-amazon-apigateway-any-method']['x-amazon-apigateway-integration'].uri).toBe(
      'arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:210987654321:function:admin:live/invocations',
    )
    expect(doc.components.securitySchemes.sigv4).toEqual({ type: 'apiKey', name: 'Authorization', in: 'header', 'x-amazon-apigateway-authtype': 'awsSigv4' })
    expect(doc['x-amazon-apigateway-gateway-responses'].UNAUTHORIZED).toEqual({
      statusCode: '401',
      responseParameters: { 'gatewayresponse.header.WWW-Authenticate': "'Bearer'" },
      responseTemplates: { 'application/json': '{"error": "unauthorized", "requestId": "$context.requestId"}' },
    })
  })
})

describe('exporting a native config', () => {
  it('lists what the extensions cannot carry, and the export serves the same answers', async () => {
    const { model } = await loadConfigFile('examples/users/portico.yaml', { checkHandlers: false })
    const { document, omitted } = exportOpenApiDocument(model, { api: 'users-rest' })
    expect(omitted).toEqual([
      'stage "prod": stage variables (backendUrl)',
      'function "getUser": the local handler users.get (exported as the Lambda function "getUser": import with lambdaMapping {"getUser": "users.get"})',
      'function "createUser": the local handler users.create (exported as the Lambda function "createUser": import with lambdaMapping {"createUser": "users.create"})',
      'function "me": the local handler users.me (exported as the Lambda function "me": import with lambdaMapping {"me": "users.me"})',
      'function "tokenAuthorizer": the local handler auth.token (exported as the Lambda function "tokenAuthorizer": import with lambdaMapping {"tokenAuthorizer": "auth.token"}); also its environment',
    ])
    const paths = (document as any).paths
    expect(Object.keys(paths)).toEqual(['/users/{id}', '/users', '/backend/{proxy+}', '/health', '/me', '/partner/users/{id}'])
    expect(paths['/backend/{proxy+}']['x-amazon-apigateway-any-method']['x-amazon-apigateway-integration']).toEqual({
      type: 'http_proxy',
      httpMethod: 'ANY',
      uri: '${stageVariables.backendUrl}/{proxy}',
      requestParameters: { 'integration.request.path.proxy': 'method.request.path.proxy' },
    })
    const { config, warnings } = importOpenApi(document, { lambdaMapping: { getUser: 'users.get', createUser: 'users.create', me: 'users.me', tokenAuthorizer: 'auth.token' } })
    expect(warnings).toEqual([])
    const { app } = makeGateway(config)
    const health = await app.request('/prod/health')
    expect(health.status).toBe(200)
    expect(await health.text()).toBe('{"status":"ok"}')
  })

  it('needs the API named when the config has several', async () => {
    const { model } = await loadConfigFile('examples/users/portico.yaml', { checkHandlers: false })
    expect(() => exportOpenApi(model)).toThrow('the config has 2 APIs (users-rest, users-http): name the one to export with --api <name>')
    expect(() => exportOpenApi(model, { api: 'nope' })).toThrow('no API named "nope" (APIs: users-rest, users-http)')
    const http = exportOpenApiDocument(model, { api: 'users-http' })
    expect(http.omitted[0]).toBe('basePath /v2 (where Portico mounts the API)')
    expect((http.document as any).servers[0].variables.basePath).toEqual({ default: '' })
    expect(importOpenApi(http.document).config.apis[0]!.type).toBe('HTTP')
  })
})

describe('portico export openapi', () => {
  let out: string[]
  let err: string[]
  let dir: string
  beforeEach(() => {
    out = []
    err = []
    dir = mkdtempSync(join(tmpdir(), 'portico-export-'))
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk))
      return true
    })
    vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ') + '\n'))
    vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')))
  })
  afterEach(() => {
    vi.restoreAllMocks()
    rmSync(dir, { recursive: true, force: true })
  })

  it('prints YAML on stdout and what it left out on stderr', async () => {
    expect(await exportCommand(['openapi', '--config', 'examples/users/portico.yaml', '--api', 'users-rest'])).toBe(0)
    const doc = parse(out.join(''), { version: '1.1' })
    expect(doc.info.title).toBe('users-rest')
    expect(doc.paths['/health'].get['x-amazon-apigateway-integration'].type).toBe('mock')
    expect(err[0]).toBe('not exported: stage "prod": stage variables (backendUrl)')
  })

  it('writes JSON to --out', async () => {
    const file = join(dir, 'api.json')
    expect(await exportCommand(['openapi', '--config', 'examples/users/portico.yaml', '--api', 'users-http', '--out', file])).toBe(0)
    const doc = JSON.parse(readFileSync(file, 'utf8'))
    expect(doc.paths['/users/{id}'].get['x-amazon-apigateway-integration'].payloadFormatVersion).toBe('2.0')
    expect(err.at(-1)).toBe(`wrote ${file}`)
  })

  it('exits 1 with a clear message', async () => {
    expect(await exportCommand(['openapi', '--config', 'examples/users/portico.yaml'])).toBe(1)
    expect(err).toEqual(['portico export: the config has 2 APIs (users-rest, users-http): name the one to export with --api <name>'])
    err.length = 0
    expect(await exportCommand(['swagger'])).toBe(1)
    expect(err[0]).toMatch(/^portico export: unknown format "swagger" \(openapi is the one there is\)/)
    err.length = 0
    expect(await exportCommand(['openapi', '--config', 'test/fixtures/configs/bad.yaml'])).toBe(1)
    expect(err[0]).toBe('test/fixtures/configs/bad.yaml: invalid config')
    expect(await exportCommand(['openapi', '--help'])).toBe(0)
    expect(out.join('')).toContain('portico export openapi [--config <file>]')
  })
})
