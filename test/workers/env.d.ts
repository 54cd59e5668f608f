// Types `exports` from 'cloudflare:workers' (and ctx.exports) as the Worker entry's exports.
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import('../../src/runtime/workers/index.ts')
  }
}
