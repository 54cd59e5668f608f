/**
 * Serverless variables: a resolution table (self, env, opt, sls, fallbacks, nesting, types),
 * then the errors, each naming the variable and the path of the value that holds it.
 */
import { describe, expect, it } from 'vitest'
import { VariableResolver } from '../../../src/importers/serverless-variables.ts'
import { importServerless } from '../../../src/importers/serverless.ts'
import { ConfigError } from '../../../src/model/load.ts'

const doc = (x: unknown, extra: Record<string, unknown> = {}) => ({
  service: 'users',
  provider: { name: 'aws', stage: '${opt:stage, \'dev\'}', region: 'eu-west-1' },
  custom: {
    x,
    other: 'from-custom',
    num: 30,
    flag: false,
    obj: { key: 'v', n: 1 },
    alias: '${self:custom.obj}',
    list: ['a', 'b'],
    dev: { url: 'http://dev.local' },
    prod: { url: 'http://prod.local' },
    empty: '',
    ...extra,
  },
})

type Row = [expression: unknown, expected: unknown, opts?: { stage?: string; region?: string; env?: Record<string, string> }]

const TABLE: Row[] = [
  ['${self:service}', 'users'],
  ['${self:provider.stage}', 'dev'],
  ['${self:provider.stage}', 'prod', { stage: 'prod' }],
  ['${self:provider.region}', 'eu-west-1'],
  ["${opt:stage, 'dev'}", 'dev'],
  ['${opt:stage, "dev"}', 'dev'],
  ["${opt:stage, 'dev'}", 'qa', { stage: 'qa' }],
  ["${opt:region, 'us-east-1'}", 'ap-south-1', { region: 'ap-south-1' }],
  ['${opt:region, self:provider.region}', 'eu-west-1'],
  ['${sls:stage}', 'dev'],
  ['${sls:stage}', 'prod', { stage: 'prod' }],
  ['${env:TABLE}', 'users-table', { env: { TABLE: 'users-table' } }],
  ["${env:TABLE, 'fallback'}", 'fallback'],
  ["${env:EMPTY, 'fallback'}", '', { env: { EMPTY: '' } }],
  ['${env:TABLE, ${self:custom.other}}', 'from-custom'],
  ['${env:TABLE, self:custom.other}', 'from-custom'],
  ["${env:A, env:B, 'c'}", 'c'],
  ["${env:A, env:B, 'c'}", 'b', { env: { B: 'b' } }],
  ['${env:N, 5}', 5],
  ['${env:N, true}', true],
  ["${self:custom.missing, 'default'}", 'default'],
  ['${self:custom.num}', 30],
  ['${self:custom.flag}', false],
  ['${self:custom.obj}', { key: 'v', n: 1 }],
  ['${self:custom.obj.key}', 'v'],
  ['${self:custom.alias.key}', 'v'],
  ['${self:custom.list.1}', 'b'],
  ['${self:custom.${sls:stage}.url}', 'http://dev.local'],
  ['${self:custom.${sls:stage}.url}', 'http://prod.local', { stage: 'prod' }],
  ['${self:custom.${opt:stage, self:provider.stage}.url}', 'http://dev.local'],
  ['users-${sls:stage}-table', 'users-dev-table'],
  ['port-${self:custom.num}', 'port-30'],
  ['${self:service}-${sls:stage}', 'users-prod', { stage: 'prod' }],
  ['no variables here', 'no variables here'],
  ['$ {not a variable}', '$ {not a variable}'],
  [{ nested: ['${sls:stage}', { deep: '${self:custom.obj.n}' }] }, { nested: ['dev', { deep: 1 }] }],
]

describe('variable resolution table', () => {
  it.each(TABLE)('%j → %j %j', (expression, expected, opts = {}) => {
    const r = new VariableResolver(doc(expression), { env: {}, ...opts })
    expect(r.resolve(['custom', 'x'])).toEqual(expected)
    expect(r.issues).toEqual([])
  })
})

