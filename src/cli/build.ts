/**
 * `portico build`: writes the module the Workers entry imports. workerd cannot read files or
 * import modules at run time, so the config is inlined as JSON and every local handler module
 * is imported statically, for wrangler's bundler to pull in.
 */
import { existsSync, statSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, relative, resolve, sep } from 'node:path'
import { ConfigError, loadModel, type ConfigIssue } from '../model/load.ts'
import { loadConfigFile, readConfigDocument, type LoadFileOptions } from '../model/load-file.ts'
import { parseHandler } from '../integrations/lambda/invoke-local.ts'
import { isPythonTarget } from '../integrations/lambda/invoke-python.ts'
import { isStandardSchema } from '../model/validation-schema.ts'

/** Tried in this order, as the Node loader does, so a TypeScript source wins over built JS. */
const EXTENSIONS = ['.ts', '.mts', '.mjs', '.js', '.cjs']

/** Where `portico build` writes by default; src/runtime/workers/index.ts imports this path. */
export const DEFAULT_ENTRY = '.portico/entry.generated.ts'

/**
 * Validates `configFile` and writes the Workers entry module to `outFile`: `config` (the
 * config as JSON), `modules` (each local handler's module path, as written in the config, to
 * the imported module) and `source` (the config path, for messages). The file is only
 * rewritten when its content changes, so `wrangler dev` does not reload for nothing.
 * @param configFile YAML, JSON or TS config; handler paths resolve against its directory
 * @param outFile the module to write
 * @returns the absolute path of the module
 * @throws ConfigError when the config is invalid or a handler module does not exist
 */
export async function buildWorkersEntry(
  configFile: string,
  outFile: string = DEFAULT_ENTRY,
  opts: { load?: LoadFileOptions; worker?: string } = {},
): Promise<string> {
  const configPath = resolve(configFile)
  const { locate } = await readConfigDocument(configPath)
  const withLines = (issues: ConfigIssue[]) =>
    issues.map((i) => {
      const line = locate(i.path)
      return line ? { ...i, message: `${i.message} (line ${line})` } : i
    })
  // The same reading as portico start (serverless.yml and OpenAPI translated); handlers are
  // not imported here, only found: the bundle imports them.
  const file = await loadConfigFile(configFile, { ...opts.load, checkHandlers: false })
  for (const warning of file.warnings) console.error(`warning: ${warning}`)
  // A zod model is code: JSON would turn it into an empty object that accepts everything.
  const zodModels: ConfigIssue[] = []
  ;((file.config as { apis?: { models?: Record<string, unknown> }[] }).apis ?? []).forEach((api, i) => {
    for (const [name, model] of Object.entries(api.models ?? {})) {
      if (isStandardSchema(model)) {
        zodModels.push({
          path: ['apis', i, 'models', name],
          message: `a zod schema cannot be bundled for Workers (the config is inlined as JSON): give the model as JSON Schema, e.g. z.toJSONSchema(schema, { target: 'draft-04' })`,
        })
      }
    }
  })
  if (zodModels.length) throw new ConfigError(zodModels, configFile)
  // The Worker loads the JSON form, so that is the form validated here.
  const config: unknown = JSON.parse(JSON.stringify(file.config))
  let loaded: ReturnType<typeof loadModel>
  try {
    loaded = loadModel(config, { source: configFile })
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(withLines(e.issues), configFile)
    throw e
  }

  const configDir = dirname(configPath)
  const outPath = resolve(outFile)
  const outDir = dirname(outPath)
  const imports = new Map<string, string>()
  const issues: ConfigIssue[] = []
  for (const [name, fn] of Object.entries(loaded.model.functions)) {
    const handler = fn.config.handler
    if (handler === undefined) continue
    const { modulePath } = parseHandler(handler)
    if (isPythonTarget({ name, config: fn.config }, configDir)) {
      issues.push({
        path: ['functions', name, 'handler'],
        message: `function "${name}": Python handlers (${modulePath}.py) need Node or Bun (portico start, or bun); Cloudflare Workers cannot start a Python process`,
      })
      continue
    }
    if (imports.has(modulePath)) continue
    const file = findModule(resolve(configDir, modulePath))
    if (!file) {
      issues.push({
        path: ['functions', name, 'handler'],
        message: `function "${name}": no module file for "${modulePath}" next to ${configFile} (tried ${EXTENSIONS.join(', ')})`,
      })
      continue
    }
    imports.set(modulePath, importSpecifier(outDir, file))
  }
  if (issues.length) throw new ConfigError(withLines(issues), configFile)

  const text = render(config, imports, toPosix(relative(process.cwd(), configPath)))
  await writeIfChanged(outPath, text)
  if (opts.worker) await writeWorkerModule(resolve(opts.worker), outPath)
  return outPath
}

/**
 * A project's Worker module (wrangler.toml's `main`): Portico's Worker for the generated entry,
 * with the Durable Object classes the stores use. Written by `portico build --worker <file>`.
 */
async function writeWorkerModule(workerPath: string, entryPath: string): Promise<void> {
  const entry = importSpecifier(dirname(workerPath), entryPath)
  const text = [
    '// Generated by portico build: the Worker for the generated entry. Do not edit.',
    `import * as entry from '${entry}'`,
    "import { createWebSocketHub, createWorker } from 'portico/workers'",
    "export { PorticoRateLimiter, PorticoQuotaCounter, PorticoKeyStore } from 'portico/workers'",
    'export const PorticoWebSocketHub = createWebSocketHub(entry)',
    'export default createWorker(entry)',
    '',
  ].join('\n')
  await writeIfChanged(workerPath, text)
}

/** Writes only when the content changed: wrangler dev watches these files and rebuilds. */
async function writeIfChanged(path: string, text: string): Promise<void> {
  const previous = await readFile(path, 'utf8').catch(() => undefined)
  if (previous === text) return
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, text)
}

function findModule(base: string): string | undefined {
  // A path that already names the file (handler "lib/users.mjs.get") is tried last.
  for (const file of [...EXTENSIONS.map((ext) => base + ext), base]) {
    if (existsSync(file) && statSync(file).isFile()) return file
  }
  return undefined
}

function importSpecifier(fromDir: string, file: string): string {
  const rel = toPosix(relative(fromDir, file))
  return rel.startsWith('.') ? rel : `./${rel}`
}

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/')
}

function render(config: unknown, imports: Map<string, string>, source: string): string {
  const lines = [
    `// Generated by \`portico build\` from ${source}. Do not edit: every build rewrites it.`,
    '// Imported by src/runtime/workers/index.ts; workerd cannot load handler files at run time.',
  ]
  const names: [string, string][] = []
  let n = 0
  for (const [modulePath, specifier] of imports) {
    const id = `handler${n++}`
    names.push([modulePath, id])
    lines.push(`import * as ${id} from ${JSON.stringify(specifier)}`)
  }
  lines.push(
    '',
    `export const source = ${JSON.stringify(source)}`,
    '',
    `export const config: unknown = ${JSON.stringify(config, null, 2)}`,
    '',
    'export const modules: Record<string, Record<string, unknown>> = {',
    ...names.map(([modulePath, id]) => `  ${JSON.stringify(modulePath)}: ${id},`),
    '}',
    '',
  )
  return lines.join('\n')
}
