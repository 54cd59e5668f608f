#!/usr/bin/env node
// The portico command. Sources are TypeScript run by Node's built-in type stripping (Node >= 22.18).
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`portico needs Node.js >= 22.18 (this is ${process.version}). In this repository, run it through npm scripts or npx, which use the bundled Node 22.`)
  process.exit(1)
}
process.removeAllListeners('warning')
process.on('warning', (w) => {
  if (w.name !== 'ExperimentalWarning') console.warn(w)
})
const { main } = await import('../src/cli/main.ts')
const code = await main(process.argv.slice(2))
if (code >= 0) process.exitCode = code
