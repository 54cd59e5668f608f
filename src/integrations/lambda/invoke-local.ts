/**
 * Invokes functions whose `handler` names a module in this process (serverless-style
 * "src/users.get"). Portable: how modules are found and loaded is the caller's loadModule.
 */
import type { FunctionConfig } from '../../model/schema.ts'
import { runHandler } from './run-handler.ts'
import { InvokeError, type Invocation, type InvokeOutcome, type LambdaInvoker } from './types.ts'

export interface LocalInvokerOptions {
  /** Loads the module at `modulePath` (the handler up to its last dot, as written in the config). */
  loadModule: (modulePath: string) => Promise<Record<string, unknown>>
  region: string
  accountId: string
  now?: () => number
}

/** The schema's defaults, for a config built by hand rather than parsed. */
const DEFAULT_TIMEOUT_S = 6
const DEFAULT_MEMORY_MB = 1024

/**
 * A LambdaInvoker for local handlers. Each handler is resolved once and cached; a failed
 * resolution is not cached, so a fixed file is picked up on the next request.
 */
export function createLocalInvoker(opts: LocalInvokerOptions): LambdaInvoker {
  const now = opts.now ?? Date.now
  const resolved = new Map<string, Promise<Function>>()
  const loaded = new Map<string, Function>()

  const resolveHandler = (handler: string): Promise<Function> => {
    let pending = resolved.get(handler)
    if (!pending) {
      pending = loadHandler(handler, opts.loadModule)
      resolved.set(handler, pending)
      pending.catch(() => resolved.delete(handler))
    }
    return pending
  }

  return {
    invoke(invocation: Invocation): Promise<InvokeOutcome> {
      const { target } = invocation
      const handlerName = target.config?.handler
      if (!handlerName) {
        return Promise.reject(new InvokeError(`Function ${target.name} has no local handler`))
      }
      const run = (handler: Function) =>
        runHandler(handler, invocation.event, {
          functionName: target.name,
          memoryLimitInMB: target.config?.memorySize ?? DEFAULT_MEMORY_MB,
          timeoutMs: (target.config?.timeout ?? DEFAULT_TIMEOUT_S) * 1000,
          region: opts.region,
          accountId: opts.accountId,
          now,
          signal: invocation.signal,
          fresh: invocation.fresh,
        })
      // Once loaded, a handler is called straight away: no wait on its settled loading
      // promise, no async wrapper around runHandler's own promise.
      const handler = loaded.get(handlerName)
      if (handler) return run(handler)
      return resolveHandler(handlerName).then((fn) => {
        loaded.set(handlerName, fn)
        return run(fn)
      })
    },
  }
}

/** Splits "path/to/module.export" at the last dot, so module paths may contain dots. */
export function parseHandler(handler: string): { modulePath: string; exportName: string } {
  const dot = handler.lastIndexOf('.')
  if (dot <= 0 || dot === handler.length - 1) {
    throw new InvokeError(`Handler "${handler}" is not "<module path>.<export>", e.g. src/users.get`)
  }
  return { modulePath: handler.slice(0, dot), exportName: handler.slice(dot + 1) }
}

/** Loads the function a handler string names; throws InvokeError naming what is missing. */
export async function loadHandler(
  handler: string,
  loadModule: LocalInvokerOptions['loadModule'],
): Promise<Function> {
  const { modulePath, exportName } = parseHandler(handler)
  let mod: Record<string, unknown>
  try {
    mod = await loadModule(modulePath)
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    throw new InvokeError(`Cannot load handler "${handler}": ${reason}`, { cause })
  }
  const direct = mod[exportName]
  if (typeof direct === 'function') return direct
  // CommonJS modules imported as ESM may expose their exports only on `default`.
  const fallback = mod.default
  if (typeof fallback === 'object' || typeof fallback === 'function') {
    const viaDefault = fallback === null ? undefined : (fallback as Record<string, unknown>)[exportName]
    if (typeof viaDefault === 'function') return viaDefault
  }
  const found = direct !== undefined ? ` (it is a ${typeof direct}, not a function)` : ''
  throw new InvokeError(`Handler "${handler}": module "${modulePath}" has no exported function "${exportName}"${found}`)
}

/**
 * Copies the `environment` of every local function into `env` (process.env by default), once,
 * at load time. Local functions share one process, so one value per variable can win: the
 * first function to set it keeps it, and each disagreement is returned as a warning.
 * Remote functions are skipped; their environment lives in AWS.
 */
export function applyFunctionEnvironment(
  functions: Record<string, { config: FunctionConfig }>,
  env: Record<string, string | undefined>,
): string[] {
  const warnings: string[] = []
  const setBy = new Map<string, string>()
  for (const [name, { config }] of Object.entries(functions)) {
    if (config.handler === undefined) continue
    for (const [key, value] of Object.entries(config.environment ?? {})) {
      const owner = setBy.get(key)
      if (owner === undefined) {
        setBy.set(key, name)
        env[key] = value
      } else if (env[key] !== value) {
        warnings.push(
          `functions "${owner}" and "${name}" set ${key} to different values; local handlers share one process, so "${owner}"'s value is used`,
        )
      }
    }
  }
  return warnings
}

/**
 * Loads every local handler once, so a missing module or export is reported at start-up
 * (with the function's field path) rather than on its first request.
 */
export async function checkLocalHandlers(
  functions: Record<string, { config: FunctionConfig }>,
  loadModule: LocalInvokerOptions['loadModule'],
  skip: (name: string, config: FunctionConfig) => boolean = () => false,
): Promise<{ path: (string | number)[]; message: string }[]> {
  const problems: { path: (string | number)[]; message: string }[] = []
  for (const [name, { config }] of Object.entries(functions)) {
    if (config.handler === undefined || skip(name, config)) continue
    try {
      await loadHandler(config.handler, loadModule)
    } catch (e) {
      problems.push({ path: ['functions', name, 'handler'], message: (e as Error).message })
    }
  }
  return problems
}
