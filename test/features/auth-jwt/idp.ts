/**
 * A local identity provider for the JWT authorizer tests: a real HTTP server on 127.0.0.1
 * serving an OIDC discovery document and a JWKS, counting requests, and able to go down,
 * stall, or serve an oversized JWKS. Tokens are signed with jose.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose'

export interface SigningKey {
  kid: string
  alg: 'RS256' | 'ES256' | 'EdDSA'
  privateKey: CryptoKey
  publicKey: CryptoKey
  jwk: JWK
  /** SPKI PEM of the public key (the HMAC secret in the alg-confusion attack). */
  pem: string
}

/** A fresh key pair with its public JWK. */
export async function makeKey(kid: string, alg: SigningKey['alg'] = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { kid, alg, privateKey, publicKey, jwk, pem: await exportSPKI(publicKey) }
}

/** Signs `claims` with `key` (kid and alg in the header). */
export function sign(key: SigningKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header }).sign(key.privateKey)
}

export interface Idp {
  /** Base URL, http://127.0.0.1:port */
  base: string
  /** The issuer this IdP signs as: `${base}/pool`. */
  issuer: string
  jwksUri: string
  /** Keys published in the JWKS (mutable: rotate by pushing or replacing). */
  keys: SigningKey[]
  counts: { discovery: number; jwks: number }
  /** 'up' serves; 'down' answers 503; 'stall' never answers the JWKS; 'huge' serves an oversized JWKS. */
  mode: 'up' | 'down' | 'stall' | 'huge'
  close(): Promise<void>
}

export async function startIdp(): Promise<Idp> {
  const stalled = new Set<import('node:http').ServerResponse>()
  const idp: Idp = {
    base: '',
    issuer: '',
    jwksUri: '',
    keys: [],
    counts: { discovery: 0, jwks: 0 },
    mode: 'up',
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of stalled) res.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      const text = typeof body === 'string' ? body : JSON.stringify(body)
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
      res.end(text)
    }
    if (req.url === '/pool/.well-known/openid-configuration') {
      idp.counts.discovery++
      if (idp.mode === 'down') return send(503, { message: 'down' })
      return send(200, { issuer: idp.issuer, jwks_uri: idp.jwksUri })
    }
    if (req.url === '/pool/jwks.json') {
      idp.counts.jwks++
      if (idp.mode === 'down') return send(503, { message: 'down' })
      if (idp.mode === 'stall') {
        stalled.add(res)
        return
      }
      if (idp.mode === 'huge') {
        // Streamed without Content-Length, so only the running byte count can stop it.
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ keys: idp.keys.map((k) => k.jwk), pad: 'x'.repeat(200_000) }))
        return
      }
      return send(200, { keys: idp.keys.map((k) => k.jwk) })
    }
    send(404, { message: 'not found' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  idp.base = `http://127.0.0.1:${port}`
  idp.issuer = `${idp.base}/pool`
  idp.jwksUri = `${idp.base}/pool/jwks.json`
  return idp
}
