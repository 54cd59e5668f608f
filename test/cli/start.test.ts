/** `portico start` as a real process: banner, serving, and surviving errors handlers leave behind. */
import { afterAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'

let child: ChildProcess | undefined
afterAll(() => {
  child?.kill('SIGTERM')
})

function start(config: string): Promise<{ url: string; stderr: () => string }> {
  child = spawn(process.execPath, ['bin/portico.mjs', 'start', '--config', config, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
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
