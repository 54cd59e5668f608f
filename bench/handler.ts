/**
 * The bench Lambda handler (payload 1.0, Lambda-proxy): answers the shared JSON payload.
 * Serialised per call, as the bare Hono app's c.json() does.
 */
import { PAYLOAD } from './payload.ts'

export async function hello() {
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(PAYLOAD),
  }
}
