/**
 * The gateway model: the single source of truth every importer produces and every runtime
 * serves. Validated once at load time (model/load.ts); never per request.
 */
import { z } from 'zod'
import { GATEWAY_RESPONSE_TYPES } from '../core/errors.ts'
import {
  apiKeySchema,
  authorizerSchema,
  iamCredentialSchema,
  policyDocumentSchema,
  routeAuthorizationSchema,
} from './auth-schema.ts'
import { cacheSettingsSchema, routeCachingSchema, stageCacheSchema } from './cache-schema.ts'
import { storePolicySchema, throttleSchema, usagePlanSchema } from './usage-schema.ts'
import { httpCorsSchema, routeCorsSchema } from './cors-schema.ts'
import { modelName, modelSchema, requestModelsSchema, requestParametersSchema, requestValidatorSchema } from './validation-schema.ts'
import { httpCustomIntegration, lambdaCustomIntegration, mockTemplateFields } from './mapping-schema.ts'
import { headerMap, resourcePath, routeMethod, stageName, stageVariables, timeoutMs } from './typedefs.ts'
import { connectionsApiSchema, routeResponseSelectionExpressionSchema, routeSelectionExpressionSchema, websocketSettingsSchema } from './websocket-schema.ts'

/** A Lambda function the gateway can invoke: a local module or a remote AWS function. */
export const functionSchema = z
  .strictObject({
    handler: z
      .string()
      .regex(/^[^\s]+\.[A-Za-z_$][\w$]*$/, 'handler is "<module path>.<export>", e.g. src/users.get')
      .optional()
      .describe(
        'Local handler, serverless-style: "src/users.get" is export `get` of src/users.{ts,mts,mjs,js,cjs}, relative to the config file.',
      ),
    arn: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Remote function invoked through the Lambda Invoke API: a function name, name:alias or full ARN. May use ${stageVariables.x}.',
      ),
    runtime: z
      .string()
      .regex(/^(nodejs[\w.]*|python3[\w.]*)$/, 'a Lambda runtime such as nodejs22.x or python3.12')
      .optional()
      .describe('Local handlers: nodejs* (default) or python3* (run by a Python worker process; also chosen when the module is a .py file).'),
    region: z.string().optional().describe('Region of the remote function; defaults to the ARN\'s region, then settings.region.'),
    endpoint: z
      .url()
      .optional()
      .describe('Lambda Invoke API endpoint (LocalStack, serverless-offline :3002, ...). Defaults to AWS_ENDPOINT_URL_LAMBDA, then AWS_ENDPOINT_URL, then AWS.'),
    timeout: z
      .number()
      .positive()
      .max(900)
      .default(6)
      .describe('Function timeout in seconds (Lambda allows up to 900). A run past it is a function error.'),
    memorySize: z.number().int().min(128).max(10240).default(1024).describe('Reported to the handler as context.memoryLimitInMB.'),
    environment: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment names are letters, digits and _'), z.string())
      .default({})
      .describe('Environment variables set for a local handler (process.env, at load time).'),
    description: z.string().optional().describe('Free text.'),
  })
  .refine((f) => (f.handler === undefined) !== (f.arn === undefined), {
    message: 'a function needs exactly one of "handler" (local module) or "arn" (remote Lambda)',
  })
  .describe('A Lambda function.')

export const lambdaIntegration = z
  .strictObject({
    type: z.literal('lambda').describe('Lambda proxy integration (AWS_PROXY).'),
    function: z
      .string()
      .min(1)
      .describe('Name of an entry in `functions`, or a Lambda ARN (invoked remotely). ARNs may use ${stageVariables.x}.'),
    payloadFormatVersion: z
      .enum(['1.0', '2.0'])
      .optional()
      .describe('HTTP APIs: event format, default 2.0. REST APIs always use 1.0.'),
    timeoutMs: timeoutMs(300_000)
      .optional()
      .describe('Integration timeout in ms. Default 29000 (REST) / 30000 (HTTP API). Past it: REST 504, HTTP API 503.'),
  })
  .describe('Invoke a Lambda function with an API Gateway proxy event.')

