/**
 * Reads a config file (YAML, JSON, or a TS/JS module exporting `defineConfig(...)`) and
 * loads it. Node and Bun only: workerd gets its model from `portico build`.
 */
import { readFile } from 'node:fs/promises'
import { dirname, extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { LineCounter, parseDocument, isNode, type Document } from 'yaml'
import { checkLocalHandlers } from '../integrations/lambda/invoke-local.ts'
import { nodeModuleLoader } from '../integrations/lambda/invoke-local-node.ts'
import { ConfigError, loadModel, type ConfigIssue, type GatewayModel, type LoadResult } from './load.ts'

/** Reads and parses a config file into a plain object, without validating it. */
export async function readConfigDocument(file: string, version?: number): Promise<{ data: unknown; locate: (path: (string | number)[]) => number | undefined }> {
  const path = resolve(file)
  const ext = extname(path).toLowerCase()
  if (['.ts', '.mts', '.js', '.mjs'].includes(ext)) {
    let mod: { default?: unknown }
    try {
      mod = (await import(pathToFileURL(path).href + (version ? `?v=${version}` : ''))) as { default?: unknown }
    } catch (e) {
      const err = e as Error & { code?: string }
      throw new ConfigError([{ path: [], message: `cannot load the module: ${err.code === 'ERR_MODULE_NOT_FOUND' ? err.code + ': ' : ''}${err.message.split('\n')[0]}` }], file)
    }
    if (mod.default === undefined) throw new ConfigError([{ path: [], message: 'the module has no default export (export default defineConfig({...}))' }], file)
    return { data: mod.default, locate: () => undefined }
  }
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw new ConfigError([{ path: [], message: `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }], file)
  }
  const lineCounter = new LineCounter()
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true })
  if (doc.errors.length) {
    // With prettyErrors, yaml's messages end with "at line L, column C:".
    const issues: ConfigIssue[] = doc.errors.map((e) => ({ path: [], message: e.message.split('\n')[0]!.replace(/:$/, '') }))
    throw new ConfigError(issues, file)
  }
  const locate = (p: (string | number)[]) => {
    for (let n = p.length; n >= 0; n--) {
      const node = doc.getIn(p.slice(0, n), true)
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line
    }
    return undefined
  }
  return { data: doc.toJS(), locate }
}

/**
 * Loads a config file into a model; problems are reported with their field path and line.
 * Local handler paths resolve against the file's directory.
 */
export async function loadConfigFile(
  file: string,
  opts: { checkHandlers?: boolean; version?: number } = {},
): Promise<LoadResult & { file: string }> {
  const path = resolve(file)
  const { data, locate } = await readConfigDocument(file, opts.version)
  try {
    const result = loadModel(data, { baseDir: dirname(path), source: file })
    result.model.moduleVersion = opts.version
    if (opts.checkHandlers !== false) {
      // Import each local handler now: a missing module or export fails the load, not a request.
      const problems = await checkLocalHandlers(result.model.functions, nodeModuleLoader(dirname(path), { version: opts.version }))
      if (problems.length) throw new ConfigError(problems, file)
    }
    return { ...result, file: path }
  } catch (e) {
    if (e instanceof ConfigError) {
      const located = e.issues.map((i) => {
        const line = locate(i.path)
        return line ? { ...i, message: `${i.message} (line ${line})` } : i
      })
      throw new ConfigError(located, file)
    }
    throw e
  }
}

/**
 * The model a runtime serves: the one given, or the config file's (its warnings logged).
 * Shared by the Node and Bun entries.
 */
export async function modelFrom(
  opts: { config?: string; model?: GatewayModel },
  warn: (message: string) => void,
): Promise<GatewayModel> {
  if (opts.model) return opts.model
  if (!opts.config) throw new Error('a config file or a model is needed')
  const loaded = await loadConfigFile(opts.config)
  for (const w of loaded.warnings) warn(w)
  return loaded.model
}
