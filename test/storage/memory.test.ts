/** The storage contracts against the memory implementations. */
import { keyStoreContract } from './contract/key-store.contract.ts'
import { quotaCounterContract } from './contract/quota-counter.contract.ts'
import { rateLimiterContract } from './contract/rate-limiter.contract.ts'
import { memoryKeyStore } from '../../src/storage/memory/key-store.ts'
import { memoryQuotaCounter } from '../../src/storage/memory/quota-counter.ts'
import { memoryRateLimiter } from '../../src/storage/memory/rate-limiter.ts'

rateLimiterContract('memory', async () => ({ limiter: memoryRateLimiter() }))
quotaCounterContract('memory', async () => ({ counter: memoryQuotaCounter() }))
keyStoreContract('memory', async () => ({ store: memoryKeyStore() }))
