/**
 * For type-checking outside workerd (the root tsconfig has no @cloudflare/workers-types):
 * runtime.ts imports 'cloudflare:workers' dynamically and treats it as unknown. The workers
 * tsconfig does not include this file; it takes the real declarations.
 */
declare module 'cloudflare:workers' {
  export const DurableObject: unknown
}
