/**
 * The Node.js / Bun side of local handlers: finding handler modules on disk and giving local
 * functions their environment variables.
 */
import { applyFunctionEnvironment as applyEnvironment } from './invoke-local.ts'
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { FunctionConfig } from '../../model/schema.ts'

/** Tried in this order, so a TypeScript source wins over JavaScript built next to it. */
const EXTENSIONS = ['.ts', '.mts', '.mjs', '.js', '.cjs']

/**
 * A loadModule for createLocalInvoker: resolves `modulePath` against `baseDir` (the config
 * file's directory), adds each known extension in turn, then tries the path as given.
 */
export function nodeModuleLoader(baseDir: string, opts: { version?: number } = {}): (modulePath: string) => Promise<Record<string, unknown>> {
  // A version in the URL makes the module system load a changed file again (--watch).
  const query = opts.version ? `?v=${opts.version}` : ''
  return async (modulePath) => {
    const base = resolve(baseDir, modulePath)
    const candidates = [...EXTENSIONS.map((ext) => base + ext), base]
    for (const file of candidates) {
      if (await isFile(file)) {
        return (await import(pathToFileURL(file).href + query)) as Record<string, unknown>
      }
    }
    throw new Error(`no module file for "${modulePath}"; tried ${candidates.join(', ')}`)
  }
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile()
  } catch {
    return false
  }
}

/** Applies local functions' `environment` to this process's env (see invoke-local.ts). */
export function applyFunctionEnvironment(
  functions: Record<string, { config: FunctionConfig }>,
  env: Record<string, string | undefined> = process.env,
): string[] {
  return applyEnvironment(functions, env)
}
