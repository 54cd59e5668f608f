/**
 * The Node.js / Bun side of local handlers: finding handler modules on disk and giving local
 * functions their environment variables.
 */
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
export function nodeModuleLoader(baseDir: string): (modulePath: string) => Promise<Record<string, unknown>> {
  return async (modulePath) => {
    const base = resolve(baseDir, modulePath)
    const candidates = [...EXTENSIONS.map((ext) => base + ext), base]
    for (const file of candidates) {
      if (await isFile(file)) {
        return (await import(pathToFileURL(file).href)) as Record<string, unknown>
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

/**
 * Copies the `environment` of every local function into `env` (process.env by default), once,
 * at load time. Local functions share one process, so one value per variable can win: the
 * first function to set it keeps it, and each disagreement is returned as a warning.
 * Remote functions are skipped; their environment lives in AWS.
 */
export function applyFunctionEnvironment(
  functions: Record<string, { config: FunctionConfig }>,
  env: Record<string, string | undefined> = process.env,
): string[] {
  const warnings: string[] = []
  const setBy = new Map<string, string>()
  for (const [name, { config }] of Object.entries(functions)) {
    if (config.handler === undefined) continue
    for (const [key, value] of Object.entries(config.environment ?? {})) {
      const owner = setBy.get(key)
      if (owner === undefined) {
        setBy.set(key, name)
        env[key] = value
      } else if (env[key] !== value) {
        warnings.push(
          `functions "${owner}" and "${name}" set ${key} to different values; local handlers share one process, so "${owner}"'s value is used`,
        )
      }
    }
  }
  return warnings
}