export const httpProxyIntegration = z
  .strictObject({
    type: z.literal('http_proxy').describe('HTTP proxy integration (HTTP_PROXY).'),
    uri: z
      .string()
      .regex(/^(?:https?:\/\/|\$\{stageVariables\.)/, 'uri must be an http(s) URL (it may start with ${stageVariables.x})')
      .describe(
        'Backend URL. {proxy} and other {param} are replaced by the request\'s path parameters; ${stageVariables.x} by stage variables. The request query string is appended.',
      ),
    method: routeMethod.default('ANY').describe('Method sent to the backend; ANY forwards the client\'s method.'),
    timeoutMs: timeoutMs(300_000)
      .optional()
      .describe('Integration timeout in ms. Default 29000 (REST) / 30000 (HTTP API).'),
  })
  .describe('Forward the request to an HTTP backend and stream the answer back.')

export const mockIntegration = z
  .strictObject({
    type: z.literal('mock').describe('Mock integration (MOCK): a static response, or one selected and rendered by templates; no backend.'),
    statusCode: z.number().int().min(100).max(599).optional().describe('Static form: status of the response (default 200).'),
    headers: headerMap.optional().describe('Static form: response headers.'),
    body: z.string().optional().describe('Static form: response body, sent as written.'),
    ...mockTemplateFields,
  })
  .refine((m) => m.responses !== undefined || (m.requestTemplates === undefined && m.passthroughBehavior === undefined), {
    message: 'requestTemplates and passthroughBehavior select among responses: add responses',
    path: ['responses'],
  })
  .refine((m) => m.responses === undefined || (m.statusCode === undefined && m.headers === undefined && m.body === undefined), {
    message: 'a mock is either static (statusCode, headers, body) or templated (requestTemplates, responses), not both',
    path: ['responses'],
  })
  .describe('Answer without a backend: a static response, or the integration response the request template selects.')

export const integrationSchema = z
  .discriminatedUnion('type', [lambdaIntegration, httpProxyIntegration, mockIntegration, lambdaCustomIntegration, httpCustomIntegration])
  .describe('What the route calls.')

export const routeSchema = z
  .strictObject({
    route: z
      .string()
      .optional()
      .describe('Route key: "GET /users/{id}", "ANY /{proxy+}" or "$default" (HTTP APIs); "$connect", "$disconnect", "$default" or a custom key such as "sendMessage" (WebSocket APIs). Alternative to method + path.'),
    method: routeMethod.optional().describe('HTTP method; ANY by default.'),
    path: resourcePath.optional(),
    integration: integrationSchema,
    authorization: routeAuthorizationSchema.default('NONE'),
    apiKeyRequired: z.boolean().default(false).describe('REST, and WebSocket $connect: require an x-api-key (403 Forbidden without a valid one).'),
    caching: routeCachingSchema.optional(),
    throttle: throttleSchema.optional().describe('Throttle of this route (method settings; serverless function-level throttle).'),
    cors: routeCorsSchema.optional(),
    requestValidator: z.string().min(1).max(1024).optional().describe('REST: name of one of the API\'s requestValidators that checks this route\'s requests.'),
    requestParameters: requestParametersSchema.optional(),
    requestModels: requestModelsSchema.optional(),
    routeResponseSelectionExpression: routeResponseSelectionExpressionSchema.optional(),
    description: z.string().optional().describe('Free text.'),
  })
  .describe('A route (REST: a method on a resource; HTTP API and WebSocket API: a route key).')

export const accessLogSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Write one line per request to stdout.'),
    format: z
      .string()
      .min(1)
      .default('json')
      .describe(
        '"json" (AWS\'s default fields), "clf", or a template with $context variables, e.g. "$context.requestId $context.status".',
      ),
  })
  .describe('Access log.')

export const stageSchema = z
  .strictObject({
    name: stageName,
    variables: stageVariables.default({}),
    description: z.string().optional().describe('Free text.'),
    accessLog: accessLogSchema.optional().describe('Overrides settings.accessLog for this stage.'),
    cache: stageCacheSchema.optional().describe('REST: response cache of this stage.'),
    throttle: throttleSchema.optional().describe('Default throttle of every route of this stage (stage / defaultRouteSettings).'),
  })
  .describe('A stage of the API.')

