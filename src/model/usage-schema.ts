/**
 * Throttling, quotas and usage plans in the gateway model, in API Gateway's terms: token
 * buckets (rateLimit = refill per second, burstLimit = bucket size) at account, stage, route
 * and usage-plan level, and calendar quotas per API key.
 */
import { z } from 'zod'

export const throttleSchema = z
  .strictObject({
    rateLimit: z.number().min(0).max(1_000_000).describe('Steady requests per second (the bucket\'s refill rate; may be fractional).'),
    burstLimit: z.number().int().min(0).max(1_000_000).describe('Bucket size: requests allowed at once.'),
  })
  .describe('A token bucket (429 Too Many Requests when empty).')

export const quotaSchema = z
  .strictObject({
    limit: z.number().int().min(0).max(2_000_000_000).describe('Requests per period.'),
    period: z.enum(['DAY', 'WEEK', 'MONTH']).describe('UTC calendar period: midnight, Sunday, the 1st.'),
    offset: z.number().int().min(0).default(0).describe('Requests subtracted from the limit in the first period (AWS\'s current meaning).'),
  })
  .describe('A quota per API key (429 Limit Exceeded past it).')

/** Per-method throttle overrides of a plan stage, keyed "/path/METHOD" (AWS) or "METHOD /path". */
const methodThrottleKey = z
  .string()
  .regex(
    /^(\/[^\s]*\/(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY|\*)|(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) \/[^\s]*)$/,
    'a method key is "/pets/GET" (as AWS writes it; the root is "//GET") or "GET /pets"',
  )

export const usagePlanSchema = z
  .strictObject({
    name: z.string().min(1).max(1024),
    id: z.string().regex(/^[a-z0-9]{1,32}$/).optional().describe('Plan id; default derived from the name.'),
    description: z.string().optional(),
    throttle: throttleSchema.optional().describe('Per-key throttle across the plan\'s stages.'),
    quota: quotaSchema.optional(),
    apiStages: z
      .array(
        z.strictObject({
          api: z.string().min(1).describe('API name.'),
          stage: z.string().min(1),
          throttle: z.record(methodThrottleKey, throttleSchema).default({}).describe('Per-method throttle overrides for each key.'),
        }),
      )
      .default([])
      .describe('API stages the plan applies to.'),
    apiKeys: z.array(z.string().min(1)).default([]).describe('Names of config apiKeys linked to the plan.'),
  })
  .describe('A usage plan (create-usage-plan).')

export const storePolicySchema = z
  .strictObject({
    timeoutMs: z.number().int().min(5).max(30_000).default(200).describe('How long a store call may take before the policy applies.'),
    throttle: z.enum(['open', 'closed']).default('open').describe('Store slow or down: let requests through (open) or answer 429/500 (closed).'),
    quota: z.enum(['open', 'closed']).default('open'),
    throttleLeases: z
      .boolean()
      .default(true)
      .describe(
        'Shared stores: take tokens of large buckets (lease of min(1% of burst, rate/10, 100) tokens, at least 2) in one call and hand them out in this instance for up to 1 s. Admits at most one lease per instance above the bucket; unused leased tokens are dropped.',
      ),
  })
  .describe('What happens when the state store is slow or unreachable.')

export type ThrottleConfig = z.output<typeof throttleSchema>
export type QuotaConfig = z.output<typeof quotaSchema>
export type UsagePlanConfig = z.output<typeof usagePlanSchema>
export type StorePolicyConfig = z.output<typeof storePolicySchema>
