/**
 * The runtime's DurableObject base class, found at run time: workerd gives RPC methods only
 * to classes that extend it, and only workerd has 'cloudflare:workers'. Elsewhere (Node
 * importing the Worker entry, e.g. to check its module scope) a plain class stands in; it
 * is never instantiated there.
 */
import type { DurableObjectStateLike } from './types.ts'

/** What the object classes extend: `ctx` and `env` as the runtime's base class sets them. */
export type DurableObjectBase = abstract new (ctx: DurableObjectStateLike, env: unknown) => { ctx: DurableObjectStateLike; env: unknown }

class StandIn {
  ctx: DurableObjectStateLike
  env: unknown
  constructor(ctx: DurableObjectStateLike, env: unknown) {
    this.ctx = ctx
    this.env = env
  }
}

const runtime = (await import('cloudflare:workers').catch(() => undefined)) as { DurableObject?: unknown } | undefined

export const DurableObjectClass = (runtime?.DurableObject ?? StandIn) as DurableObjectBase