export const gatewayResponseSchema = z
  .strictObject({
    statusCode: z.number().int().min(100).max(599).optional().describe('Status to answer with instead of the type\'s own.'),
    headers: z
      .record(z.string(), z.string())
      .default({})
      .describe('Headers to add; static values may be quoted as AWS writes them (\'*\').'),
    body: z
      .string()
      .optional()
      .describe(
        'Body template (application/json). $context.error.messageString, $context.error.validationErrorString, $context.requestId, $stageVariables.x are substituted.',
      ),
  })
  .describe('Override of one gateway response type (REST APIs only).')

export const apiSchema = z
  .strictObject({
    name: z.string().min(1).max(128).describe('API name.'),
    type: z.enum(['REST', 'HTTP', 'WEBSOCKET']).describe('REST API (v1), HTTP API (v2) or WebSocket API.'),
    id: z
      .string()
      .regex(/^[a-z0-9]{1,32}$/, 'api ids are lowercase letters and digits')
      .optional()
      .describe('API id (requestContext.apiId). Defaults to a stable id derived from the name.'),
    basePath: z
      .string()
      .regex(/^\/(?:[A-Za-z0-9._~-]+(?:\/[A-Za-z0-9._~-]+)*)?$/, 'basePath is "/" or "/segment[/segment]"')
      .default('/')
      .describe(
        'Mount point of the API on this server, like a custom-domain base path mapping: stripped before stage and route matching.',
      ),
    hosts: z
      .array(z.string().min(1))
      .default([])
      .describe('Host names this API answers on (empty: any host). Matched before basePath.'),
    stages: z.array(stageSchema).min(1).optional().describe('Stages. Default: [prod] for REST and WebSocket APIs, [$default] for HTTP APIs.'),
    routes: z.array(routeSchema).default([]).describe('Routes.'),
    binaryMediaTypes: z
      .array(z.string().regex(/^[^\s/]+\/[^\s/]+$/, 'a media type such as image/png or */*'))
      .default([])
      .describe('REST: request bodies of these types reach Lambda base64-encoded; base64 responses are decoded for these Accept types.'),
    authorizers: z
      .record(z.string().regex(/^[A-Za-z][\w-]{0,127}$/, 'authorizer names are letters, digits, _ and -'), authorizerSchema)
      .default({})
      .describe('Authorizers by name, referenced by routes\' authorization.'),
    apiKeySource: z
      .enum(['HEADER', 'AUTHORIZER'])
      .default('HEADER')
      .describe('REST and WebSocket APIs: where API keys come from: the x-api-key header, or a Lambda authorizer\'s usageIdentifierKey (WebSocket apiKeySelectionExpression $request.header.x-api-key / $context.authorizer.usageIdentifierKey).'),
    resourcePolicy: policyDocumentSchema.optional().describe('Resource policy evaluated for every request (aws:SourceIp conditions supported).'),
    gatewayResponses: z
      .partialRecord(z.enum(GATEWAY_RESPONSE_TYPES), gatewayResponseSchema)
      .default({})
      .describe('REST only: overrides of gateway responses per type (DEFAULT_4XX, DEFAULT_5XX, THROTTLED, ...).'),
    cors: httpCorsSchema.optional(),
    models: z
      .record(modelName, modelSchema)
      .default({})
      .describe('REST: models (body schemas) by name, referenced by routes\' requestModels. Empty and Error exist unless redefined, as on AWS.'),
    requestValidators: z
      .record(z.string().min(1).max(1024), requestValidatorSchema)
      .default({})
      .describe('REST: request validators by name, referenced by routes\' requestValidator.'),
    routeSelectionExpression: routeSelectionExpressionSchema.optional(),
    connectionsApi: connectionsApiSchema.optional(),
    description: z.string().optional().describe('Free text.'),
  })
  .describe('An API.')

