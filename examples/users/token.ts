/**
 * Prints a token the example's authorizer accepts:
 *   curl -H "Authorization: Bearer $(node examples/users/token.ts 42 admin)" localhost:8787/prod/me
 */
import { SignJWT } from 'jose'

const [userId = '42', role = 'user'] = process.argv.slice(2)
const secret = process.env.JWT_SECRET ?? 'dev-only-secret-change-me'
const jwt = await new SignJWT({ user_id: userId, role })
  .setProtectedHeader({ alg: 'HS256' })
  .setIssuedAt()
  .setExpirationTime('1h')
  .sign(new TextEncoder().encode(secret))
console.log(jwt)
