/**
 * Child processes of the benchmark: spawning, waiting for readiness, stopping, and making
 * sure none outlives the run (every live child is killed on exit, error or Ctrl-C).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { createInterface } from 'node:readline'
import { createServer } from 'node:net'
import { access, constants } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'

const live = new Set<ChildProcess>()

/** A spawned child; stderr is kept (last lines) for error messages. */
export interface Child {
  name: string
  proc: ChildProcess
  /** Last lines the child wrote to stderr. */
  stderrTail(): string
  /** Resolves with the exit code (or signal name) once the child has exited. */
  exited: Promise<number | string>
}

export function spawnChild(name: string, command: string, args: string[], opts: SpawnOptions & { forwardStderr?: boolean } = {}): Child {
  const proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...opts })
  live.add(proc)
  const tail: string[] = []
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => {
      live.delete(proc)
      resolve(code ?? signal ?? 'unknown')
    })
    proc.once('error', (e) => {
      live.delete(proc)
      tail.push(String(e.message))
      resolve('spawn error')
    })
  })
  if (proc.stderr) {
    createInterface({ input: proc.stderr }).on('line', (line) => {
      tail.push(line)
      if (tail.length > 30) tail.shift()
      if (opts.forwardStderr) process.stderr.write(`[${name}] ${line}\n`)
    })
  }
  return { name, proc, exited, stderrTail: () => tail.join('\n') }
}

/** Waits for the child's `{"ready": url}` line on stdout. */
export function waitReady(child: Child, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not report ready within ${timeoutMs} ms`), timeoutMs)
    const fail = (why: string) => {
      clearTimeout(timer)
      const tail = child.stderrTail()
      reject(new Error(`${child.name} ${why}${tail ? `:\n${tail}` : ''}`))
    }
    void child.exited.then((code) => fail(`exited (${code}) before it was ready`))
    createInterface({ input: child.proc.stdout! }).on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { ready?: string }
        if (msg.ready) {
          clearTimeout(timer)
          resolve(msg.ready)
        }
      } catch {
        // not a control line
      }
    })
  })
}

/** Sends `signal`, waits up to graceMs, then SIGKILL. Resolves once the child is gone. */
export async function stopChild(child: Child, signal: NodeJS.Signals = 'SIGTERM', graceMs = 3_000): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null || !live.has(child.proc)) return
  child.proc.kill(signal)
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), graceMs)
  await child.exited
  clearTimeout(timer)
}

/**
 * Runs a command to completion and returns its output (for the load generators), and the
 * share of one CPU it used (sampled from /proc on Linux; undefined elsewhere).
 */
export async function runToEnd(
  name: string,
  command: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | string; stdout: string; stderr: string; cpu?: number }> {
  const started = performance.now()
  const child = spawnChild(name, command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.proc.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), timeoutMs)
  // CPU ticks (utime + stime, USER_HZ = 100) read every 100 ms; the last reading is at most
  // 100 ms old when the child exits, so this slightly undercounts.
  let ticks: number | undefined
  let lastAt = started
  const sample = () => {
    try {
      const fields = readFileSync(`/proc/${child.proc.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
      ticks = Number(fields[11]) + Number(fields[12])
      lastAt = performance.now()
    } catch {
      // gone, or no /proc
    }
  }
  const sampler = setInterval(sample, 100)
  const code = await child.exited
  clearInterval(sampler)
  clearTimeout(timer)
  const cpu = ticks === undefined || lastAt - started < 500 ? undefined : ticks / 100 / ((lastAt - started) / 1000)
  return { code, stdout, stderr, cpu }
}

/** Kills every child still alive (synchronously: usable from an 'exit' handler). */
export function killAll(signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const proc of live) {
    try {
      proc.kill(signal)
    } catch {
      // already gone
    }
  }
}

/** Number of children still running. */
export function liveCount(): number {
  return live.size
}

/**
 * Kills the children on exit and uncaught errors; on Ctrl-C (SIGINT, SIGTERM, SIGHUP) calls
 * `onSignal`, which should stop the servers and let the run end; a second signal exits at once.
 */
export function installCleanup(onSignal: (signal: NodeJS.Signals) => void): void {
  process.on('exit', () => killAll('SIGKILL'))
  let signalled = false
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (signalled) {
        killAll('SIGKILL')
        process.exit(130)
      }
      signalled = true
      onSignal(sig)
    })
  }
}

/** A TCP port free on 127.0.0.1 right now (for servers that cannot listen on port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

/**
 * Where `command` is, searching PATH, then /usr/sbin and /usr/local/sbin (where nginx lives,
 * and which a non-root PATH may lack).
 */
export async function which(command: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin']
  for (const dir of dirs) {
    if (!dir) continue
    const file = join(dir, command)
    try {
      await access(file, constants.X_OK)
      return file
    } catch {
      // not here
    }
  }
  return undefined
}
