/**
 * The built-in pipeline features, in any order (the gateway sorts them by priority). Each
 * lives in its own folder: schema in src/model, the per-route step here.
 */
import type { Feature } from '../core/feature.ts'
import { apiKeyFeature } from './api-key/index.ts'
import { jwtFeature } from './auth-jwt/index.ts'
import { iamFeature, resourcePolicyFeature } from './auth-iam/index.ts'
import { lambdaAuthorizerFeature } from './auth-lambda/index.ts'
import { cacheFeature } from './cache/index.ts'
import { usagePlanFeature } from './usage-plan/index.ts'
import { validateFeature } from './validate/index.ts'
import { restCorsFeature } from './cors/index.ts'

export const builtinFeatures: Feature[] = [
  resourcePolicyFeature,
  iamFeature,
  jwtFeature,
  lambdaAuthorizerFeature,
  apiKeyFeature,
  usagePlanFeature,
  validateFeature,
  cacheFeature,
  restCorsFeature,
]
