/**
 * Admin API errors in API Gateway's control-plane shape: a status, a JSON body
 * `{"message": ...}` and the exception name in `x-amzn-ErrorType`, as the AWS SDKs and CLI read
 * them. Messages name the field at fault, never a key value or a token.
 */

export type AdminErrorType = 'BadRequestException' | 'NotFoundException' | 'ConflictException' | 'UnauthorizedException' | 'ServiceUnavailableException'

const STATUS: Record<AdminErrorType, number> = {
  BadRequestException: 400,
  UnauthorizedException: 401,
  NotFoundException: 404,
  ConflictException: 409,
  ServiceUnavailableException: 503,
}

/** A refused admin call; `status` follows from `type`. */
export class AdminError extends Error {
  readonly type: AdminErrorType
  readonly status: number

  constructor(type: AdminErrorType, message: string, status = STATUS[type]) {
    super(message)
    this.name = 'AdminError'
    this.type = type
    this.status = status
  }
}

/** 400 naming the field: `field: reason`. */
export function badRequest(field: string, reason: string): AdminError {
  return new AdminError('BadRequestException', `${field}: ${reason}`)
}

/** AWS's NotFoundException wording for each kind of id. */
export const NOT_FOUND = {
  apiKey: 'Invalid API Key identifier specified',
  usagePlan: 'Invalid Usage Plan ID specified',
  usagePlanKey: 'Invalid Usage Plan Key identifier specified',
  restApi: 'Invalid API identifier specified',
  stage: 'Invalid stage identifier specified',
} as const

export function notFound(kind: keyof typeof NOT_FOUND): AdminError {
  return new AdminError('NotFoundException', NOT_FOUND[kind])
}

export function conflict(message: string): AdminError {
  return new AdminError('ConflictException', message)
}
