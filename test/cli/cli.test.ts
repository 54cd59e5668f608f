/** The portico command, run as a user runs it (a real process). */
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { configJsonSchema } from '../../src/model/json-schema.ts'
import { withReference } from '../../src/model/reference.ts'

function portico(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/portico.mjs', ...args], { encoding: 'utf8', timeout: 30_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('portico validate', () => {
  it('accepts the example', () => {
    const r = portico('validate', '--config', 'examples/users/portico.yaml')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('examples/users/portico.yaml: OK (2 APIs, 10 routes)\n')
  })
  it('prints every problem with its field path and line, and exits 1', () => {
    const r = portico('validate', '--config', 'test/fixtures/configs/bad.yaml')
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(
      [
        'test/fixtures/configs/bad.yaml: invalid config',
        '  apis[0].routes[1].method: Invalid option: expected one of "GET"|"POST"|"PUT"|"PATCH"|"DELETE"|"HEAD"|"OPTIONS"|"ANY" (line 11)',
        '  apis[0].cache: unknown key (check its spelling; unknown keys are not ignored) (line 14)',
        '',
      ].join('\n'),
    )
  })
  it('reports YAML syntax errors with their position', () => {
    const r = portico('validate', '--config', 'test/fixtures/configs/broken.yaml')
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^test\/fixtures\/configs\/broken.yaml: invalid config\n  \(root\): .+ at line 4, column \d+\n$/)
  })
  it('names a missing file', () => {
    const r = portico('validate', '--config', 'nope.yaml')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('nope.yaml: invalid config\n  (root): cannot read the file: ENOENT')
  })
  it('imports local handlers: a missing module or export is a config error', () => {
    const r = portico('validate', '--config', 'test/fixtures/configs/missing-handler.yaml')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('functions.nope.handler: Handler "handler.nope": module "handler" has no exported function "nope" (line 3)')
    expect(r.stderr).toMatch(/functions\.gone\.handler: Cannot load handler "gone\.get": no module file for "gone"; tried .* \(line 4\)/)
  })
  it('refuses Python handler modules outside the config\'s directory', () => {
    const r = portico('validate', '--config', 'test/fixtures/configs/python-outside.yaml')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('functions.u.handler: a Python handler module must be inside the config\'s directory (no "..": ../python/users) (line 2)')
  })
  it('imports Python handlers with the configured interpreter at validate', () => {
    const r = portico('validate', '--config', 'test/fixtures/python/bad-handlers.yaml')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('functions.a.handler: module "users" has no function "nope" (line 2)')
    expect(r.stderr).toMatch(/functions\.b\.handler: (python3 cannot import authorizer: ModuleNotFoundError: No module named 'jwt'|.*) \(line 3\)/)
  })
  it('reports a TS config that throws as a config error, without a stack trace', () => {
    const r = portico('validate', '--config', 'test/fixtures/configs/throws.config.ts')
    expect(r.code).toBe(1)
    expect(r.stderr).toBe('test/fixtures/configs/throws.config.ts: invalid config\n  (root): cannot load the module: config exploded\n')
  })
  it('loads TypeScript configs written with defineConfig', () => {
    const r = portico('validate', '--config', 'test/fixtures/configs/portico.config.ts')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('OK (1 API, 1 route)')
  })
})

describe('portico routes', () => {
  it('prints the route table with the columns later features fill in', () => {
    const r = portico('routes', '--config', 'examples/users/portico.yaml')
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^API\s+URL\s+METHOD\s+PATH\s+INTEGRATION\s+AUTH\s+API KEY\s+CACHE\s+THROTTLE$/)
    expect(lines).toHaveLength(11)
    expect(lines.some((l) => /\/prod\/users\/\{id\}\/profile\s+GET .*lambda_custom getProfile \(1 template, 2 responses\)/.test(l))).toBe(true)
    expect(lines.some((l) => /\/prod\/me\s+GET .*token:jwtToken/.test(l))).toBe(true)
    expect(lines.some((l) => /\/prod\/partner\/users\/\{id\}.*required/.test(l))).toBe(true)
    expect(lines[1]).toMatch(/^users-rest \(REST [a-z0-9]{10}\)\s+\/prod\/users\/\{id\}\s+GET\s+\/users\/\{id\}\s+lambda getUser \(payload 1\.0\)/)
    expect(lines.some((l) => /\/v2\/users\/\{id\}\s+GET .*payload 2\.0/.test(l))).toBe(true)
  })
})

describe('portico start failures', () => {
  it('names an unreachable store in one line, without a stack trace', () => {
    const r = portico('start', '--config', 'examples/users/portico.yaml', '--port', '0', '--store', 'redis://127.0.0.1:1')
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split('\n').at(-1)).toBe('portico start: cannot connect to the Redis store at redis://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1')
    expect(r.stderr).not.toContain('    at ')
  })
})

describe('help and usage errors', () => {
  it('shows help for every command', () => {
    for (const cmd of ['start', 'validate', 'routes', 'build', 'schema']) {
      const r = portico(cmd, '--help')
      expect(r.code).toBe(0)
      expect(r.stdout).toContain(`portico ${cmd}`)
    }
  })
  it('rejects unknown commands and options', () => {
    expect(portico('deploy').code).toBe(1)
    const r = portico('validate', '--nope')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("Unknown option '--nope'")
  })
})

describe('the shipped JSON Schema', () => {
  it('is the one generated from the model (run npm run schema after changing it)', () => {
    const shipped = JSON.parse(readFileSync('schema/portico.schema.json', 'utf8'))
    expect(shipped).toEqual(configJsonSchema())
  })
})

describe('the README\'s config reference', () => {
  it('is the one generated from the model (run npm run schema after changing it)', () => {
    const readme = readFileSync('README.md', 'utf8')
    expect(readme).toBe(withReference(readme))
  })
})

describe('the route table\'s cache column', () => {
  it('shows TTL, key parameters and per-caller keys where a stage caches the route', async () => {
    const { routeTable } = await import('../../src/cli/routes.ts')
    const { loadModel } = await import('../../src/model/load.ts')
    const { model } = loadModel({
      apiKeys: [{ name: 'k', value: 'k'.repeat(20) }],
      apis: [
        {
          name: 'r',
          type: 'REST',
          stages: [{ name: 'prod', cache: { enabled: true, ttlInSeconds: 60 } }, { name: 'dev' }],
          routes: [
            { method: 'GET', path: '/a/{id}', integration: { type: 'mock' }, caching: { cacheKeyParameters: ['method.request.path.id'] } },
            { method: 'POST', path: '/a', integration: { type: 'mock' } },
            { method: 'GET', path: '/k', integration: { type: 'mock' }, apiKeyRequired: true },
          ],
        },
      ],
    })
    expect(routeTable(model)[0]!.api).toBe(`r (REST ${model.apis[0]!.id})`)
    const rows = routeTable(model).map((r) => `${r.url} ${r.method} ${r.cache}`)
    expect(rows).toEqual([
      '/prod/a/{id} GET 60s [path.id]',
      '/prod/a POST -',
      '/prod/k GET 60s per caller',
      '/dev/a/{id} GET -',
      '/dev/a POST -',
      '/dev/k GET -',
    ])
  })
})
