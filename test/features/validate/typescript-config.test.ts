/**
 * A TypeScript config with a zod model, as a user writes it: loaded from the file, served,
 * and refused by `portico build` (a Worker gets the config as JSON, which cannot carry code).
 */
import { describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfigFile } from '../../../src/model/load-file.ts'
import { buildWorkersEntry } from '../../../src/cli/build.ts'
import { createGateway } from '../../../src/gateway.ts'
import { memoryLogger } from '../../../src/core/deps.ts'
import { ConfigError } from '../../../src/model/load.ts'
import { fakeClock, scriptedInvoker } from '../../helpers/gateway.ts'
import { fetchHttpClient } from '../../../src/integrations/http/index.ts'

const FILE = 'test/fixtures/configs/zod.config.ts'

describe('zod models in portico.config.ts', () => {
  it('validates bodies with the zod schema', async () => {
    const { model } = await loadConfigFile(FILE)
    const gw = createGateway(model, { clock: fakeClock(), logger: memoryLogger(), invoker: scriptedInvoker(() => null).invoker, httpClient: fetchHttpClient() })
    const post = (body: string) => gw.app.request('/prod/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    const ok = await post('{"item":"tea","quantity":1}')
    expect(ok.status).toBe(201)
    const bad = await post('{"item":"","quantity":1}')
    expect(bad.status).toBe(400)
    expect(await bad.text()).toBe('{"message": "Invalid request body"}')
  })

  it('portico build refuses it, naming the model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-zod-'))
    try {
      await buildWorkersEntry(FILE, join(dir, 'entry.ts'))
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError)
      expect((e as ConfigError).issues).toEqual([
        {
          path: ['apis', 0, 'models', 'Order'],
          message: "a zod schema cannot be bundled for Workers (the config is inlined as JSON): give the model as JSON Schema, e.g. z.toJSONSchema(schema, { target: 'draft-04' })",
        },
      ])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
