/**
 * Authorization in the gateway model: authorizers (JWT, Cognito user pools, Lambda TOKEN /
 * REQUEST), IAM credentials and policies, resource policies, API keys.
 */
import { z } from 'zod'

/** Asymmetric JWS algorithms; `none` and HS* are never accepted from a JWKS. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const

const stringOrList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])

/** An IAM policy statement, as AWS writes them. */
export const policyStatementSchema = z
  .strictObject({
    Sid: z.string().optional(),
    Effect: z.enum(['Allow', 'Deny']).describe('Allow or Deny; an explicit Deny always wins.'),
    Action: stringOrList.optional().describe('Actions, e.g. execute-api:Invoke; * and ? wildcards.'),
    NotAction: stringOrList.optional(),
    Resource: stringOrList.optional().describe('ARNs: arn:aws:execute-api:region:account:apiId/stage/METHOD/path; * and ? wildcards.'),
    NotResource: stringOrList.optional(),
    Principal: z.union([z.literal('*'), z.record(z.string(), stringOrList)]).optional().describe('Resource policies only.'),
    Condition: z
      .partialRecord(z.enum(['IpAddress', 'NotIpAddress']), z.strictObject({ 'aws:SourceIp': stringOrList }))
      .optional()
      .describe('Supported: IpAddress / NotIpAddress on aws:SourceIp (CIDR or address).'),
  })
  .refine((s) => (s.Action === undefined) !== (s.NotAction === undefined), { message: 'a statement needs exactly one of Action or NotAction' })
  .refine((s) => (s.Resource === undefined) !== (s.NotResource === undefined), { message: 'a statement needs exactly one of Resource or NotResource' })

export const policyDocumentSchema = z
  .strictObject({
    Version: z.string().optional(),
    Statement: z.union([policyStatementSchema, z.array(policyStatementSchema)]),
  })
  .describe('An IAM policy document.')