const ERRORS: [expression: string, message: string, opts?: { env?: Record<string, string> }][] = [
  ['${ssm:/users/db-url}', '${ssm:/users/db-url}: the "ssm" variable source is not supported by Portico (supported: self, env, opt, sls)'],
  ["${ssm:/users/db-url, 'local'}", '${ssm:/users/db-url, \'local\'}: the "ssm" variable source is not supported by Portico (supported: self, env, opt, sls)'],
  ['${cf:users-stack.TableName}', '${cf:users-stack.TableName}: the "cf" variable source is not supported by Portico (supported: self, env, opt, sls)'],
  ['${s3:my-bucket/config.json}', '${s3:my-bucket/config.json}: the "s3" variable source is not supported by Portico (supported: self, env, opt, sls)'],
  ['${file(./config.yml):table}', '${file(./config.yml):table}: the "file" variable source is not supported by Portico (supported: self, env, opt, sls)'],
  ['${aws:accountId}', '${aws:accountId}: the "aws" variable source is not supported by Portico (supported: self, env, opt, sls)'],
  ['${sls:instanceId}', '${sls:instanceId}: sls:instanceId is not supported by Portico (sls:stage is)'],
  ['${env:DB_URL}', '${env:DB_URL}: the environment variable DB_URL is not set, and there is no fallback'],
  ['${opt:stage}', '${opt:stage}: no --stage option was given, and there is no fallback'],
  ['${self:custom.nope}', '${self:custom.nope}: "custom.nope" is not in this file, and there is no fallback'],
  ['${env:A, env:B}', '${env:A, env:B}: no value, and the last fallback env:B has none either'],
  ['x-${self:custom.obj}', '${self:custom.obj}: resolves to an object, which cannot be part of a string'],
  ['${self:custom.x', '${self:custom.x: unbalanced ${ } in a variable'],
  ['${}', '${}: not a variable (expected ${source:address})'],
  ['${users}', '${users}: "users" is not a variable reference (expected source:address, e.g. self:custom.x)'],
]

describe('variable errors', () => {
  it.each(ERRORS)('%s', (expression, message, opts = {}) => {
    const r = new VariableResolver(doc(expression), { env: {}, ...opts })
    expect(r.resolve(['custom', 'x'])).toBeUndefined()
    expect(r.issues).toEqual([{ path: ['custom', 'x'], message }])
  })

  it('reports a circular reference once, at the value that closes the loop', () => {
    const r = new VariableResolver(doc('${self:custom.a}', { a: '${self:custom.b}', b: '${self:custom.a}' }), { env: {} })
    expect(r.resolve(['custom', 'x'])).toBeUndefined()
    expect(r.issues).toEqual([{ path: ['custom', 'a'], message: '${self:custom.b}: circular reference (this value refers back to itself)' }])
  })

  it('an error in a variable used twice is reported once', () => {
    const r = new VariableResolver(doc('${self:custom.a}-${self:custom.a}', { a: '${env:GONE}' }), { env: {} })
    r.resolve(['custom'])
    expect(r.issues).toEqual([{ path: ['custom', 'a'], message: '${env:GONE}: the environment variable GONE is not set, and there is no fallback' }])
  })
})

describe('variables in a service', () => {
  const service = (extra: Record<string, unknown>) => ({
    service: 'users',
    provider: { name: 'aws', environment: { DB_URL: '${ssm:/users/db-url}', STAGE: '${sls:stage}' } },
    functions: { getUser: { handler: 'users.get', environment: { TOKEN: '${env:USERS_TOKEN}' }, events: [{ http: 'GET users/{id}' }] } },
    ...extra,
  })

  it('every unresolvable variable is an error with its path in the file', () => {
    let error: ConfigError | undefined
    try {
      importServerless(service({}), { env: {}, file: 'serverless.yml' })
    } catch (e) {
      error = e as ConfigError
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect(error!.issues).toEqual([
      { path: ['provider', 'environment', 'DB_URL'], message: '${ssm:/users/db-url}: the "ssm" variable source is not supported by Portico (supported: self, env, opt, sls)' },
      { path: ['functions', 'getUser', 'environment', 'TOKEN'], message: '${env:USERS_TOKEN}: the environment variable USERS_TOKEN is not set, and there is no fallback' },
    ])
    expect(error!.message).toBe(
      'serverless.yml: invalid config\n' +
        '  provider.environment.DB_URL: ${ssm:/users/db-url}: the "ssm" variable source is not supported by Portico (supported: self, env, opt, sls)\n' +
        '  functions.getUser.environment.TOKEN: ${env:USERS_TOKEN}: the environment variable USERS_TOKEN is not set, and there is no fallback',
    )
  })

  it('sections Portico does not read are not resolved (resources, unused custom values)', () => {
    const doc = service({
      custom: { unused: '${ssm:/never/read}', url: '${cf:other.Url}' },
      resources: { Resources: { Table: { Properties: { TableName: '${cf:x.y}' } } } },
    })
    ;(doc.provider as any).environment = { STAGE: '${sls:stage}' }
    const { config, warnings } = importServerless(doc, { env: { USERS_TOKEN: 't' }, stage: 'qa' })
    expect((config.functions as any).getUser.environment).toEqual({ STAGE: 'qa', TOKEN: 't' })
    expect(warnings).toEqual(['resources: deployment setting, not used by Portico (ignored)'])
  })
})
