/**
 * Portico's bench config: one REST API (stage prod) with a Lambda-proxy route on the local
 * handler in bench/handler.ts and an HTTP-proxy route to the trivial backend. Access log
 * off, so logging is not measured. New bench routes (JWT, API key, cache ...) go here, with
 * a scenario in scenarios.ts.
 */
import type { PorticoConfigInput } from '../src/model/schema.ts'

/** Paths under Portico's URL (REST: /{stage}/...). */
export const PORTICO_PATHS = {
  lambda: '/prod/lambda',
  httpProxy: '/prod/proxy/hello',
}

/** @param backendUrl the trivial backend, e.g. http://127.0.0.1:40123 */
export function benchConfig(backendUrl: string): PorticoConfigInput {
  return {
    settings: { accessLog: { enabled: false } },
    functions: {
      hello: { handler: 'handler.hello' },
    },
    apis: [
      {
        name: 'bench',
        type: 'REST',
        stages: [{ name: 'prod' }],
        routes: [
          { method: 'GET', path: '/lambda', integration: { type: 'lambda', function: 'hello' } },
          { method: 'ANY', path: '/proxy/{proxy+}', integration: { type: 'http_proxy', uri: `${backendUrl}/{proxy}` } },
        ],
      },
    ],
  }
}
