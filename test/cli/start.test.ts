/** `portico start` as a real process: banner, serving, and surviving errors handlers leave behind. */
import { afterAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'

let child: ChildProcess | undefined
const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) c.kill('SIGTERM')
})

function start(config: string): Promise<{ url: string; stderr: () => string }> {
  child = spawn(process.execPath, ['bin/portico.mjs', 'start', '--config', config, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let err = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner: ${err}`)), 20_000)
    child!.stderr!.on('data', (d) => {
      err += d
      const m = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(err)
      if (m) {
        clearTimeout(timer)
        resolve({ url: m[1]!, stderr: () => err })
      }
    })
    child!.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)))
  })
}

describe('portico start', () => {
  it('keeps serving after handlers leave uncaught errors behind, and logs them', async () => {
    const { url, stderr } = await start('test/fixtures/crashy/portico.yaml')
    expect(stderr()).toMatch(/GET\s+\/throw/)
    for (const path of ['/prod/throw', '/prod/reject', '/prod/throw']) {
      const res = await fetch(url + path)
      expect(await res.text()).toBe('answered')
    }
    // The timer throws a few ms after the answer: wait until both errors are logged.
    for (let i = 0; i < 100 && !(stderr().includes('uncaught exception') && stderr().includes('unhandled promise rejection')); i++) {
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(stderr()).toContain('uncaught exception (left behind by a local handler?)')
    expect(stderr()).toContain('unhandled promise rejection (left behind by a local handler?)')
    const res = await fetch(url + '/prod/ok')
    expect(await res.text()).toBe('still here')
    expect(child!.exitCode).toBeNull()
  })
})

describe('portico start --watch', () => {
  it('reloads a changed handler and config, and keeps serving when the config breaks', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const dir = mkdtempSync(join(tmpdir(), 'portico-watch-'))
    const config = (path: string) => `apis:\n  - name: w\n    type: REST\n    routes:\n      - { method: GET, path: ${path}, integration: { type: lambda, function: f } }\nfunctions:\n  f: { handler: h.get }\n`
    writeFileSync(join(dir, 'portico.yaml'), config('/v'))
    writeFileSync(join(dir, 'h.mjs'), "export const get = async () => ({ statusCode: 200, body: 'one' })\n")
    child = spawn(process.execPath, ['bin/portico.mjs', 'start', '--config', join(dir, 'portico.yaml'), '--port', '0', '--watch', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(child)
    let err = ''
    child.stderr!.on('data', (d) => (err += d))
    const until = async (check: () => Promise<boolean> | boolean) => {
      for (let i = 0; i < 100; i++) {
        if (await check()) return
        await new Promise((r) => setTimeout(r, 100))
      }
      throw new Error(`timed out; stderr: ${err}`)
    }
    await until(() => /at (http:\/\/127\.0\.0\.1:\d+)/.test(err))
    const url = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(err)![1]!
    const body = async (path: string) => (await fetch(url + path)).text()
    expect(await body('/prod/v')).toBe('one')
    writeFileSync(join(dir, 'h.mjs'), "export const get = async () => ({ statusCode: 200, body: 'two' })\n")
    await until(async () => (await body('/prod/v')) === 'two')
    writeFileSync(join(dir, 'portico.yaml'), config('/renamed'))
    await until(async () => (await body('/prod/renamed')) === 'two')
    writeFileSync(join(dir, 'portico.yaml'), 'apis: [ {')
    await until(() => err.includes('still serving the previous version'))
    expect(await body('/prod/renamed')).toBe('two')
    child.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  })
})
