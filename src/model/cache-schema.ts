/**
 * Response caching in the gateway model (REST APIs, as on AWS): stage settings, per-route
 * overrides, and where the cache lives.
 */
import { z } from 'zod'

const strategy = z
  .enum(['FAIL_WITH_403', 'SUCCEED_WITH_RESPONSE_HEADER', 'SUCCEED_WITHOUT_RESPONSE_HEADER'])
  .describe('What a caller without execute-api:InvalidateCache gets when it sends Cache-Control: max-age=0.')

/** Cache key parameter, AWS's way (method.request.path.id) or serverless's (request.path.id). */
export const cacheKeyParameter = z
  .string()
  .regex(
    /^(method\.)?request\.(path|querystring|header)\.[\w.-]+$/,
    'a cache key parameter is method.request.path.X, method.request.querystring.X or method.request.header.X (request.path.X etc. also accepted)',
  )

export const stageCacheSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Cache GET responses of this stage (cacheClusterEnabled).'),
    ttlInSeconds: z.number().int().min(0).max(3600).default(300).describe('Entry lifetime; 0 disables caching.'),
    capacityBytes: z
      .number()
      .int()
      .min(1024)
      .max(8 * 1024 ** 3)
      .default(64 * 1024 ** 2)
      .describe('Memory backend: total bytes of cached bodies and headers; least recently used entries go first.'),
    dataEncrypted: z.boolean().default(false).describe('Encrypt entries at rest (AES-GCM, key from settings.cache.encryptionKeyEnv).'),
    requireAuthorizationForCacheControl: z.boolean().default(true),
    unauthorizedCacheControlHeaderStrategy: strategy.default('SUCCEED_WITH_RESPONSE_HEADER'),
  })
  .describe('Stage response cache.')

export const routeCachingSchema = z
  .strictObject({
    enabled: z.boolean().optional().describe('Override the stage: cache this route (any method) or not.'),
    ttlInSeconds: z.number().int().min(0).max(3600).optional(),
    cacheKeyParameters: z.array(cacheKeyParameter).default([]).describe('Request values that make up the key, besides method and resource path.'),
    perCaller: z
      .boolean()
      .optional()
      .describe('Key entries by the caller (authorizer principal, API key) too. Default true on routes with an authorizer or API key; false is warned about.'),
    requireAuthorizationForCacheControl: z.boolean().optional(),
    unauthorizedCacheControlHeaderStrategy: strategy.optional(),
  })
  .describe('Per-route caching (serverless.yml `caching`).')

export const cacheSettingsSchema = z
  .strictObject({
    backend: z
      .enum(['memory', 'cache-api'])
      .default('memory')
      .describe('memory (Node, Bun; per process) or cache-api (Workers: caches.default).'),
    maxEntryBytes: z.number().int().min(1024).max(10 * 1024 ** 2).default(1_048_576).describe('Larger responses are not cached (AWS: 1 MB).'),
    encryptionKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .default('PORTICO_CACHE_KEY')
      .describe('Environment variable with a base64 256-bit key, for stages with dataEncrypted (checked at start-up).'),
    debugHeader: z.boolean().default(false).describe('Add X-Portico-Cache: hit|miss|refresh|bypass and Age on hits (AWS sends no such header).'),
  })
  .describe('Where cached responses live.')

export type StageCacheConfig = z.output<typeof stageCacheSchema>
export type RouteCachingConfig = z.output<typeof routeCachingSchema>
export type CacheSettingsConfig = z.output<typeof cacheSettingsSchema>
