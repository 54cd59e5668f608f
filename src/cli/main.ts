/**
 * The `portico` command: start | validate | routes | build | schema.
 */
import { parseArgs } from 'node:util'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { ConfigError, formatIssue, type GatewayModel } from '../model/load.ts'
import { loadConfigFile, type LoadFileOptions } from '../model/load-file.ts'
import { configJsonSchema } from '../model/json-schema.ts'
import { REFERENCE_START, withReference } from '../model/reference.ts'
import { routeTable, formatTable } from './routes.ts'

const HELP: Record<string, string> = {
  main: `portico: AWS API Gateway, portable (Node.js, Bun, Cloudflare Workers)

Usage: portico <command> [options]

Commands:
  init       scaffold a project: one route, one test, a wrangler.toml
  start      serve a config on Node.js
  validate   check a config; print each problem with its field path; exit 1 if any
  routes     print the route table
  build      generate the Workers entry (bundles the config and local handlers)
  schema     write the config's JSON Schema (for editor completion)
  export     write the running model as OpenAPI with x-amazon-apigateway-* extensions
  keys       create, list and revoke API keys (against a running gateway or a store)
  usage      show a usage plan's usage per key and day (get-usage)

Run "portico <command> --help" for a command's options.
Config files: portico.yaml, portico.yml, portico.json or portico.config.ts in the current
directory, unless --config names one. A serverless.yml (recognised by its content) and an
OpenAPI 3 document with x-amazon-apigateway-* extensions are read too:
  --stage <name>            serverless: the stage (default provider.stage, then dev);
                            OpenAPI: the stage to serve
  --region <name>           serverless: the region
  --lambda-mapping a=m.fn   OpenAPI: run Lambda function a (name or ARN) as local handler m.fn
                            (repeatable)`,
  start: `portico start [--config <file>] [--port 8787] [--host 127.0.0.1] [--store <spec>] [--watch] [--quiet]

Serves the config on Node.js. PORT and HOST are read from the environment too.
--store (or PORTICO_STORE, else settings.store) picks where keys, plans, limits, quotas and
caches live: memory, sqlite:<path>, redis://host:port, rediss://... or upstash
(UPSTASH_REDIS_REST_URL / UPSTASH_REDIS_REST_TOKEN).
--watch reloads the config and local handlers when files next to the config change; in-flight
requests finish on the version they started with, and a config that no longer loads keeps the
running version (the log says why).
--quiet (or PORTICO_QUIET=1) turns off the access log.`,
  validate: `portico validate [--config <file>]

Loads the config and prints each problem as "path: message (line N)". Exits 1 when the
config is invalid, 0 when it can be served.`,
  routes: `portico routes [--config <file>]

Prints every route: API, stage URL, method, path, integration, and the auth, API key, cache
and throttle columns (filled in as those features are configured).`,
  build: `portico build [--config <file>] [--out .portico/entry.generated.ts] [--worker .portico/worker.ts]

Writes the module the Workers entry imports: the config and static imports of every local
handler (workerd cannot load files at run time). wrangler.toml runs it before each build.
--worker also writes a Worker module for a project of your own (wrangler.toml's main): it
imports Portico's Worker from the portico package ("portico/workers").`,
  schema: `portico schema [--out schema/portico.schema.json]

Writes the JSON Schema of the config format; reference it as $schema in your config. In a
directory whose README.md has the config-reference markers, it regenerates that section too.`,
}

const DEFAULT_CONFIGS = ['portico.yaml', 'portico.yml', 'portico.json', 'portico.config.ts']

function findConfig(given: string | undefined): string {
  if (given) return given
  const found = DEFAULT_CONFIGS.find((f) => existsSync(f))
  if (!found) throw new CliError(`no config file: pass --config <file> or create one of ${DEFAULT_CONFIGS.join(', ')}`)
  return found
}

class CliError extends Error {}

let loadOptions: LoadFileOptions = {}

async function load(file: string): Promise<GatewayModel> {
  const { model, warnings } = await loadConfigFile(file, loadOptions)
  for (const w of warnings) console.error(`warning: ${w}`)
  return model
}

