/**
 * Portico's bench config: one REST API (stage prod) with a Lambda-proxy route on the local
 * handler in bench/handler.ts and an HTTP-proxy route to the trivial backend. Access log
 * off, so logging is not measured. New bench routes (JWT, API key, cache ...) go here, with
 * a scenario in scenarios.ts.
 */
import type { PorticoConfigInput } from '../src/model/schema.ts'
import { BENCH_ISSUER, BENCH_JWK } from './jwt.ts'

/** Paths under Portico's URL (REST: /{stage}/...). */
export const PORTICO_PATHS = {
  lambda: '/prod/lambda',
  httpProxy: '/prod/proxy/hello',
  /**
   * The Lambda route behind an API key (the value below) in a usage plan whose throttle and
   * quota are far from limiting: API key check, plan lookup, token bucket and quota count.
   */
  apiKey: '/prod/keyed',
  /** HTTP API: the same Lambda route, then behind a JWT authorizer. */
  httpLambda: '/h/lambda',
  jwt: '/h/jwt',
  /** The HTTP-proxy route on a stage with caching on. */
  cachedProxy: '/cached/proxy/hello',
}

export const BENCH_API_KEY = 'bench-key-0123456789abcdef'

/** @param backendUrl the trivial backend, e.g. http://127.0.0.1:40123 */
export function benchConfig(backendUrl: string, opts: { usagePlans?: boolean } = {}): PorticoConfigInput {
  const config: PorticoConfigInput = {
    // Far above what a benchmark sends: the account throttle (AWS default 10,000/s) would answer 429s.
    settings: { accessLog: { enabled: false }, throttle: { rateLimit: 1_000_000, burstLimit: 1_000_000 } },
    functions: {
      hello: { handler: 'handler.hello' },
    },
    apiKeys: [{ name: 'bench', value: BENCH_API_KEY }],
    usagePlans: [
      {
        name: 'bench-plan',
        throttle: { rateLimit: 1_000_000, burstLimit: 1_000_000 },
        quota: { limit: 2_000_000_000, period: 'DAY' },
        apiStages: [{ api: 'bench', stage: 'prod' }],
        apiKeys: ['bench'],
      },
    ],
    apis: [
      {
        name: 'bench',
        type: 'REST',
        stages: [{ name: 'prod' }, { name: 'cached', cache: { enabled: true, ttlInSeconds: 3600 } }],
        routes: [
          { method: 'GET', path: '/lambda', integration: { type: 'lambda', function: 'hello' } },
          { method: 'ANY', path: '/proxy/{proxy+}', integration: { type: 'http_proxy', uri: `${backendUrl}/{proxy}` } },
          { method: 'GET', path: '/keyed', apiKeyRequired: true, integration: { type: 'lambda', function: 'hello' } },
        ],
      },
      {
        name: 'bench-http',
        type: 'HTTP',
        basePath: '/h',
        authorizers: { jwt: { type: 'jwt', issuer: BENCH_ISSUER, audience: ['bench'], jwks: { keys: [BENCH_JWK] } } },
        routes: [
          { route: 'GET /lambda', integration: { type: 'lambda', function: 'hello', payloadFormatVersion: '1.0' } },
          { route: 'GET /jwt', authorization: { authorizer: 'jwt' }, integration: { type: 'lambda', function: 'hello', payloadFormatVersion: '1.0' } },
        ],
      },
    ],
  }
  // Without plans: the API key check alone (keys need no plan when none exist, as on AWS).
  if (opts.usagePlans === false) delete config.usagePlans
  return config
}
