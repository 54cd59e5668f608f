/** The storage contracts against the memory implementations. */
import { keyStoreContract } from './contract/key-store.contract.ts'
import { quotaCounterContract } from './contract/quota-counter.contract.ts'
import { rateLimiterContract } from './contract/rate-limiter.contract.ts'
import { responseCacheContract } from './contract/response-cache.contract.ts'
import { memoryKeyStore } from '../../src/storage/memory/key-store.ts'
import { memoryQuotaCounter } from '../../src/storage/memory/quota-counter.ts'
import { memoryRateLimiter } from '../../src/storage/memory/rate-limiter.ts'
import { memoryResponseCache } from '../../src/storage/memory/response-cache.ts'
import { fakeClock } from '../helpers/gateway.ts'

rateLimiterContract('memory', async () => ({ limiter: memoryRateLimiter() }))
quotaCounterContract('memory', async () => ({ counter: memoryQuotaCounter() }))
keyStoreContract('memory', async () => ({ store: memoryKeyStore() }))
responseCacheContract('memory', async () => {
  const clock = fakeClock()
  return { factory: memoryResponseCache(clock), clock }
})