/** Runs the CLI with the given arguments; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const command = argv[0]
  // These parse their own options.
  if (command === 'keys') return (await import('./keys.ts')).keysCommand(argv.slice(1))
  if (command === 'usage') return (await import('./usage.ts')).usageCommand(argv.slice(1))
  if (command === 'export') return (await import('../exporters/cli.ts')).exportCommand(argv.slice(1))
  if (command === 'init') return (await import('./init.ts')).initCommand(argv.slice(1))
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP.main)
    return command ? 0 : 1
  }
  if (!(command in HELP) || command === 'main') {
    console.error(`portico: unknown command "${command}"\n\n${HELP.main}`)
    return 1
  }
  let values: Record<string, string | boolean | string[] | undefined>
  try {
    values = parseArgs({
      args: argv.slice(1),
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        out: { type: 'string', short: 'o' },
        quiet: { type: 'boolean', short: 'q' },
        watch: { type: 'boolean', short: 'w' },
        store: { type: 'string' },
        stage: { type: 'string' },
        region: { type: 'string' },
        'lambda-mapping': { type: 'string', multiple: true },
        worker: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values
  } catch (e) {
    console.error(`portico ${command}: ${(e as Error).message}\n\n${HELP[command]}`)
    return 1
  }
  if (values.help) {
    console.log(HELP[command])
    return 0
  }
  const mapping: Record<string, string> = {}
  for (const pair of (values['lambda-mapping'] as unknown as string[] | undefined) ?? []) {
    const eq = pair.indexOf('=')
    if (eq <= 0 || eq === pair.length - 1) {
      console.error(`portico ${command}: --lambda-mapping takes function=module.export, not "${pair}"`)
      return 1
    }
    mapping[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  loadOptions = {
    stage: values.stage as string | undefined,
    region: values.region as string | undefined,
    lambdaMapping: Object.keys(mapping).length ? mapping : undefined,
  }
  try {
    switch (command) {
      case 'validate': {
        const file = findConfig(values.config as string | undefined)
        const model = await load(file)
        const routes = model.apis.reduce((n, a) => n + a.routes.length, 0)
        console.log(`${file}: OK (${model.apis.length} API${model.apis.length === 1 ? '' : 's'}, ${routes} route${routes === 1 ? '' : 's'})`)
        return 0
      }
      case 'routes': {
        const model = await load(findConfig(values.config as string | undefined))
        console.log(formatTable(routeTable(model)))
        return 0
      }
      case 'schema': {
        const out = resolve((values.out as string | undefined) ?? 'schema/portico.schema.json')
        await mkdir(dirname(out), { recursive: true })
        await writeFile(out, JSON.stringify(configJsonSchema(), null, 2) + '\n')
        console.log(`wrote ${out}`)
        // In this repository, the README's config reference is generated from the same schema.
        if (existsSync('README.md') && existsSync('src/model/reference.ts')) {
          const readme = await readFile('README.md', 'utf8')
          if (readme.includes(REFERENCE_START)) {
            await writeFile('README.md', withReference(readme))
            console.log('updated the config reference in README.md')
          }
        }
        return 0
      }
      case 'build': {
        const { buildWorkersEntry } = await import('./build.ts')
        const file = findConfig(values.config as string | undefined)
        const out = await buildWorkersEntry(file, (values.out as string | undefined) ?? '.portico/entry.generated.ts', {
          load: loadOptions,
          worker: values.worker as string | undefined,
        })
        console.log(`wrote ${out}`)
        return 0
      }
      case 'start': {
        const file = findConfig(values.config as string | undefined)
        const port = Number(values.port ?? process.env.PORT ?? 8787)
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be a port number, not "${values.port}"`)
        if (values.quiet) process.env.PORTICO_QUIET = '1'
        const { startNode } = await import('../runtime/node/index.ts')
        const running = await startNode({
          config: file,
          port,
          hostname: (values.host as string | undefined) ?? process.env.HOST,
          watch: Boolean(values.watch),
          store: values.store as string | undefined,
          load: loadOptions,
        })
        console.error(banner(running.gateway.model, running.url, file, running.store))
        const stop = () => {
          running.close().then(() => process.exit(0))
        }
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
        return -1
      }
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message.split('\n')[0])
      for (const issue of e.issues) console.error(`  ${formatIssue(issue)}`)
      return 1
    }
    if (e instanceof CliError) {
      console.error(`portico ${command}: ${e.message}`)
      return 1
    }
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE') {
      console.error(`portico ${command}: the port is already in use (${(e as Error).message}); pick another with --port`)
      return 1
    }
    // Operational failures (an unreachable store, a key variable not set) read as one line;
    // PORTICO_DEBUG=1 shows the stack.
    console.error(`portico ${command}: ${e instanceof Error ? e.message : String(e)}`)
    if (process.env.PORTICO_DEBUG === '1' && e instanceof Error) console.error(e.stack)
    return 1
  }
  return 0
}

/** The start-up banner: where to call, and every route. */
export function banner(model: GatewayModel, url: string, file: string, store = 'memory'): string {
  const rows = routeTable(model, url)
  const admin = process.env.PORTICO_ADMIN_TOKEN ? `\nAdmin API: ${url}${model.settings.admin.pathPrefix} (Bearer PORTICO_ADMIN_TOKEN)` : ''
  return `\nPortico is serving ${file} at ${url} (store: ${store})${admin}\n\n${formatTable(rows)}\n`
}
