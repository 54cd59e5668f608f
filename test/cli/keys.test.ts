/**
 * `portico keys` and `portico usage` as real processes against a real gateway process (admin
 * API on, SQLite store), and directly on the same store: keys created by the CLI work on the
 * gateway, revoked ones stop; clear errors and exit codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStores } from '../../src/storage/open.ts'
import { systemClock } from '../../src/core/deps.ts'
import { quotaCounterKey } from '../../src/features/usage-plan/keys.ts'

const TOKEN = 'cli-test-admin-token-0123456789'
const CONFIG = 'test/admin/fixtures/portico.json'
// bin/portico.mjs once src/cli/main.ts dispatches keys/usage; until then the same functions
// through a small runner.
const CLI = readFileSync('src/cli/main.ts', 'utf8').includes('keysCommand') ? ['bin/portico.mjs'] : ['test/admin/fixtures/cli.ts']

const dir = mkdtempSync(join(tmpdir(), 'portico-cli-'))
const STORE = `sqlite:${join(dir, 'state.db')}`
let gateway: ChildProcess | undefined
let url = ''
let apiId = ''

/** Runs the CLI; resolves with its exit code and output. */
function cli(args: string[], env: Record<string, string | undefined> = { PORTICO_ADMIN_TOKEN: TOKEN }) {
  const child = spawn(process.execPath, [...CLI, ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
}

async function admin(method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}/_portico/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, body: res.status === 202 ? undefined : await res.json() }
}

const route = (path: string, key?: string) => fetch(url + path, { headers: key ? { 'x-api-key': key } : {} })

/** "value  <v>" from `keys create` output. */
function created(stdout: string): { id: string; value: string } {
  return { id: /^id\s+(\S+)$/m.exec(stdout)![1]!, value: /^value\s+(\S+)$/m.exec(stdout)![1]! }
}

