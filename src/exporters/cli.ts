/**
 * `portico export openapi`: loads a config and writes one API as OpenAPI 3.0 with API
 * Gateway's extensions, as YAML (default) or JSON, to stdout or a file.
 */
import { parseArgs } from 'node:util'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { stringify } from 'yaml'
import { ConfigError, formatIssue } from '../model/load.ts'
import { loadConfigFile } from '../model/load-file.ts'
import { ExportError, exportOpenApiDocument } from './openapi.ts'

/** The --help text of `portico export` (for the main help too). */
export const EXPORT_HELP = `portico export openapi [--config <file>] [--api <name>] [--out <file>] [--format yaml|json]
                       [--stage <name>] [--region <name>] [--lambda-mapping fn=module.export]

Writes an API of the config as OpenAPI 3.0 with API Gateway's extensions
(x-amazon-apigateway-integration, -authorizer, -gateway-responses, ...): what
"aws apigateway get-export --export-type oas30" gives, and what Portico imports back.
--api names the API when the config has several. The format follows --out's extension
(.json is JSON), else --format, else YAML. What the extensions cannot carry (stage
variables, throttles, local handler paths, ...) is listed on stderr.`

/** The config files looked for without --config, as the other commands do. */
const DEFAULT_CONFIGS = ['portico.yaml', 'portico.yml', 'portico.json', 'portico.config.ts']

/**
 * Runs `portico export <argv>` (argv without "export", e.g. ['openapi', '--config', 'f.yaml']);
 * resolves to the exit code.
 */
export async function exportCommand(argv: string[]): Promise<number> {
  const [target, ...rest] = argv
  if (target === '--help' || target === '-h' || target === undefined) {
    console.log(EXPORT_HELP)
    return target === undefined ? 1 : 0
  }
  if (target !== 'openapi') {
    console.error(`portico export: unknown format "${target}" (openapi is the one there is)\n\n${EXPORT_HELP}`)
    return 1
  }
  let values: { config?: string; api?: string; out?: string; format?: string; help?: boolean; stage?: string; region?: string; 'lambda-mapping'?: string[] }
  try {
    values = parseArgs({
      args: rest,
      options: {
        config: { type: 'string', short: 'c' },
        api: { type: 'string' },
        out: { type: 'string', short: 'o' },
        format: { type: 'string' },
        // The same reader options as start / validate (a serverless.yml's stage, ...).
        stage: { type: 'string' },
        region: { type: 'string' },
        'lambda-mapping': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values
  } catch (e) {
    console.error(`portico export: ${(e as Error).message}\n\n${EXPORT_HELP}`)
    return 1
  }
  if (values.help) {
    console.log(EXPORT_HELP)
    return 0
  }
  const format = values.out?.toLowerCase().endsWith('.json') ? 'json' : (values.format ?? 'yaml')
  if (format !== 'yaml' && format !== 'json') {
    console.error(`portico export: --format is yaml or json, not "${format}"`)
    return 1
  }
  const file = values.config ?? DEFAULT_CONFIGS.find((f) => existsSync(f))
  if (!file) {
    console.error(`portico export: no config file: pass --config <file> or create one of ${DEFAULT_CONFIGS.join(', ')}`)
    return 1
  }
  try {
    // Exporting runs no handler, so a handler that cannot be imported here does not stop it.
    const lambdaMapping: Record<string, string> = {}
    for (const pair of values['lambda-mapping'] ?? []) {
      const eq = pair.indexOf('=')
      if (eq <= 0) throw new Error(`--lambda-mapping takes function=module.export, not "${pair}"`)
      lambdaMapping[pair.slice(0, eq)] = pair.slice(eq + 1)
    }
    const { model, warnings } = await loadConfigFile(file, {
      checkHandlers: false,
      stage: values.stage,
      region: values.region,
      lambdaMapping: Object.keys(lambdaMapping).length ? lambdaMapping : undefined,
    })
    for (const w of warnings) console.error(`warning: ${w}`)
    const { document, omitted } = exportOpenApiDocument(model, { api: values.api })
    for (const o of omitted) console.error(`not exported: ${o}`)
    // YAML 1.1 quoting, so readers that still use 1.1 (PyYAML) keep "2012-10-17" a string.
    const text = format === 'json' ? JSON.stringify(document, null, 2) + '\n' : stringify(document, { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' })
    if (values.out) {
      const out = resolve(values.out)
      await mkdir(dirname(out), { recursive: true })
      await writeFile(out, text)
      console.error(`wrote ${out}`)
    } else {
      process.stdout.write(text)
    }
    return 0
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message.split('\n')[0])
      for (const issue of e.issues) console.error(`  ${formatIssue(issue)}`)
      return 1
    }
    if (e instanceof ExportError) {
      console.error(`portico export: ${e.message}`)
      return 1
    }
    throw e
  }
}
