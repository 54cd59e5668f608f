/**
 * `portico start` serving what users bring, as real processes: a serverless.yml, an OpenAPI
 * document, and a Python handler.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'

const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) c.kill('SIGTERM')
})

function start(...args: string[]): Promise<{ url: string; stderr: () => string }> {
  const child = spawn(process.execPath, ['bin/portico.mjs', 'start', '--port', '0', '--quiet', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let err = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner: ${err}`)), 20_000)
    child.stderr!.on('data', (d) => {
      err += d
      const m = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(err)
      if (m) {
        clearTimeout(timer)
        resolve({ url: m[1]!, stderr: () => err })
      }
    })
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)))
  })
}

describe('portico start on other formats', () => {
  it('serves the guide\'s throttling serverless.yml, with --stage', async () => {
    const { url } = await start('--config', 'test/fixtures/serverless/guide-throttling.yml', '--stage', 'prod')
    const res = await fetch(`${url}/prod/users/42`)
    expect(res.status).toBe(200)
    expect(res.headers.get('ratelimit-policy')).toContain('q=100')
    expect((await fetch(`${url}/dev/users/42`)).status).toBe(403)
  })
  it('serves an OpenAPI document with mock integrations', async () => {
    const { url } = await start('--config', 'test/fixtures/openapi/petstore-mock.json')
    const res = await fetch(`${url}/prod/pets`)
    expect(res.status).toBe(200)
    expect((await fetch(`${url}/prod/nothing`)).status).toBe(403)
  })
  it('serves the guide\'s Python handler through a worker process', async () => {
    const { url } = await start('--config', 'test/fixtures/python/portico.yaml')
    const res = await fetch(`${url}/prod/users/7`, { method: 'POST', body: JSON.stringify({ name: 'Ada' }) })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ message: 'Success', user_id: '7' })
  })
})