beforeAll(async () => {
  gateway = spawn(process.execPath, ['test/admin/fixtures/serve.ts', CONFIG], {
    env: { PATH: process.env.PATH, PORTICO_ADMIN_TOKEN: TOKEN, PORTICO_STORE: STORE, PORTICO_QUIET: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  gateway.stderr!.on('data', (d) => (err += d))
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${err}`)), 20_000)
    gateway!.stdout!.on('data', (d) => {
      out += d
      const m = /listening (http:\/\/\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    gateway!.on('exit', (code) => reject(new Error(`gateway exited ${code}: ${err}`)))
  })
  const { loadConfigFile } = await import('../../src/model/load-file.ts')
  apiId = (await loadConfigFile(CONFIG)).model.apis[0]!.id
  const gold = await admin('POST', '/usageplans', { name: 'gold', apiStages: [{ apiId, stage: 'prod' }], quota: { limit: 100, period: 'DAY' } })
  expect(gold.status).toBe(201)
})

afterAll(() => {
  gateway?.kill('SIGTERM')
  rmSync(dir, { recursive: true, force: true })
})

describe('portico keys against a running gateway (--url)', () => {
  it('create --plan: a new key that works on the plan\'s stages at once; the value printed once', async () => {
    const res = await cli(['keys', 'create', '--url', url, '--plan', 'gold', '--name', 'acme'])
    expect(res.code, res.stderr).toBe(0)
    expect(res.stderr).toContain('shown only now')
    const key = created(res.stdout)
    expect(key.value).toMatch(/^[A-Za-z0-9]{40}$/)
    expect(res.stdout).toMatch(/^name\s+acme$/m)
    expect(res.stdout).toMatch(new RegExp(`^stages\\s+${apiId}/prod$`, 'm'))
    expect((await route('/prod/partner', key.value)).status).toBe(200)
    expect((await route('/dev/partner', key.value)).status).toBe(403)

    const list = await cli(['keys', 'list', '--url', url])
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(/^ID\s+NAME\s+ENABLED\s+PLANS\s+STAGES\s+CREATED$/m)
    expect(list.stdout).toMatch(new RegExp(`^${key.id}\\s+acme\\s+yes\\s+gold\\s+${apiId}/prod\\s+\\d{4}-`, 'm'))
    expect(list.stdout).not.toContain(key.value)

    const json = JSON.parse((await cli(['keys', 'list', '--url', url, '--plan', 'gold', '--json'])).stdout)
    expect(json.items.find((k: { id: string }) => k.id === key.id)).toMatchObject({ name: 'acme', enabled: true, usagePlans: ['gold'] })

    const revoke = await cli(['keys', 'revoke', key.id, '--url', url])
    expect(revoke.code).toBe(0)
    expect(revoke.stdout).toContain(`revoked API key ${key.id}`)
    expect((await route('/prod/partner', key.value)).status).toBe(403)
    const again = await cli(['keys', 'revoke', key.id, '--url', url])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('Invalid API Key identifier specified')
  })

  it('an unknown plan leaves no key behind (exit 1)', async () => {
    const before = (await admin('GET', '/apikeys')).body.items.length
    const res = await cli(['keys', 'create', '--url', url, '--plan', 'platinum'])
    expect(res.code).toBe(1)
    expect(res.stderr).toContain('no usage plan named "platinum"; the plans are: gold (')
    expect((await admin('GET', '/apikeys')).body.items.length).toBe(before)
  })

  it('refuses without the token, with a wrong token, or with nothing listening', async () => {
    const none = await cli(['keys', 'list', '--url', url], {})
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('PORTICO_ADMIN_TOKEN is not set')
    const wrong = await cli(['keys', 'list', '--url', url], { PORTICO_ADMIN_TOKEN: 'not-the-token-0123456789' })
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toContain('the admin token was refused')
    const nobody = await cli(['keys', 'list', '--url', 'http://127.0.0.1:9'])
    expect(nobody.code).toBe(1)
    expect(nobody.stderr).toContain('cannot reach the admin API at http://127.0.0.1:9/_portico/admin')
    const prefix = await cli(['keys', 'list', '--url', url, '--prefix', '/elsewhere'])
    expect(prefix.code).toBe(1)
    expect(prefix.stderr).toContain('no admin API under /elsewhere')
  })

  it('--help, and exit 2 for a bad command line', async () => {
    const help = await cli(['keys', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('portico keys create --plan <name>')
    for (const args of [['keys'], ['keys', 'rotate'], ['keys', 'list', '--bogus'], ['keys', 'revoke'], ['keys', 'create', '--url', url], ['keys', 'list', '--url', url, '--store', STORE], ['keys', 'list']]) {
      const res = await cli(args)
      expect(res.code, args.join(' ')).toBe(2)
      expect(res.stderr).toMatch(/^portico keys: /)
    }
    expect((await cli(['usage', '--help'])).stdout).toContain('portico usage --plan <name> --from <yyyy-MM-dd> --to <yyyy-MM-dd>')
  })
})

describe('portico usage', () => {
  it('prints per key and day the requests and the quota left, as a table or get-usage JSON', async () => {
    const res = await cli(['keys', 'create', '--url', url, '--plan', 'gold', '--name', 'metered'])
    const key = created(res.stdout)
    // Counts on past days, written to the gateway's store the way its quota step counts.
    const opened = await openStores(STORE, { clock: systemClock, env: {} })
    const quota = { limit: 100, period: 'DAY' as const, offset: 0 }
    const plan = (await admin('GET', '/usageplans')).body.items.find((p: { name: string }) => p.name === 'gold')
    for (let i = 0; i < 3; i++) await opened.stores.quotaCounter!.consume(quotaCounterKey(plan.id, key.id), quota, Date.UTC(2025, 5, 2, 10))
    await opened.close()

    const json = await cli(['usage', '--url', url, '--plan', 'gold', '--key', key.id, '--from', '2025-06-01', '--to', '2025-06-03', '--json'])
    expect(json.code, json.stderr).toBe(0)
    expect(JSON.parse(json.stdout)).toEqual({ usagePlanId: plan.id, startDate: '2025-06-01', endDate: '2025-06-03', items: { [key.id]: [[0, 100], [3, 97], [0, 100]] } })

    const text = await cli(['usage', '--url', url, '--plan', 'gold', '--from', '2025-06-02', '--to', '2025-06-02'])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain(`usage plan gold (${plan.id}), quota 100 per day, 2025-06-02 to 2025-06-02`)
    expect(text.stdout).toMatch(new RegExp(`^2025-06-02\\s+${key.id}\\s+3\\s+97$`, 'm'))

    const bad = await cli(['usage', '--url', url, '--plan', 'gold', '--from', '2025-06-05', '--to', '2025-06-01'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('endDate: must not be before startDate')
    const missing = await cli(['usage', '--url', url, '--plan', 'gold', '--from', '2025-06-05'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('--to <yyyy-MM-dd> is required')
  })
})

describe('directly on the store (--store), alongside the running gateway', () => {
  it('sees what the gateway holds, and a key it creates works on the gateway at once', async () => {
    const res = await cli(['keys', 'create', '--store', STORE, '--plan', 'gold', '--name', 'offline', '--config', CONFIG])
    expect(res.code, res.stderr).toBe(0)
    const key = created(res.stdout)
    expect((await route('/prod/partner', key.value)).status).toBe(200)
    const list = await cli(['keys', 'list', '--store', STORE])
    expect(list.stdout).toMatch(new RegExp(`^${key.id}\\s+offline\\s+yes\\s+gold`, 'm'))
    expect((await admin('GET', `/apikeys/${key.id}`)).body.name).toBe('offline')
    expect((await cli(['keys', 'revoke', key.id, '--store', STORE])).code).toBe(0)
    expect((await route('/prod/partner', key.value)).status).toBe(403)
    const mem = await cli(['keys', 'list', '--store', 'memory'])
    expect(mem.code).toBe(2)
    expect(mem.stderr).toContain('--store memory would act on a store nobody else sees')
  })
})