export const settingsSchema = z
  .strictObject({
    region: z.string().regex(/^[a-z]{2}(?:-[a-z]+)+-\d$/, 'a region such as us-east-1').default('us-east-1').describe('Region reported in events and ARNs.'),
    accountId: z.string().regex(/^\d{12}$/, 'a 12-digit account id').default('123456789012').describe('Account id reported in events and ARNs.'),
    trustForwardedFor: z
      .boolean()
      .default(false)
      .describe(
        'Take the client IP (identity.sourceIp) from the leftmost X-Forwarded-For entry. Only behind a proxy you trust; otherwise the socket peer address is used.',
      ),
    maxPayloadBytes: z
      .number()
      .int()
      .min(1)
      .max(100 * 1024 * 1024)
      .default(10_485_760)
      .describe('Largest request body; above it 413 (API Gateway: 10 MB).'),
    maxHeaderBytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024)
      .default(10_240)
      .describe('Largest total size of request header values; above it 431 (API Gateway: 10240 bytes).'),
    accessLog: accessLogSchema.default({ enabled: true, format: 'json' }),
    cache: cacheSettingsSchema.default(() => cacheSettingsSchema.parse({})),
    throttle: throttleSchema
      .optional()
      .describe(
        'Account-level throttle across every API. Unset: AWS\'s default (10,000 rps, burst 5,000) applies, without advertising it in rate-limit headers.',
      ),
    rateLimitHeaders: z
      .boolean()
      .default(true)
      .describe('Send RateLimit / RateLimit-Policy and X-RateLimit-* headers on throttled routes (Retry-After on 429 always).'),
    store: z
      .string()
      .regex(/^(memory|upstash|sqlite:.+|rediss?:\/\/.+)$/, 'store is memory, sqlite:<path>, redis://host:port, rediss://... or upstash')
      .default('memory')
      .describe('Shared state (keys, plans, limits, quotas, authorizer cache): memory, sqlite:<path>, redis://..., upstash. PORTICO_STORE overrides it.'),
    storePolicy: storePolicySchema.default(() => storePolicySchema.parse({})),
    python: z
      .strictObject({
        interpreter: z.string().min(1).default('python3').describe('Python 3 for .py handlers (a path or a name on PATH); PORTICO_PYTHON overrides it.'),
      })
      .default({ interpreter: 'python3' })
      .describe('Python handlers (Node and Bun).'),
    admin: z
      .strictObject({
        pathPrefix: z
          .string()
          .regex(/^\/[A-Za-z0-9._~\/-]+$/, 'a path such as /_portico/admin')
          .default('/_portico/admin')
          .describe('Where the admin API answers (only when PORTICO_ADMIN_TOKEN is set).'),
      })
      .default({ pathPrefix: '/_portico/admin' })
      .describe('Admin API.'),
    websocket: websocketSettingsSchema.default(() => websocketSettingsSchema.parse({})),
  })
  .describe('Gateway-wide settings.')

export const configSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema reference for editors.'),
    settings: settingsSchema.default(() => settingsSchema.parse({})),
    functions: z
      .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'function names are letters, digits, _ and -'), functionSchema)
      .default({})
      .describe('Lambda functions by name, referenced by lambda integrations.'),
    apis: z.array(apiSchema).min(1).describe('The APIs this gateway serves.'),
    iam: z
      .strictObject({ credentials: z.array(iamCredentialSchema).default([]) })
      .default({ credentials: [] })
      .describe('IAM identities allowed to sign requests to AWS_IAM routes.'),
    apiKeys: z.array(apiKeySchema).default([]).describe('API keys (REST routes and WebSocket $connect routes with apiKeyRequired).'),
    usagePlans: z.array(usagePlanSchema).default([]).describe('Usage plans: per-key throttle and quota on API stages.'),
  })
  .describe('A Portico gateway configuration.')

/** Config as written by users (defaults optional). */
export type PorticoConfigInput = z.input<typeof configSchema>
/** Config after parsing (defaults applied). */
export type PorticoConfig = z.output<typeof configSchema>
export type ApiConfig = z.output<typeof apiSchema>
export type StageConfig = z.output<typeof stageSchema>
export type RouteConfig = z.output<typeof routeSchema>
export type IntegrationConfig = z.output<typeof integrationSchema>
export type LambdaIntegrationConfig = z.output<typeof lambdaIntegration>
export type HttpProxyIntegrationConfig = z.output<typeof httpProxyIntegration>
export type MockIntegrationConfig = z.output<typeof mockIntegration>
export type LambdaCustomIntegrationConfig = z.output<typeof lambdaCustomIntegration>
export type HttpCustomIntegrationConfig = z.output<typeof httpCustomIntegration>
export type FunctionConfig = z.output<typeof functionSchema>
export type SettingsConfig = z.output<typeof settingsSchema>
