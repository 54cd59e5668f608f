/** Builds the WebSocket test Worker's entry from the fixture config (vitest globalSetup, in Node). */
import { buildWorkersEntry } from '../../../src/cli/build.ts'

export default async function setup(): Promise<void> {
  await buildWorkersEntry('test/fixtures/websocket/portico.yaml', '.portico/websocket-entry.generated.ts')
}
