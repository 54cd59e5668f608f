/**
 * A terminal chat client: `npm run -s chat:client -- ada` joins as "ada" (Node's WebSocket);
 * each line typed is sent with sendMessage, "/whoami" asks who you are. URL: CHAT_URL, default
 * ws://127.0.0.1:8787/prod.
 */
import { createInterface } from 'node:readline'

const name = process.argv[2] ?? 'anonymous'
const base = process.env.CHAT_URL ?? 'ws://127.0.0.1:8787/prod'
const socket = new WebSocket(`${base}?name=${encodeURIComponent(name)}`)
socket.addEventListener('open', () => {
  console.error(`joined ${base} as ${name}; type a message, /whoami, or Ctrl-D to leave`)
  // Lines are read once the connection is open: nothing can be sent before.
  const lines = createInterface({ input: process.stdin })
  lines.on('line', (line) => {
    if (line === '/whoami') socket.send(JSON.stringify({ action: 'whoami' }))
    else if (line.trim()) socket.send(JSON.stringify({ action: 'sendMessage', text: line }))
  })
  lines.on('close', () => socket.close(1000, 'bye'))
})
socket.addEventListener('message', (e) => console.log(String(e.data)))
socket.addEventListener('close', (e) => {
  console.error(`closed (${e.code}${e.reason ? ` ${e.reason}` : ''})`)
  process.exit(0)
})
socket.addEventListener('error', () => console.error(`cannot connect to ${base} (is \`npm run chat\` running?)`))
