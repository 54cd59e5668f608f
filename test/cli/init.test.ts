/** `portico init` scaffolds a project whose own test passes and whose config validates. */
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, symlinkSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const run = (cmd: string, args: string[], cwd = process.cwd()) => spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 60_000 })

describe('portico init', () => {
  it('writes a project whose test passes against a real socket', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'portico-init-')), 'my-api')
    try {
      const r = run(process.execPath, ['bin/portico.mjs', 'init', dir])
      expect(r.status).toBe(0)
      expect(r.stdout).toContain('npm install && npm test && npm start')
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
      expect(pkg.dependencies.portico).toBe(`file:${resolve('.')}`)
      expect(readFileSync(join(dir, 'wrangler.toml'), 'utf8')).toContain('main = ".portico/worker.ts"')
      // What `npm install` would link: node_modules/portico → this checkout.
      mkdirSync(join(dir, 'node_modules'))
      symlinkSync(resolve('.'), join(dir, 'node_modules', 'portico'))
      const validate = run(process.execPath, [resolve('bin/portico.mjs'), 'validate', '--config', 'portico.yaml'], dir)
      expect(validate.stdout).toContain('OK (1 API, 1 route)')
      const test = run(process.execPath, ['--test'], dir)
      expect(test.stdout + test.stderr).toMatch(/# pass 1/)
      expect(test.status).toBe(0)
      // And the Worker module the build step writes imports Portico's Worker.
      const build = run(process.execPath, [resolve('bin/portico.mjs'), 'build', '--config', 'portico.yaml', '--out', '.portico/entry.generated.ts', '--worker', '.portico/worker.ts'], dir)
      expect(build.status).toBe(0)
      expect(readFileSync(join(dir, '.portico/worker.ts'), 'utf8')).toContain("import { createWebSocketHub, createWorker } from 'portico/workers'")
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
  it('refuses a directory that is not empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-init-'))
    writeFileSync(join(dir, 'x'), '')
    const r = run(process.execPath, ['bin/portico.mjs', 'init', dir])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('is not empty')
    rmSync(dir, { recursive: true, force: true })
  })
})
