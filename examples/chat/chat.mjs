// The chat room's Lambda handlers. They send to other connections the way a function deployed
// on AWS does: POST https://{domain}/{stage}/@connections/{connectionId}, signed with SigV4
// (aws4fetch) when the function has AWS credentials, as it has on Lambda. Locally the endpoint
// is the gateway the client connected to (from the $connect Host header), or CONNECTIONS_URL.
// The member list is this module's memory, one process's; on AWS it would be a table.
import { AwsClient } from 'aws4fetch'

/** connectionId -> { name, endpoint } */
const members = new Map()

const header = (event, name) => {
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === name) return v
  return undefined
}

function signer() {
  const env = process.env
  if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) return undefined
  return new AwsClient({
    accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    sessionToken: env.AWS_SESSION_TOKEN,
    service: 'execute-api',
    region: env.AWS_REGION ?? 'us-east-1',
  })
}

/** PostToConnection: false when the connection is gone (410). */
async function post(endpoint, connectionId, data) {
  const url = `${endpoint}/@connections/${encodeURIComponent(connectionId)}`
  const init = { method: 'POST', body: JSON.stringify(data) }
  const aws = signer()
  const res = aws ? await aws.fetch(url, init) : await fetch(url, init)
  if (res.status === 410) return false
  if (!res.ok) throw new Error(`@connections answered ${res.status} for ${connectionId}`)
  return true
}

/** Sends `data` to every member but `except`; members whose connection is gone are dropped. */
async function broadcast(data, except) {
  await Promise.all(
    [...members].filter(([id]) => id !== except).map(async ([id, member]) => {
      if (!(await post(member.endpoint, id, data))) members.delete(id)
    }),
  )
}

export async function join(event) {
  const { connectionId, stage } = event.requestContext
  const name = event.queryStringParameters?.name?.slice(0, 32) || 'anonymous'
  const endpoint = process.env.CONNECTIONS_URL ?? `${header(event, 'x-forwarded-proto') ?? 'https'}://${header(event, 'host')}/${stage}`
  // The new connection cannot be posted to before $connect returns (API Gateway answers 410).
  await broadcast({ system: `${name} joined` }, connectionId)
  members.set(connectionId, { name, endpoint })
  return { statusCode: 200 }
}

export async function leave(event) {
  const member = members.get(event.requestContext.connectionId)
  members.delete(event.requestContext.connectionId)
  if (member) await broadcast({ system: `${member.name} left` })
  return { statusCode: 200 }
}

export async function sendMessage(event) {
  const member = members.get(event.requestContext.connectionId)
  const { text } = JSON.parse(event.body)
  if (typeof text !== 'string' || !text) return { statusCode: 400 }
  await broadcast({ from: member?.name ?? 'anonymous', text })
  return { statusCode: 200 }
}

export async function whoami(event) {
  const member = members.get(event.requestContext.connectionId)
  return { statusCode: 200, body: JSON.stringify({ name: member?.name, connectionId: event.requestContext.connectionId, members: members.size }) }
}

export async function help() {
  return { statusCode: 200, body: JSON.stringify({ error: 'unknown action', try: [{ action: 'sendMessage', text: 'hello' }, { action: 'whoami' }] }) }
}
