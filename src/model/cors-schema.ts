/**
 * CORS in the gateway model, in each API type's own terms (reference §3.4):
 * - REST APIs have no CORS setting on AWS: a preflight is answered by an OPTIONS method (a
 *   MOCK with static Access-Control-* headers). A route's `cors` (the Serverless Framework's
 *   `cors` of an http event) makes the loader create that OPTIONS route for the route's path.
 * - HTTP APIs have one `corsConfiguration` per API; the gateway answers preflights itself and
 *   puts the headers on every answer.
 */
import { z } from 'zod'
import { HTTP_METHODS } from './typedefs.ts'

/** The headers the Serverless Framework allows when `cors: true` (or no `headers`). */
export const DEFAULT_CORS_HEADERS = [
  'Content-Type',
  'X-Amz-Date',
  'Authorization',
  'X-Api-Key',
  'X-Amz-Security-Token',
  'X-Amz-User-Agent',
  'X-Amzn-Trace-Id',
] as const

const headerName = z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'not a valid header name')

export const routeCorsSchema = z
  .union([
    z.boolean(),
    z.strictObject({
      origin: z
        .string()
        .min(1)
        .optional()
        .describe('Access-Control-Allow-Origin of the preflight (default "*"); "a, b" is read as origins [a, b].'),
      origins: z
        .array(z.string().min(1))
        .min(1)
        .optional()
        .describe(
          'Several allowed origins (* matches any text, e.g. https://*.example.com): the preflight answers with the request\'s Origin when it matches one, else with the first.',
        ),
      headers: z
        .array(headerName)
        .optional()
        .describe('Access-Control-Allow-Headers. Default: Content-Type, X-Amz-Date, Authorization, X-Api-Key, X-Amz-Security-Token, X-Amz-User-Agent, X-Amzn-Trace-Id.'),
      methods: z
        .array(z.enum([...HTTP_METHODS, 'ANY']))
        .optional()
        .describe('Access-Control-Allow-Methods besides OPTIONS and the route\'s own method.'),
      allowCredentials: z.boolean().default(false).describe('Send Access-Control-Allow-Credentials: true.'),
      maxAge: z.number().int().min(0).max(86_400).optional().describe('Access-Control-Max-Age in seconds.'),
      cacheControl: z.string().min(1).optional().describe('Cache-Control of the preflight answer, e.g. "max-age=600, s-maxage=600".'),
    }),
  ])
  .describe(
    'REST: answer CORS preflights for this route\'s path with an OPTIONS method (a mock with Access-Control-* headers), as the Serverless Framework\'s `cors` does. Routes of one path merge their settings. The route\'s own answers get no CORS headers (set them in the integration).',
  )

/**
 * An allowed origin of an HTTP API: `*`, an exact origin, or `https://*` / `http://*` (any
 * origin of that scheme), the forms API Gateway documents.
 */
const allowedOrigin = z
  .string()
  .min(1)
  .refine((o) => o === '*' || /^https?:\/\/\*$/.test(o) || !o.includes('*'), {
    message: 'an allowed origin is "*", "https://*", "http://*" or an exact origin such as https://www.example.com (API Gateway takes no other wildcards)',
  })

export const httpCorsSchema = z
  .strictObject({
    allowOrigins: z.array(allowedOrigin).default([]).describe('Access-Control-Allow-Origin: origins allowed to call the API.'),
    allowCredentials: z.boolean().default(false).describe('Access-Control-Allow-Credentials: true.'),
    exposeHeaders: z.array(z.union([headerName, z.literal('*')])).default([]).describe('Access-Control-Expose-Headers.'),
    maxAge: z.number().int().min(-1).max(86_400).optional().describe('Access-Control-Max-Age of preflight answers, in seconds.'),
    allowMethods: z
      .array(z.enum([...HTTP_METHODS, '*']))
      .default([])
      .describe('Access-Control-Allow-Methods of preflight answers.'),
    allowHeaders: z.array(z.union([headerName, z.literal('*')])).default([]).describe('Access-Control-Allow-Headers of preflight answers.'),
  })
  .describe(
    'HTTP APIs: CORS configuration (corsConfiguration). The gateway answers preflights itself (204, before routes and authorizers), adds the CORS headers to every answer for an allowed Origin, and drops Access-Control-* headers coming from the integration.',
  )

export type RouteCorsConfig = z.output<typeof routeCorsSchema>
export type HttpCorsConfig = z.output<typeof httpCorsSchema>
