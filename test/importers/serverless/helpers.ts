/**
 * Shared set-up for the serverless.yml importer tests: read a fixture the way the file loader
 * does, import it, load it, check its handlers import, and build a gateway with every
 * built-in feature around it.
 */
import { resolve } from 'node:path'
import { expect } from 'vitest'
import { readConfigDocument } from '../../../src/model/load-file.ts'
import { importServerless, isServerlessDocument } from '../../../src/importers/serverless.ts'
import { checkLocalHandlers } from '../../../src/integrations/lambda/invoke-local.ts'
import { nodeModuleLoader } from '../../../src/integrations/lambda/invoke-local-node.ts'
import { builtinFeatures } from '../../../src/features/index.ts'
import { FIXTURES, makeGateway } from '../../helpers/gateway.ts'
import type { GatewayDeps } from '../../../src/core/deps.ts'

/** Where the serverless.yml fixtures and their handlers live. */
export const SLS = resolve(FIXTURES, 'serverless')

export interface FixtureOptions {
  env?: Record<string, string | undefined>
  stage?: string
  region?: string
  deps?: Partial<GatewayDeps>
}

/** Reads and imports one fixture; asserts it is recognised as a serverless.yml by content. */
export async function importFixture(name: string, opts: FixtureOptions = {}) {
  const file = resolve(SLS, name)
  const { data } = await readConfigDocument(file)
  expect(isServerlessDocument(data)).toBe(true)
  return importServerless(data, { env: opts.env ?? {}, stage: opts.stage, region: opts.region, file })
}

/**
 * Imports, loads and serves one fixture with the built-in features; `importWarnings` are the
 * importer's, `loadWarnings` the model loader's.
 */
export async function serveFixture(name: string, opts: FixtureOptions = {}) {
  const { config, warnings } = await importFixture(name, opts)
  const gw = makeGateway(config, { baseDir: SLS, deps: { env: opts.env ?? {}, ...opts.deps }, gateway: { features: builtinFeatures } })
  // What the file loader does at start-up: every local handler must import.
  expect(await checkLocalHandlers(gw.model.functions, nodeModuleLoader(SLS))).toEqual([])
  await gw.gateway.ready
  return { ...gw, config, importWarnings: warnings, loadWarnings: gw.warnings }
}

/** A fetch that sends requests for `from` (a URL prefix) to `to` (a local server); only 127.0.0.1 otherwise. */
export function redirectFetch(from: RegExp, to: string): typeof fetch {
  return ((input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (!from.test(url) && !url.startsWith('http://127.0.0.1:')) throw new Error(`unexpected fetch of ${url}`)
    return fetch(url.replace(from, to), init)
  }) as typeof fetch
}
