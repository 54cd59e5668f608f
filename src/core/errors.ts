/**
 * Gateway errors and API Gateway's gateway responses.
 *
 * Every rejection is a GatewayError naming an API Gateway response type. It is rendered
 * the way the API type renders it: REST with `x-amzn-ErrorType` and overridable per API
 * (gateway responses), HTTP APIs with their fixed bodies and no error-type header.
 */

/** The gateway response types of API Gateway (REST), in AWS's names. */
export const GATEWAY_RESPONSE_TYPES = [
  'DEFAULT_4XX',
  'DEFAULT_5XX',
  'ACCESS_DENIED',
  'API_CONFIGURATION_ERROR',
  'AUTHORIZER_CONFIGURATION_ERROR',
  'AUTHORIZER_FAILURE',
  'BAD_REQUEST_PARAMETERS',
  'BAD_REQUEST_BODY',
  'EXPIRED_TOKEN',
  'INTEGRATION_FAILURE',
  'INTEGRATION_TIMEOUT',
  'INVALID_API_KEY',
  'INVALID_SIGNATURE',
  'MISSING_AUTHENTICATION_TOKEN',
  'QUOTA_EXCEEDED',
  'REQUEST_TOO_LARGE',
  'RESOURCE_NOT_FOUND',
  'THROTTLED',
  'UNAUTHORIZED',
  'UNSUPPORTED_MEDIA_TYPE',
  'WAF_FILTERED',
] as const
export type GatewayResponseType = (typeof GATEWAY_RESPONSE_TYPES)[number]

/** Response types Portico raises itself, beyond AWS's list (not overridable). */
export type PorticoResponseType =
  | GatewayResponseType
  | 'REQUEST_HEADER_FIELDS_TOO_LARGE'
  | 'LAMBDA_ERROR'
  | 'UNKNOWN_STAGE'

interface Rendering {
  status: number
  /** Message of the REST body `{"message":...}`; `null` renders `{"message": null}`. */
  message: string | null
  /** `x-amzn-ErrorType` value, REST only. */
  errorType?: string
  /** Body key; ACCESS_DENIED uses a capital M on AWS. */
  key?: 'message' | 'Message'
  /** Exact body text when AWS's spacing differs from JSON.stringify. */
  rawBody?: string
  /** Plain text body, not JSON (REQUEST_TOO_LARGE cannot be customised on AWS). */
  plainText?: boolean
}