const jwksSchema = z.strictObject({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).describe('An inline JWKS.')

const jwtCommon = {
  jwksUri: z.url().optional().describe('JWKS URL. Default: jwks_uri of <issuer>/.well-known/openid-configuration.'),
  jwks: jwksSchema.optional(),
  algorithms: z
    .array(z.enum(ASYMMETRIC_ALGORITHMS))
    .min(1)
    .optional()
    .describe('Accepted algorithms (asymmetric only). Default: RS256 for Cognito, every asymmetric one for JWT.'),
  clockSkewSeconds: z.number().int().min(0).max(300).default(5).describe('Tolerance on exp, nbf and iat.'),
  jwksCacheSeconds: z.number().int().min(0).max(86_400).default(600).describe('How long fetched keys are kept (refetched once on an unknown kid).'),
  maxTokenBytes: z.number().int().min(256).max(65_536).default(8192).describe('Longer tokens are refused without parsing.'),
}

/** HTTP API JWT authorizer. */
export const jwtAuthorizerSchema = z
  .strictObject({
    type: z.literal('jwt'),
    issuer: z.url().describe('Expected iss, compared exactly (a trailing slash matters).'),
    audience: z.array(z.string().min(1)).max(50).default([]).describe('Accepted aud (or client_id) values; empty accepts any.'),
    identitySource: z
      .string()
      .regex(/^\$request\.(header|querystring)\.[\w-]+$|^\$request\.cookie\.[\w-]+$/, 'use $request.header.X, $request.querystring.X or $request.cookie.X')
      .default('$request.header.Authorization')
      .describe('Where the token is; "Bearer " is optional in headers.'),
    ...jwtCommon,
  })
  .describe('JWT authorizer (HTTP APIs).')

/** REST Cognito user pool authorizer. */
export const cognitoAuthorizerSchema = z
  .strictObject({
    type: z.literal('cognito_user_pools'),
    providerArns: z
      .array(z.string().regex(/^arn:aws:cognito-idp:[a-z0-9-]+:\d{12}:userpool\/[\w-]+$/, 'a user pool ARN: arn:aws:cognito-idp:region:account:userpool/id'))
      .min(1)
      .describe('User pools whose tokens are accepted.'),
    issuer: z
      .url()
      .optional()
      .describe('Issuer override (a local IdP in tests); default https://cognito-idp.<region>.amazonaws.com/<pool id>.'),
    identitySource: z
      .string()
      .regex(/^method\.request\.header\.[\w-]+$/, 'use method.request.header.X')
      .default('method.request.header.Authorization'),
    identityValidationExpression: z.string().optional().describe('Regex the aud claim must match.'),
    audience: z.array(z.string().min(1)).default([]).describe('App client ids accepted (aud / client_id); empty accepts any.'),
    ...jwtCommon,
  })
  .describe('Cognito user pool authorizer (REST APIs).')

/** Lambda (custom) authorizer. */
export const lambdaAuthorizerSchema = z
  .strictObject({
    type: z.enum(['token', 'request']).describe('token (REST TOKEN) or request (REST REQUEST, HTTP API Lambda authorizer).'),
    function: z.string().min(1).describe('Name of an entry in `functions`, or a Lambda ARN.'),
    identitySource: stringOrList
      .optional()
      .describe(
        'token: method.request.header.X (default Authorization). request: a list of method.request.header.X / method.request.querystring.X / stageVariables.X / context.X (REST) or $request.header.X / $request.querystring.X / $context.X / $stageVariables.X (HTTP).',
      ),
    identityValidationExpression: z.string().optional().describe('token: regex the token must match, else 401 without invoking.'),
    resultTtlInSeconds: z.number().int().min(0).max(3600).default(300).describe('Result cache TTL; 0 disables.'),
    payloadFormatVersion: z.enum(['1.0', '2.0']).optional().describe('HTTP APIs: authorizer event format, default 2.0.'),
    enableSimpleResponses: z.boolean().default(false).describe('HTTP API 2.0: {isAuthorized, context} instead of an IAM policy.'),
  })
  .describe('Lambda authorizer.')

export const authorizerSchema = z
  .discriminatedUnion('type', [jwtAuthorizerSchema, cognitoAuthorizerSchema, lambdaAuthorizerSchema])
  .describe('An authorizer.')

export const routeAuthorizationSchema = z
  .union([
    z.enum(['NONE', 'AWS_IAM']),
    z.strictObject({
      authorizer: z.string().min(1).describe('Name of an entry in the API\'s authorizers.'),
      scopes: z.array(z.string().min(1)).max(10).default([]).describe('JWT / Cognito: at least one must be in the token\'s scope (or scp).'),
    }),
  ])
  .describe('NONE, AWS_IAM (SigV4), or an authorizer with optional scopes.')

/** An IAM identity that may sign requests (AWS_IAM routes). */
export const iamCredentialSchema = z
  .strictObject({
    accessKeyId: z.string().regex(/^[A-Z0-9]{16,128}$/, 'an access key id such as AKIAIOSFODNN7EXAMPLE'),
    secretAccessKey: z.string().min(1).optional().describe('The secret; prefer secretAccessKeyEnv.'),
    secretAccessKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional().describe('Environment variable holding the secret.'),
    arn: z.string().regex(/^arn:aws:(iam|sts)::\d{12}:.+$/, 'an IAM user or role ARN').describe('The caller (identity.userArn).'),
    policies: z.array(policyDocumentSchema).default([]).describe('Identity policies evaluated for execute-api:Invoke.'),
  })
  .refine((c) => (c.secretAccessKey === undefined) !== (c.secretAccessKeyEnv === undefined), {
    message: 'give exactly one of secretAccessKey or secretAccessKeyEnv',
  })
  .describe('An IAM credential.')

/** An API key declared in config. */
export const apiKeySchema = z
  .strictObject({
    name: z.string().min(1).max(1024),
    id: z.string().regex(/^[a-z0-9]{1,32}$/).optional().describe('Key id (identity.apiKeyId); default derived from the name.'),
    value: z.string().min(20).max(128).optional().describe('The key (20-128 characters); prefer valueEnv.'),
    valueEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional().describe('Environment variable holding the key.'),
    enabled: z.boolean().default(true),
    description: z.string().optional(),
  })
  .refine((k) => (k.value === undefined) !== (k.valueEnv === undefined), { message: 'give exactly one of value or valueEnv' })
  .describe('An API key (stored hashed; compared in constant time).')

export type PolicyDocument = z.output<typeof policyDocumentSchema>
export type PolicyStatement = z.output<typeof policyStatementSchema>
export type JwtAuthorizerConfig = z.output<typeof jwtAuthorizerSchema>
export type CognitoAuthorizerConfig = z.output<typeof cognitoAuthorizerSchema>
export type LambdaAuthorizerConfig = z.output<typeof lambdaAuthorizerSchema>
export type AuthorizerConfig = z.output<typeof authorizerSchema>
export type RouteAuthorization = z.output<typeof routeAuthorizationSchema>
export type IamCredentialConfig = z.output<typeof iamCredentialSchema>
export type ApiKeyConfig = z.output<typeof apiKeySchema>
