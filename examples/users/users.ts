/**
 * The users service of the guide Portico reproduces: getUser (GET /users/{id}) and
 * createUser (POST /users), written as plain Lambda proxy handlers. They read the event as
 * AWS sends it, so the same code runs behind a REST API (payload 1.0) and an HTTP API (2.0).
 */

interface ProxyEvent {
  version?: string
  httpMethod?: string
  requestContext?: { http?: { method: string }; requestId?: string }
  pathParameters?: Record<string, string> | null
  body?: string | null
  isBase64Encoded?: boolean
}

const created = new Map<string, { id: string; name: string; email?: string }>()

function json(statusCode: number, body: unknown) {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' },
    body: JSON.stringify(body),
  }
}

/** GET /users/{id} */
export async function get(event: ProxyEvent, context: { awsRequestId: string }) {
  const id = decodeURIComponent(event.pathParameters?.id ?? '')
  const user = created.get(id) ?? { id, name: `User ${id}` }
  return json(200, { ...user, requestId: event.requestContext?.requestId, invocation: context.awsRequestId })
}

/** POST /users with {"name": "...", "email": "..."} */
export async function create(event: ProxyEvent) {
  let input: unknown
  try {
    const text = event.isBase64Encoded ? atob(event.body ?? '') : (event.body ?? '')
    input = text ? JSON.parse(text) : {}
  } catch {
    return json(400, { message: 'body must be JSON' })
  }
  const name = (input as { name?: unknown }).name
  if (typeof name !== 'string' || name.trim() === '') return json(400, { message: 'name is required' })
  const email = (input as { email?: unknown }).email
  const id = String(1000 + created.size + 1)
  const user = { id, name, ...(typeof email === 'string' ? { email } : {}) }
  created.set(id, user)
  return json(201, user)
}

/** GET /me behind the token authorizer: reads what the authorizer put in the request context. */
export async function me(event: { requestContext?: { authorizer?: Record<string, string> } }) {
  const authorizer = event.requestContext?.authorizer ?? {}
  return json(200, { user_id: authorizer.user_id, role: authorizer.role, principalId: authorizer.principalId })
}

/**
 * GET /users/{id}/profile, a Lambda custom (non-proxy) integration: the event is the guide's
 * request template ({user_id, action, timestamp, source_ip}); the answer has the shape of
 * DynamoDB's GetItem, which the guide's response template maps. An unknown user is an error
 * whose "[404]" selects the 404 integration response.
 */
export async function profile(event: { user_id?: string; action?: string; source_ip?: string }) {
  const id = event.user_id ?? ''
  if (!/^\d+$/.test(id) || id === '0') throw new Error(`[404] no user ${id}`)
  const user = created.get(id) ?? { id, name: `User ${id}`, email: `user${id}@example.com` }
  return { Item: { userId: { S: user.id }, name: { S: user.name }, email: { S: user.email ?? '' } } }
}
