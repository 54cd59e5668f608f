/**
 * Local Lambda handlers run in the gateway's process. On Lambda, an error a handler leaves
 * behind (a throw in a timer, a promise nobody awaits) ends that invocation's sandbox; here it
 * would end the gateway for everyone. So the Node and Bun entries log such errors instead.
 */
import type { Logger } from '../../core/deps.ts'

let installed = false

/** Logs uncaught exceptions and unhandled rejections instead of exiting. Once per process. */
export function installCrashGuard(logger: Logger): void {
  if (installed) return
  installed = true
  process.on('uncaughtException', (error) => {
    logger.error('uncaught exception (left behind by a local handler?); the gateway keeps serving', {
      error: String(error),
      stack: (error as Error)?.stack,
    })
  })
  process.on('unhandledRejection', (reason) => {
    logger.error('unhandled promise rejection (left behind by a local handler?); the gateway keeps serving', {
      error: String(reason),
      stack: (reason as Error)?.stack,
    })
  })
}
