import { defineConfig } from 'vitest/config'
import { cloudflareTest } from '@cloudflare/vitest-plugin'

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/workers/**', 'node_modules/**'],
          environment: 'node',
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        // Runs inside workerd, through the Worker entry wrangler.toml names.
        plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.toml' } })],
        test: {
          name: 'workers',
          include: ['test/workers/**/*.test.ts'],
          exclude: ['test/workers/websocket/**'],
          // Writes .portico/entry.generated.ts (wrangler's build command does not run here),
          // so the project also works when run on its own, without `npm test`'s pretest.
          globalSetup: ['test/workers/global-setup.ts'],
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        // WebSocket APIs inside workerd: their own Worker (the fixture config, the hub bound).
        plugins: [cloudflareTest({ wrangler: { configPath: './test/workers/websocket/wrangler.toml' } })],
        test: {
          name: 'workers-websocket',
          include: ['test/workers/websocket/**/*.test.ts'],
          globalSetup: ['test/workers/websocket/global-setup.ts'],
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
})
