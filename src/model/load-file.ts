/**
 * Reads a config file (YAML, JSON, or a TS/JS module exporting `defineConfig(...)`) and
 * loads it. Node and Bun only: workerd gets its model from `portico build`.
 */
import { readFile } from 'node:fs/promises'
import { dirname, extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { LineCounter, parseDocument, isNode, type Document, type Tags, type YAMLMap, type YAMLSeq } from 'yaml'
import { checkLocalHandlers } from '../integrations/lambda/invoke-local.ts'
import { isPythonTarget, pythonInterpreter } from '../integrations/lambda/invoke-python.ts'
import { spawnSync } from 'node:child_process'
import type { FunctionConfig } from './schema.ts'
import { existsSync } from 'node:fs'
import { importServerless, isServerlessDocument } from '../importers/serverless.ts'
import { importOpenApi, isOpenApiDocument } from '../importers/openapi.ts'

const PYTHON_CHECK = `import importlib, sys
sys.path.insert(0, '.')
module = importlib.import_module(sys.argv[1])
if not callable(getattr(module, sys.argv[2], None)):
    sys.stderr.write('module "%s" has no function "%s"' % (sys.argv[1], sys.argv[2]))
    sys.exit(3)
`

/**
 * Imports a Python handler's module with the configured interpreter, as the worker will, so a
 * missing interpreter, package or function is a config error at start-up, not a 502 later.
 */
function checkPythonHandler(interpreter: string, baseDir: string, config: FunctionConfig): string | undefined {
  const handler = config.handler!
  const dot = handler.lastIndexOf('.')
  const moduleName = handler.slice(0, dot).split('/').join('.')
  const run = spawnSync(interpreter, ['-B', '-c', PYTHON_CHECK, moduleName, handler.slice(dot + 1)], {
    cwd: baseDir,
    env: { ...process.env, ...config.environment },
    encoding: 'utf8',
    timeout: 10_000,
  })
  if (run.error) {
    const code = (run.error as NodeJS.ErrnoException).code
    return code === 'ENOENT'
      ? `the Python interpreter "${interpreter}" was not found (settings.python.interpreter or PORTICO_PYTHON)`
      : `checking the handler with ${interpreter} failed: ${run.error.message}`
  }
  if (run.status === 0) return undefined
  if (run.status === 3) return run.stderr.trim()
  const lastLine = run.stderr.trim().split('\n').at(-1) ?? `exit status ${run.status}`
  return `${interpreter} cannot import ${moduleName}: ${lastLine}`
}

/** What a config file was written in. */
export type ConfigFormat = 'portico' | 'serverless' | 'openapi'
import { nodeModuleLoader } from '../integrations/lambda/invoke-local-node.ts'
import { ConfigError, loadModel, type ConfigIssue, type GatewayModel, type LoadResult } from './load.ts'

// serverless.yml files use CloudFormation's short forms (!Ref x, !GetAtt a.b, !Sub '...'):
// read them as the long forms ({Ref: x}, {'Fn::GetAtt': [a, b]}) so they reach the importer.
const CFN_FUNCTIONS = ['Base64', 'Cidr', 'FindInMap', 'GetAZs', 'ImportValue', 'Join', 'Select', 'Split', 'Sub', 'Transform', 'If', 'Equals', 'Not', 'And', 'Or']
const longForm = (name: string) => (name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`)
const CLOUDFORMATION_TAGS: Tags = ['Ref', 'Condition', 'GetAtt', ...CFN_FUNCTIONS].flatMap((name): Tags => [
  {
    tag: `!${name}`,
    resolve: (value: string) => ({ [longForm(name)]: name === 'GetAtt' ? value.split('.') : value }),
  },
  { tag: `!${name}`, collection: 'seq', resolve: (seq: YAMLMap.Parsed | YAMLSeq.Parsed) => ({ [longForm(name)]: seq.toJSON() }) },
  { tag: `!${name}`, collection: 'map', resolve: (map: YAMLMap.Parsed | YAMLSeq.Parsed) => ({ [longForm(name)]: map.toJSON() }) },
])

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
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true, customTags: CLOUDFORMATION_TAGS })
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
/** How to read a config file. */
export interface LoadFileOptions {
  checkHandlers?: boolean
  version?: number
  /** serverless.yml: --stage; OpenAPI: the stage to serve. */
  stage?: string
  region?: string
  env?: Record<string, string | undefined>
  /** OpenAPI: Lambda function ARN or name → local "module.export". */
  lambdaMapping?: Record<string, string>
}

export async function loadConfigFile(
  file: string,
  opts: LoadFileOptions = {},
): Promise<LoadResult & { file: string; format: ConfigFormat; config: unknown }> {
  const path = resolve(file)
  const { data: document, locate } = await readConfigDocument(file, opts.version)
  let data = document
  let format: ConfigFormat = 'portico'
  const importWarnings: string[] = []
  let origin: ((path: (string | number)[]) => (string | number)[] | undefined) | undefined
  try {
    // A serverless.yml is recognised by its content, whatever the file is called.
    if (isServerlessDocument(document)) {
      const imported = importServerless(document, { stage: opts.stage, region: opts.region, env: opts.env ?? process.env, file })
      data = imported.config
      importWarnings.push(...imported.warnings)
      format = 'serverless'
    } else if (isOpenApiDocument(document)) {
      const imported = importOpenApi(document, { file, stage: opts.stage, lambdaMapping: opts.lambdaMapping })
      data = imported.config
      importWarnings.push(...imported.warnings)
      origin = imported.origin
      format = 'openapi'
    }
    const result = loadModel(data, { baseDir: dirname(path), source: file })
    result.warnings.unshift(...importWarnings)
    result.model.moduleVersion = opts.version
    if (opts.checkHandlers !== false) {
      // Import each local handler now: a missing module or export fails the load, not a request.
      // Python handlers are imported by their worker process on first use; their file must exist.
      const baseDir = dirname(path)
      const isPython = (name: string, config: FunctionConfig) => isPythonTarget({ name, config }, baseDir)
      const problems = await checkLocalHandlers(result.model.functions, nodeModuleLoader(baseDir, { version: opts.version }), isPython)
      for (const [name, { config }] of Object.entries(result.model.functions)) {
        if (!config.handler || !isPython(name, config)) continue
        const modulePath = config.handler.slice(0, config.handler.lastIndexOf('.'))
        if (modulePath.split('/').some((part) => part === '..' || part === '')) {
          // Python imports the module by its dotted name from the config's directory.
          problems.push({ path: ['functions', name, 'handler'], message: `a Python handler module must be inside the config's directory (no "..": ${modulePath})` })
          continue
        }
        const file = resolve(baseDir, modulePath + '.py')
        if (!existsSync(file) && !existsSync(resolve(baseDir, modulePath, '__init__.py'))) {
          problems.push({ path: ['functions', name, 'handler'], message: `no Python module ${modulePath}.py next to the config` })
          continue
        }
        const problem = checkPythonHandler(pythonInterpreter(result.model.settings, opts.env ?? process.env), baseDir, config)
        if (problem) problems.push({ path: ['functions', name, 'handler'], message: problem })
      }
      if (problems.length) throw new ConfigError(problems, file)
    }
    return { ...result, file: path, format, config: data }
  } catch (e) {
    if (e instanceof ConfigError) {
      const located = e.issues.map((i) => {
        // Problems in an imported document's translation point back into the document.
        const line = locate(origin ? (origin(i.path) ?? i.path) : i.path)
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
  opts: { config?: string; model?: GatewayModel; load?: LoadFileOptions },
  warn: (message: string) => void,
): Promise<GatewayModel> {
  if (opts.model) return opts.model
  if (!opts.config) throw new Error('a config file or a model is needed')
  const loaded = await loadConfigFile(opts.config, opts.load)
  for (const w of loaded.warnings) warn(w)
  return loaded.model
}