/** AWS's REST renderings (reference §3.1). */
const REST: Record<PorticoResponseType, Rendering> = {
  DEFAULT_4XX: { status: 400, message: 'Bad Request', errorType: 'BadRequestException' },
  DEFAULT_5XX: { status: 500, message: 'Internal server error', errorType: 'InternalServerErrorException' },
  ACCESS_DENIED: { status: 403, key: 'Message', message: 'User is not authorized to access this resource', errorType: 'AccessDeniedException' },
  API_CONFIGURATION_ERROR: { status: 500, message: 'Internal server error', errorType: 'InternalServerErrorException' },
  AUTHORIZER_CONFIGURATION_ERROR: { status: 500, message: null, rawBody: '{"message": null}', errorType: 'AuthorizerConfigurationException' },
  AUTHORIZER_FAILURE: { status: 500, message: null, rawBody: '{"message": null}', errorType: 'AuthorizerFailureException' },
  BAD_REQUEST_PARAMETERS: { status: 400, message: 'Missing required request parameters', errorType: 'BadRequestException' },
  BAD_REQUEST_BODY: { status: 400, message: 'Invalid request body', rawBody: '{"message": "Invalid request body"}', errorType: 'BadRequestException' },
  EXPIRED_TOKEN: { status: 403, message: 'Signature expired', errorType: 'InvalidSignatureException' },
  INTEGRATION_FAILURE: { status: 504, message: 'Network error communicating with endpoint', errorType: 'InternalServerErrorException' },
  INTEGRATION_TIMEOUT: { status: 504, message: 'Endpoint request timed out', rawBody: '{"message": "Endpoint request timed out"}', errorType: 'InternalServerErrorException' },
  INVALID_API_KEY: { status: 403, message: 'Forbidden', errorType: 'ForbiddenException' },
  INVALID_SIGNATURE: { status: 403, message: 'The request signature we calculated does not match the signature you provided', errorType: 'InvalidSignatureException' },
  MISSING_AUTHENTICATION_TOKEN: { status: 403, message: 'Missing Authentication Token', errorType: 'MissingAuthenticationTokenException' },
  QUOTA_EXCEEDED: { status: 429, message: 'Limit Exceeded', errorType: 'LimitExceededException' },
  REQUEST_TOO_LARGE: { status: 413, message: 'HTTP content length exceeded 10485760 bytes.', plainText: true },
  RESOURCE_NOT_FOUND: { status: 404, message: 'Not Found', errorType: 'NotFoundException' },
  THROTTLED: { status: 429, message: 'Too Many Requests', errorType: 'TooManyRequestsException' },
  UNAUTHORIZED: { status: 401, message: 'Unauthorized', errorType: 'UnauthorizedException' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported Media Type', errorType: 'UnsupportedMediaTypeException' },
  WAF_FILTERED: { status: 403, message: 'Forbidden', errorType: 'ForbiddenException' },
  REQUEST_HEADER_FIELDS_TOO_LARGE: { status: 431, message: 'Request Header Fields Too Large', errorType: 'RequestHeaderFieldsTooLargeException' },
  // REST request naming a stage the API does not have: commonly reported as 403 Forbidden.
  UNKNOWN_STAGE: { status: 403, message: 'Forbidden', errorType: 'ForbiddenException' },
  // A Lambda proxy function error or malformed proxy response: 502 (an invalid statusCode sets
  // the spaced 36-byte body through GatewayError.body).
  LAMBDA_ERROR: { status: 502, message: 'Internal server error', errorType: 'InternalServerErrorException' },
}

/** HTTP API renderings: fixed bodies, no x-amzn-ErrorType (reference §3.2). */
const HTTP_API: Partial<Record<PorticoResponseType, { status: number; message: string }>> = {
  MISSING_AUTHENTICATION_TOKEN: { status: 404, message: 'Not Found' },
  RESOURCE_NOT_FOUND: { status: 404, message: 'Not Found' },
  UNAUTHORIZED: { status: 401, message: 'Unauthorized' },
  ACCESS_DENIED: { status: 403, message: 'Forbidden' },
  INVALID_API_KEY: { status: 403, message: 'Forbidden' },
  INVALID_SIGNATURE: { status: 403, message: 'Forbidden' },
  EXPIRED_TOKEN: { status: 403, message: 'Forbidden' },
  UNKNOWN_STAGE: { status: 404, message: 'Not Found' },
  WAF_FILTERED: { status: 403, message: 'Forbidden' },
  THROTTLED: { status: 429, message: 'Too Many Requests' },
  QUOTA_EXCEEDED: { status: 429, message: 'Too Many Requests' },
  INTEGRATION_TIMEOUT: { status: 503, message: 'Service Unavailable' },
  INTEGRATION_FAILURE: { status: 503, message: 'Service Unavailable' },
  REQUEST_TOO_LARGE: { status: 413, message: 'Request Entity Too Large' },
  REQUEST_HEADER_FIELDS_TOO_LARGE: { status: 431, message: 'Request Header Fields Too Large' },
  BAD_REQUEST_BODY: { status: 400, message: 'Bad Request' },
  BAD_REQUEST_PARAMETERS: { status: 400, message: 'Bad Request' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported Media Type' },
}

/**
 * A rejection carrying an API Gateway response type. `message` overrides the type's default
 * message (e.g. the list of missing parameters); `detail` goes to the log, never to the client.
 */
export class GatewayError extends Error {
  readonly type: PorticoResponseType
  readonly overrideMessage?: string
  readonly detail?: string
  readonly headers?: Record<string, string>
  /** Exact REST body text, where AWS's recorded spacing matters (e.g. `{"message": "..."}`). */
  readonly body?: string
  /** x-amzn-ErrorType when it differs from the type's (UnrecognizedClientException, ...). */
  readonly errorType?: string
  /** What request validation found: `$context.error.validationErrorString` in templates and logs. */
  readonly validationErrorString?: string
  constructor(
    type: PorticoResponseType,
    opts: {
      message?: string
      detail?: string
      headers?: Record<string, string>
      body?: string
      errorType?: string
      validationErrorString?: string
      cause?: unknown
    } = {},
  ) {
    super(opts.message ?? opts.detail ?? type, { cause: opts.cause })
    this.name = 'GatewayError'
    this.type = type
    this.overrideMessage = opts.message
    this.detail = opts.detail
    this.headers = opts.headers
    this.body = opts.body
    this.errorType = opts.errorType
    this.validationErrorString = opts.validationErrorString
  }
}

/** A per-API override of a gateway response (REST only). */
export interface GatewayResponseOverride {
  statusCode?: number
  headers?: Record<string, string>
  /** Body template; `$context.*` and `$stageVariables.*` are substituted. */
  body?: string
}

export interface RenderInput {
  apiType: 'REST' | 'HTTP' | 'WEBSOCKET'
  error: GatewayError
  overrides?: Partial<Record<GatewayResponseType, GatewayResponseOverride>>
  /** Values for `$context.x.y` substitution in override templates. */
  context?: Record<string, unknown>
  stageVariables?: Record<string, string>
}

/** Status class fallback: a type without its own override uses DEFAULT_4XX or DEFAULT_5XX. */
function fallbackType(status: number): GatewayResponseType {
  return status >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX'
}

/** Substitutes `$context.a.b`, `$stageVariables.x` and `$context.error.messageString`. */
export function substituteTemplate(
  template: string,
  context: Record<string, unknown>,
  stageVariables: Record<string, string> = {},
): string {
  // `${context.x}` or `$context.x`: a closing brace belongs to the variable only when it opened one.
  return template.replace(/\$(?:\{(context|stageVariables)((?:\.[A-Za-z0-9_:-]+)+)\}|(context|stageVariables)((?:\.[A-Za-z0-9_:-]+)+))/g, (_m, r1, p1, r2, p2) => {
    const root: string = r1 ?? r2
    const path: string = p1 ?? p2
    const keys = path.slice(1).split('.')
    let value: unknown = root === 'context' ? context : stageVariables
    for (const key of keys) {
      if (value == null || typeof value !== 'object') return ''
      value = (value as Record<string, unknown>)[key]
    }
    if (value == null) return ''
    return typeof value === 'string' ? value : JSON.stringify(value)
  })
}

/** Builds the client response for a gateway error, as API Gateway would. */
export function renderGatewayError(input: RenderInput): Response {
  const { error } = input
  if (input.apiType !== 'REST') {
    const fixed = HTTP_API[error.type] ?? { status: 500, message: 'Internal Server Error' }
    const status = error.type === 'LAMBDA_ERROR' ? 500 : fixed.status
    const message = error.type === 'LAMBDA_ERROR' ? 'Internal Server Error' : fixed.message
    const headers = new Headers({ 'content-type': 'application/json' })
    for (const [k, v] of Object.entries(error.headers ?? {})) headers.set(k, v)
    return withLength(JSON.stringify({ message }), status, headers)
  }

  const base = REST[error.type]
  const headers = new Headers()
  if (base.plainText) {
    headers.set('content-type', 'text/plain')
    return withLength(error.overrideMessage ?? base.message ?? '', base.status, headers)
  }
  const key = base.key ?? 'message'
  const message = error.overrideMessage ?? base.message
  const override =
    input.overrides?.[error.type as GatewayResponseType] ?? input.overrides?.[fallbackType(base.status)]
  const messageString = message === null ? 'null' : JSON.stringify(message)
  let body =
    error.body ??
    (error.overrideMessage === undefined && base.rawBody ? base.rawBody : `{"${key}":${messageString}}`)
  let status = base.status
  headers.set('content-type', 'application/json')
  const errorType = error.errorType ?? base.errorType
  if (errorType) headers.set('x-amzn-ErrorType', errorType)
  for (const [k, v] of Object.entries(error.headers ?? {})) headers.set(k, v)
  if (override) {
    const ctx = {
      ...input.context,
      error: {
        message: message ?? '',
        messageString,
        responseType: error.type,
        validationErrorString:
          error.validationErrorString ?? (input.context?.error as Record<string, unknown> | undefined)?.validationErrorString ?? '',
      },
    }
    if (override.statusCode) status = override.statusCode
    for (const [k, v] of Object.entries(override.headers ?? {})) {
      headers.set(k, substituteTemplate(stripQuotes(v), ctx, input.stageVariables))
    }
    if (override.body !== undefined) body = substituteTemplate(override.body, ctx, input.stageVariables)
  }
  return withLength(body, status, headers)
}

/** Gateway responses carry Content-Length, as API Gateway's do. */
function withLength(body: string, status: number, headers: Headers): Response {
  const bytes = new TextEncoder().encode(body)
  headers.set('content-length', String(bytes.byteLength))
  return new Response(bytes, { status, headers })
}

/** AWS writes static header values in gateway responses as quoted literals: `'*'`. */
function stripQuotes(value: string): string {
  return /^'.*'$/.test(value) ? value.slice(1, -1) : value
}
