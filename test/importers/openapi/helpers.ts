/** Fixture loading and a local PetStore backend for the OpenAPI tests. */
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { parse } from 'yaml'
import { FIXTURES } from '../../helpers/gateway.ts'
import type { HttpClient } from '../../../src/core/deps.ts'
import { fetchHttpClient } from '../../../src/integrations/http/index.ts'

export const OPENAPI_FIXTURES = resolve(FIXTURES, 'openapi')

/** A fixture document, parsed (YAML or JSON). */
export function fixture(name: string): any {
  return parse(readFileSync(resolve(OPENAPI_FIXTURES, name), 'utf8'))
}

/** The host the PetStore example's integrations call. */
export const PETSTORE_HOST = 'http://petstore-demo-endpoint.execute-api.com'

/**
 * The gateway's HTTP client with requests for `from` (an origin) sent to `to` instead: a
 * local backend stands in for a public one, the imported document unchanged.
 */
export function redirectingClient(from: string, to: string): HttpClient {
  const client = fetchHttpClient()
  return { send: (r) => client.send({ ...r, url: r.url.startsWith(from) ? to + r.url.slice(from.length) : r.url }) }
}

export interface SeenRequest {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

/**
 * The PetStore backend on 127.0.0.1: GET /petstore/pets (type and page query), POST
 * /petstore/pets, GET /petstore/pets/{id}; records every request it gets.
 */
export async function startPetStoreBackend(): Promise<{ url: string; seen: SeenRequest[]; close: () => Promise<void> }> {
  const pets = [
    { id: 1, type: 'dog', price: 249.99 },
    { id: 2, type: 'cat', price: 124.99 },
    { id: 3, type: 'fish', price: 0.99 },
  ]
  const seen: SeenRequest[] = []
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, body })
    const url = new URL(req.url!, 'http://backend')
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-backend': 'petstore' })
      res.end(JSON.stringify(value))
    }
    const one = /^\/petstore\/pets\/([^/]+)$/.exec(url.pathname)
    if (url.pathname === '/petstore/pets' && req.method === 'GET') {
      const type = url.searchParams.get('type')
      return json(200, pets.filter((p) => !type || p.type === type))
    }
    if (url.pathname === '/petstore/pets' && req.method === 'POST') {
      const pet = JSON.parse(body) as object
      return json(200, { pet, message: 'success' })
    }
    if (one && req.method === 'GET') {
      const pet = pets.find((p) => String(p.id) === one[1])
      return pet ? json(200, pet) : json(404, { message: 'pet not found' })
    }
    json(404, { message: 'no such resource' })
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  }
}
