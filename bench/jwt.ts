/**
 * A fixed ES256 key and a token it signed (expires in 2100), for the benchmark's JWT row only:
 * the load generator sends the same header on every request. Not a secret: never use it elsewhere.
 */
export const BENCH_JWK = {
  "kty": "EC",
  "x": "qUP-8RL1BIkTQ4lmK5VQR2TszBWfgjfmwDbhh_K619s",
  "y": "GkpMlZ7yBTXQS2AkHXMi8GwWJP191Ilk4G-ybiZ9fSc",
  "crv": "P-256",
  "kid": "bench-1",
  "alg": "ES256",
  "use": "sig"
}

export const BENCH_ISSUER = 'https://bench.portico.local/'

export const BENCH_TOKEN =
  'eyJhbGciOiJFUzI1NiIsImtpZCI6ImJlbmNoLTEifQ.eyJzdWIiOiJiZW5jaC11c2VyIiwic2NvcGUiOiJyZWFkIiwiaXNzIjoiaHR0cHM6Ly9iZW5jaC5wb3J0aWNvLmxvY2FsLyIsImF1ZCI6ImJlbmNoIiwiaWF0IjoxNzY3MjI1NjAwLCJleHAiOjQxMDI0NDQ4MDB9.dVu7hbCux7dDSxtg6J-pvX58wV5HH5wy6AxiK7UpLeY43WbMX8ib03CnIvLV6FQCYLdVx720ln853BZ6rOGpCA'
