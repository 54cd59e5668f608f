/**
 * Generates the Workers entry before the workers project starts: the vitest plugin reads
 * wrangler.toml but does not run its [build] command.
 */
import { buildWorkersEntry } from '../../src/cli/build.ts'

/** vitest globalSetup: runs once, in Node, before any test file. */
export default async function setup(): Promise<void> {
  // Always the example: the tests check its answers, whatever PORTICO_CONFIG says.
  await buildWorkersEntry('examples/users/portico.yaml', '.portico/entry.generated.ts')
}
