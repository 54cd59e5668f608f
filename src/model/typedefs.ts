/**
 * Reusable field schemas for the gateway model: names, paths, methods, limits.
 * Every field carries a description, because the JSON Schema shipped for editors
 * (schema/portico.schema.json) is generated from these.
 */
import { z } from 'zod'

/** HTTP methods a route may name; `ANY` matches every method the resource does not name. */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const
export type HttpMethod = (typeof HTTP_METHODS)[number]

export const routeMethod = z
  .enum([...HTTP_METHODS, 'ANY'])
  .describe('HTTP method of the route. ANY matches DELETE, GET, HEAD, OPTIONS, PATCH, POST and PUT.')

/** Path part rules of API Gateway: alphanumerics, `_ - . , :`, and whole-segment `{param}` / `{param+}`. */
const SEGMENT = /^(?:[A-Za-z0-9_\-.,:~@]+|\{[A-Za-z0-9_]+\+?\})$/

export const resourcePath = z
  .string()
  .min(1)
  .max(1024)
  .refine((p) => p.startsWith('/'), { message: 'must start with "/"' })
  .superRefine((p, ctx) => {
    if (p === '/') return
    const parts = p.replace(/\/$/, '').split('/').slice(1)
    parts.forEach((part, i) => {
      if (!SEGMENT.test(part)) {
        ctx.addIssue({
          code: 'custom',
          message: `path part "${part}" is not valid: use letters, digits, _ - . , : or a whole-segment {param} / {param+}`,
        })
      } else if (part.endsWith('+}') && i !== parts.length - 1) {
        ctx.addIssue({ code: 'custom', message: `greedy parameter "${part}" must be the last path part` })
      }
    })
    const names = parts.filter((x) => x.startsWith('{')).map((x) => x.replace(/[{}+]/g, ''))
    const dup = names.find((n, i) => names.indexOf(n) !== i)
    if (dup) ctx.addIssue({ code: 'custom', message: `path parameter "${dup}" appears twice` })
  })
  .describe('Resource path template, e.g. /users/{id} or /files/{proxy+}.')

export const stageName = z
  .string()
  .regex(/^(?:\$default|[A-Za-z0-9_-]{1,128})$/, 'stage names are letters, digits, - and _ (1-128), or $default')
  .describe('Stage name. REST stages are the first path segment (/prod/...). HTTP APIs also have $default, served without a prefix.')

export const stageVariables = z
  .record(
    z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'stage variable names are letters, digits and _ (1-64)'),
    z.string().max(512, 'stage variable values are at most 512 characters'),
  )
  .refine((v) => Object.keys(v).length <= 100, { message: 'at most 100 stage variables per stage' })
  .describe('Stage variables, usable as ${stageVariables.name} in integration URIs and Lambda ARNs.')

export const headerMap = z
  .record(z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'not a valid header name'), z.string())
  .describe('Header name to value.')

/** Milliseconds with API Gateway's lower bound of 50 ms. */
export const timeoutMs = (max: number) =>
  z.number().int().min(50).max(max)
