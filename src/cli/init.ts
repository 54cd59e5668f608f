/**
 * `portico init [dir]`: scaffolds a working project: one route on a local Lambda handler, a
 * test that serves it through a real socket, a wrangler.toml for Workers, and npm scripts.
 */
import { existsSync, readdirSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const INIT_HELP = `portico init [dir] [--name <name>]

Creates a project in dir (default: the current directory, which must be empty):
  portico.yaml      a REST API with GET /prod/hello on a local Lambda handler
  hello.mjs         the handler
  hello.test.mjs    a test serving the API on a real socket (node --test)
  wrangler.toml     Cloudflare Workers: npx wrangler dev / deploy
  package.json      npm start, npm test, npm run dev:workers; depends on this Portico checkout
Then: cd dir && npm install && npm test && npm start`

/** The Portico checkout this command runs from (the scaffold depends on it by path). */
function porticoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../..')
}

/** Writes the scaffold; returns the files written. Throws when dir is not empty. */
export async function scaffold(dir: string, name = basename(resolve(dir))): Promise<string[]> {
  const root = resolve(dir)
  if (existsSync(root) && readdirSync(root).length > 0) {
    throw new Error(`${root} is not empty: portico init writes into a new or empty directory`)
  }
  const safeName = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'portico-api'
  const files: Record<string, string> = {
    'package.json':
      JSON.stringify(
        {
          name: safeName,
          private: true,
          type: 'module',
          scripts: {
            start: 'portico start --config portico.yaml',
            test: 'node --test',
            'dev:workers': 'wrangler dev',
          },
          dependencies: { portico: `file:${porticoRoot()}` },
          // Portico's sources are TypeScript run by Node's type stripping: Node 22.18 or later.
          devDependencies: { node: '^22.18.0', wrangler: '^4.156.2' },
          engines: { node: '>=22.18' },
          // npm 11 runs dependencies' install scripts only when allowed: these fetch binaries.
          allowScripts: { node: true, workerd: true, esbuild: true },
        },
        null,
        2,
      ) + '\n',
    'portico.yaml': `# yaml-language-server: $schema=node_modules/portico/schema/portico.schema.json
# One REST API (stage prod) with one route on a local Lambda handler (payload 1.0).
functions:
  hello:
    handler: hello.handler
    timeout: 6

apis:
  - name: ${safeName}
    type: REST
    stages:
      - name: prod
    routes:
      - method: GET
        path: /hello
        integration: { type: lambda, function: hello }
`,
    'hello.mjs': `// A Lambda proxy handler, as API Gateway calls it: event in, {statusCode, headers, body} out.
export async function handler(event) {
  const name = event.queryStringParameters?.name ?? 'world'
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ message: \`Hello, \${name}!\`, requestId: event.requestContext.requestId }),
  }
}
`,
    'hello.test.mjs': `// Serves portico.yaml on a free port and calls it, as a client would.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { startNode } from 'portico/node'

test('GET /prod/hello answers through the Lambda handler', async () => {
  const gateway = await startNode({ config: fileURLToPath(new URL('./portico.yaml', import.meta.url)), port: 0 })
  try {
    const res = await fetch(\`\${gateway.url}/prod/hello?name=Ada\`)
    assert.equal(res.status, 200)
    const body = await res.json()
    assert.equal(body.message, 'Hello, Ada!')
    assert.equal(body.requestId, res.headers.get('x-amzn-requestid'))
    const missing = await fetch(\`\${gateway.url}/prod/nope\`)
    assert.equal(missing.status, 403)
  } finally {
    await gateway.close()
  }
})
`,
    'wrangler.toml': `# Cloudflare Workers: \`npm run dev:workers\` (wrangler dev) serves portico.yaml under workerd.
# The build step bundles the config and the handlers (workerd cannot read files at run time).
name = "${safeName}"
main = ".portico/worker.ts"
compatibility_date = "2026-08-01"
compatibility_flags = ["nodejs_compat"]

[build]
command = "portico build --config portico.yaml --out .portico/entry.generated.ts --worker .portico/worker.ts"
watch_dir = ["."]

[dev]
port = 8787
ip = "127.0.0.1"
`,
    '.gitignore': 'node_modules/\n.portico/\n.wrangler/\n',
  }
  await mkdir(root, { recursive: true })
  for (const [file, text] of Object.entries(files)) await writeFile(join(root, file), text)
  return Object.keys(files)
}

/** `portico init` as a command; resolves to the exit code. */
export async function initCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(INIT_HELP)
    return 0
  }
  const nameAt = argv.indexOf('--name')
  const name = nameAt >= 0 ? argv[nameAt + 1] : undefined
  const rest = argv.filter((a, i) => a !== '--name' && (nameAt < 0 || i !== nameAt + 1))
  if (rest.length > 1 || rest.some((a) => a.startsWith('-'))) {
    console.error(`portico init: unexpected arguments ${rest.join(' ')}\n\n${INIT_HELP}`)
    return 1
  }
  const dir = rest[0] ?? '.'
  try {
    const files = await scaffold(dir, name)
    console.log(`created ${files.join(', ')} in ${resolve(dir)}\nnext: ${dir === '.' ? '' : `cd ${dir} && `}npm install && npm test && npm start`)
    return 0
  } catch (e) {
    console.error(`portico init: ${(e as Error).message}`)
    return 1
  }
}
