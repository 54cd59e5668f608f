/**
 * The rows of the benchmark. A row names the server it loads, the request, what a correct
 * answer looks like (checked once before loading: a benchmark of 404s is worthless), and
 * its baselines: the first baseline row that ran in the same run is the one its req/s is
 * divided by, and `goal` is the least ratio that passes.
 *
 * Adding a row: a route in portico-config.ts (if it is a Portico route) and an entry here.
 */
import { PAYLOAD_TEXT } from './payload.ts'
import { BENCH_API_KEY, PORTICO_PATHS } from './portico-config.ts'
import { BENCH_TOKEN } from './jwt.ts'

export interface Baseline {
  /** Name of another scenario. */
  scenario: string
  /** Least req/s ratio to that scenario that passes; none: reported only. */
  goal?: number
}

export interface Scenario {
  name: string
  /** Id of a server in servers.ts. */
  server: string
  path: string
  method?: string
  headers?: Record<string, string>
  body?: string
  /** Expected status of every response. */
  status: number
  /** Checks one response body; returns a problem, or undefined when fine. */
  check?: (body: string) => string | undefined
  /** In order of preference. None: this row is the reference. */
  baselines?: Baseline[]
}

const sameJson = (body: string) => (body === PAYLOAD_TEXT ? undefined : `body is not the bench payload: ${body.slice(0, 200)}`)
const fromBackend = (body: string) => (body.includes('"backend":"users-example"') ? undefined : `body is not the backend's: ${body.slice(0, 200)}`)

export const SCENARIOS: Scenario[] = [
  { name: 'backend direct', server: 'backend', path: '/hello', status: 200, check: fromBackend },
  {
    name: 'bare Hono (node-server)',
    server: 'hono',
    path: '/hello',
    status: 200,
    check: sameJson,
    baselines: [{ scenario: 'backend direct' }],
  },
  {
    name: 'Portico Lambda-proxy (local)',
    server: 'portico',
    path: PORTICO_PATHS.lambda,
    status: 200,
    check: sameJson,
    baselines: [{ scenario: 'bare Hono (node-server)', goal: 0.6 }],
  },
  {
    name: 'nginx -> backend',
    server: 'nginx',
    path: '/hello',
    status: 200,
    check: fromBackend,
    baselines: [{ scenario: 'backend direct' }],
  },
  {
    name: 'Portico HTTP-proxy -> backend',
    server: 'portico',
    path: PORTICO_PATHS.httpProxy,
    status: 200,
    check: fromBackend,
    baselines: [{ scenario: 'nginx -> backend', goal: 0.4 }, { scenario: 'backend direct' }],
  },
  {
    name: 'Portico API key',
    server: 'portico-keys',
    path: PORTICO_PATHS.apiKey,
    headers: { 'x-api-key': BENCH_API_KEY },
    status: 200,
    check: sameJson,
    // An API key check costs at most 25% of the same route without it.
    baselines: [{ scenario: 'Portico Lambda-proxy (local)', goal: 0.75 }],
  },
  {
    name: 'Portico API key + usage plan',
    server: 'portico',
    path: PORTICO_PATHS.apiKey,
    headers: { 'x-api-key': BENCH_API_KEY },
    status: 200,
    check: sameJson,
    // Key + usage plan (not limiting) keep >= 0.75x of the route without them.
    baselines: [{ scenario: 'Portico Lambda-proxy (local)', goal: 0.75 }],
  },
  {
    name: 'Portico HTTP API Lambda (1.0)',
    server: 'portico',
    path: PORTICO_PATHS.httpLambda,
    status: 200,
    check: sameJson,
    baselines: [{ scenario: 'bare Hono (node-server)' }],
  },
  {
    name: 'Portico HTTP API JWT (ES256)',
    server: 'portico',
    path: PORTICO_PATHS.jwt,
    headers: { authorization: `Bearer ${BENCH_TOKEN}` },
    status: 200,
    check: sameJson,
    // A JWT check (keys warm) costs at most 25% of the same route without it.
    baselines: [{ scenario: 'Portico HTTP API Lambda (1.0)', goal: 0.75 }],
  },
  {
    name: 'Portico cache hit (HTTP proxy)',
    server: 'portico',
    path: PORTICO_PATHS.cachedProxy,
    status: 200,
    check: fromBackend,
    // A hit costs no integration call: >= 2x the same route uncached.
    baselines: [{ scenario: 'Portico HTTP-proxy -> backend', goal: 2 }],
  },
  {
    name: 'Portico API key + usage plan (Redis)',
    server: 'portico-redis',
    path: PORTICO_PATHS.apiKey,
    headers: { 'x-api-key': BENCH_API_KEY },
    status: 200,
    check: sameJson,
    // Reported: the same route with every lookup and count in Redis, against the memory store.
    baselines: [{ scenario: 'Portico Lambda-proxy (local)' }],
  },
  {
    name: 'Portico HTTP-proxy -> backend (Redis)',
    server: 'portico-redis',
    path: PORTICO_PATHS.httpProxy,
    status: 200,
    check: fromBackend,
    // Reported: the uncached route with its throttle in Redis (one Redis round trip more).
    baselines: [{ scenario: 'Portico HTTP-proxy -> backend' }],
  },
  {
    name: 'Portico cache hit (Redis)',
    server: 'portico-redis',
    path: PORTICO_PATHS.cachedProxy,
    status: 200,
    check: fromBackend,
    // The same route uncached on the same store (its throttle is in Redis too), and the
    // memory server's uncached route for reference.
    baselines: [{ scenario: 'Portico HTTP-proxy -> backend (Redis)', goal: 2 }, { scenario: 'Portico HTTP-proxy -> backend' }],
  },
]
