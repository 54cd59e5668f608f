/**
 * The Lambda invoker of a Node or Bun process: local JavaScript/TypeScript modules in this
 * process, Python modules in worker processes, remote functions through the Invoke API.
 */
import type { Clock, Logger } from '../core/deps.ts'
import type { GatewayModel } from '../model/load.ts'
import { createLocalInvoker } from '../integrations/lambda/invoke-local.ts'
import { applyFunctionEnvironment, nodeModuleLoader } from '../integrations/lambda/invoke-local-node.ts'
import { createAwsInvoker } from '../integrations/lambda/invoke-aws.ts'
import { createInvoker } from '../integrations/lambda/invoker.ts'
import { createPythonInvoker, isPythonTarget, pythonInterpreter } from '../integrations/lambda/invoke-python.ts'
import type { LambdaInvoker } from '../integrations/lambda/types.ts'

/** Builds the invoker (and applies local functions' environment); close() stops Python workers. */
export function processInvoker(
  model: GatewayModel,
  opts: { env: Record<string, string | undefined>; logger: Logger; clock: Clock },
): { invoker: LambdaInvoker; close(): Promise<void> } {
  const { env, logger, clock } = opts
  const baseDir = model.baseDir ?? process.cwd()
  // Python functions get their environment in their own worker process, not in ours.
  const inProcess = Object.fromEntries(Object.entries(model.functions).filter(([name, f]) => !isPythonTarget({ name, config: f.config }, baseDir)))
  for (const warning of applyFunctionEnvironment(inProcess)) logger.warn(warning)
  const local = createLocalInvoker({
    loadModule: nodeModuleLoader(baseDir, { version: model.moduleVersion }),
    region: model.settings.region,
    accountId: model.settings.accountId,
    now: () => clock.now(),
  })
  const aws = createAwsInvoker({ region: model.settings.region, env })
  const python = createPythonInvoker({
    baseDir,
    interpreter: pythonInterpreter(model.settings, env),
    region: model.settings.region,
    accountId: model.settings.accountId,
    logger,
    now: () => clock.now(),
  })
  return {
    invoker: createInvoker({ local, aws, python, isPython: (t) => isPythonTarget(t, baseDir) }),
    close: () => python.close(),
  }
}
