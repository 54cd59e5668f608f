/** The error every mapping step raises: a template that cannot be used, or a rendering that failed. */

/** A template or mapping expression that cannot be used, or a rendering that failed. The message names the cause. */
export class MappingError extends Error {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause })
    this.name = 'MappingError'
  }
}
