/**
 * The servers a benchmark run can start, each in its own child process. A scenario names
 * the server it loads; run.ts starts only the servers some scenario needs (and what those
 * depend on), in dependency order.
 */
import { connect } from 'node:net'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, spawnChild, stopChild, waitReady, which, type Child } from './proc.ts'

const here = dirname(fileURLToPath(import.meta.url))

export interface RunningServer {
  id: string
  url: string
  pid: number
  stop(): Promise<void>
}

export interface ServerContext {
  /** Scratch directory of this run (removed afterwards). */
  tmpDir: string
  /** Server ids to run under `node --cpu-prof` (BENCH_PROFILE=portico,hono). */
  profile: Set<string>
  /** Where CPU profiles go. */
  profileDir: string
}

export interface ServerDef {
  id: string
  /** Servers that must run first; their URLs reach start(). */
  dependsOn?: string[]
  /** Why this server cannot run on this machine, or undefined when it can. */
  unavailable?(): Promise<string | undefined>
  start(deps: Record<string, RunningServer>, ctx: ServerContext): Promise<RunningServer>
}

/** A server implemented in bench/child.ts, run by this same Node binary. */
function nodeServer(id: string, dependsOn: string[] = [], env: (deps: Record<string, RunningServer>) => Record<string, string> = () => ({})): ServerDef {
  return {
    id,
    dependsOn,
    async start(deps, ctx) {
      const flags = ctx.profile.has(id) ? ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`, `--cpu-prof-name=${id}-${Date.now()}.cpuprofile`] : []
      if (flags.length) await mkdir(ctx.profileDir, { recursive: true })
      const child = spawnChild(id, process.execPath, [...flags, join(here, 'child.ts'), id], {
        env: { ...process.env, ...env(deps) },
        forwardStderr: true,
      })
      const url = await waitReady(child).catch(async (e) => {
        await stopChild(child, 'SIGKILL')
        throw e
      })
      return { id, url, pid: child.proc.pid!, stop: () => stopChild(child) }
    },
  }
}

/** nginx in the foreground (one worker, as Node is one thread) proxying to the backend over a keep-alive upstream. */
const nginx: ServerDef = {
  id: 'nginx',
  dependsOn: ['backend'],
  async unavailable() {
    if (process.env.BENCH_NGINX === '0') return 'BENCH_NGINX=0'
    return (await which('nginx')) ? undefined : 'nginx is not installed (apt-get install -y nginx)'
  },
  async start(deps, ctx) {
    const bin = (await which('nginx'))!
    const prefix = join(ctx.tmpDir, 'nginx')
    await mkdir(prefix, { recursive: true })
    const port = await freePort()
    const backend = new URL(deps.backend!.url)
    const conf = join(prefix, 'nginx.conf')
    await writeFile(conf, nginxConf(prefix, port, backend.host))
    const child = spawnChild('nginx', bin, ['-p', prefix, '-c', conf, '-e', join(prefix, 'error.log'), '-g', 'daemon off;'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      forwardStderr: true,
    })
    const url = `http://127.0.0.1:${port}`
    try {
      await waitHttp(url, child)
    } catch (e) {
      await stopChild(child, 'SIGKILL')
      throw e
    }
    // SIGTERM: fast shutdown, the master stops its worker before exiting.
    return { id: 'nginx', url, pid: child.proc.pid!, stop: () => stopChild(child, 'SIGTERM') }
  },
}

function nginxConf(prefix: string, port: number, backendHost: string): string {
  const tmp = (name: string) => join(prefix, name)
  return `# written by bench/servers.ts for one benchmark run
worker_processes 1;
pid ${tmp('nginx.pid')};
error_log ${tmp('error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${tmp('client_body')};
  proxy_temp_path ${tmp('proxy')};
  fastcgi_temp_path ${tmp('fastcgi')};
  uwsgi_temp_path ${tmp('uwsgi')};
  scgi_temp_path ${tmp('scgi')};
  # Node keeps client connections open without a request limit: so does nginx here.
  keepalive_requests 1000000;
  keepalive_timeout 65s;
  upstream backend {
    server ${backendHost};
    keepalive 64;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering on;
    }
  }
}
`
}

/** Polls until `url` answers any HTTP response. */
async function waitHttp(url: string, child: Child, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let exited: number | string | undefined
  void child.exited.then((c) => (exited = c))
  for (;;) {
    if (exited !== undefined) throw new Error(`${child.name} exited (${exited}) before it was ready:\n${child.stderrTail()}`)
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) })
      await res.arrayBuffer()
      return
    } catch {
      if (Date.now() > deadline) throw new Error(`${child.name} did not answer at ${url} within ${timeoutMs} ms:\n${child.stderrTail()}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

function redisUrl(): string {
  return process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
}

/** Every server a scenario may name. */
export const SERVERS: Record<string, ServerDef> = {
  backend: nodeServer('backend'),
  hono: nodeServer('hono'),
  portico: nodeServer('portico', ['backend'], (deps) => ({ BENCH_BACKEND_URL: deps.backend!.url })),
  // No usage plans: what the API key check alone costs.
  'portico-keys': nodeServer('portico-keys', ['backend'], (deps) => ({ BENCH_BACKEND_URL: deps.backend!.url, BENCH_USAGE_PLANS: '0' })),
  // Keys, plans, buckets, quotas and cached responses in Redis (BENCH_REDIS_URL, default local).
  'portico-redis': {
    ...nodeServer('portico-redis', ['backend'], (deps) => ({
      BENCH_BACKEND_URL: deps.backend!.url,
      BENCH_STORE: `${redisUrl()}?prefix=portico-bench-${process.pid}:`,
    })),
    async unavailable() {
      const { hostname, port } = new URL(redisUrl())
      const reachable = await new Promise<boolean>((resolve) => {
        const socket = connect(Number(port || 6379), hostname, () => {
          socket.end()
          resolve(true)
        })
        socket.once('error', () => resolve(false))
      })
      return reachable ? undefined : `no Redis at ${redisUrl()} (BENCH_REDIS_URL)`
    },
  },
  nginx,
}
