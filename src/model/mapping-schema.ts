/**
 * Non-proxy integrations in the gateway model (REST APIs, as on AWS): Lambda custom (AWS),
 * HTTP custom (HTTP) and the template fields of mocks: request templates with their
 * passthrough behaviour, request parameter mappings, integration responses (selection pattern,
 * status, response templates, response parameters). Templates are VTL (reference §8).
 */
import { z } from 'zod'
import { routeMethod, timeoutMs } from './typedefs.ts'

/** API Gateway's limit for one mapping template: 300 KB. */
const MAX_TEMPLATE_BYTES = 300 * 1024

const mediaType = z
  .string()
  .regex(/^[^\s/;]+\/[^\s/;]+$/, 'a media type such as application/json (no parameters)')

export const mappingTemplate = z
  .string()
  .refine((t) => new TextEncoder().encode(t).byteLength <= MAX_TEMPLATE_BYTES, { message: 'a mapping template is at most 300 KB (API Gateway\'s limit)' })
  .describe('A VTL mapping template (API Gateway\'s $input, $context, $util, $stageVariables; #set, #if, #foreach).')

export const requestTemplatesSchema = z
  .record(mediaType, mappingTemplate)
  .default({})
  .describe(
    'Request mapping templates by request Content-Type (application/json when the request has none). The output is the integration request body: the Lambda event, the backend body, or a mock\'s {"statusCode": N}.',
  )

export const passthroughBehaviorSchema = z
  .enum(['WHEN_NO_MATCH', 'WHEN_NO_TEMPLATES', 'NEVER'])
  .default('WHEN_NO_MATCH')
  .describe(
    'A request whose Content-Type has no template: WHEN_NO_MATCH passes its body through; WHEN_NO_TEMPLATES passes it only when no templates are defined, else 415; NEVER answers 415.',
  )

/** `integration.request.header.X` ← `method.request.querystring.Y`, `'static'`, `context.X`, ... */
export const requestParametersSchema = z
  .record(
    z
      .string()
      .regex(
        /^integration\.request\.(header|querystring|path|multivalueheader|multivaluequerystring)\.[^\s]+$/,
        'a target is integration.request.header.X, integration.request.querystring.X or integration.request.path.X (or multivalueheader / multivaluequerystring)',
      ),
    z.string().min(1).max(1024),
  )
  .default({})
  .describe(
    'Integration request parameters, AWS\'s way: integration.request.{header,querystring,path}.X from method.request.{path,querystring,header,multivaluequerystring,multivalueheader}.Y, method.request.body[.a.b], context.X, stageVariables.X or a static \'value\'.',
  )

export const integrationResponseSchema = z
  .strictObject({
    selectionPattern: z
      .string()
      .max(1024)
      .optional()
      .describe(
        'Regular expression (whole-string match) selecting this response: against the Lambda error\'s errorMessage (lambda_custom; "" for a successful invocation), or the status code of the backend (http) or of the mock\'s template. Absent or "": the default response.',
      ),
    statusCode: z.number().int().min(100).max(599).default(200).describe('Status of the method response.'),
    responseTemplates: z
      .record(mediaType, mappingTemplate)
      .default({})
      .describe('Response templates by media type, chosen by the request\'s Accept (else application/json, else the first). None: the integration\'s body passes through.'),
    responseParameters: z
      .record(
        z.string().regex(/^method\.response\.header\.[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'a response parameter is method.response.header.X'),
        z.string().min(1).max(1024),
      )
      .default({})
      .describe(
        'Response headers: method.response.header.X from a static \'value\', integration.response.header.Y, integration.response.multivalueheader.Y, integration.response.body[.a.b], context.X or stageVariables.X.',
      ),
  })
  .describe('An integration response.')

export const integrationResponsesSchema = z
  .array(integrationResponseSchema)
  .min(1)
  .max(64)
  .default(() => [{ statusCode: 200, responseTemplates: {}, responseParameters: {} }])
  .describe('Integration responses; the first whose selectionPattern matches answers, else the default one (no pattern). Default: one default response, status 200, body passed through.')

export const lambdaCustomIntegration = z
  .strictObject({
    type: z.literal('lambda_custom').describe('Lambda custom (non-proxy) integration (AWS): the function gets the request template\'s output as its event.'),
    function: z
      .string()
      .min(1)
      .describe('Name of an entry in `functions`, or a Lambda ARN (invoked remotely). ARNs may use ${stageVariables.x}.'),
    requestTemplates: requestTemplatesSchema,
    passthroughBehavior: passthroughBehaviorSchema,
    responses: integrationResponsesSchema,
    timeoutMs: timeoutMs(300_000).optional().describe('Integration timeout in ms (default 29000). Past it: 504.'),
  })
  .describe('Invoke a Lambda function with a mapped event and map its answer (or error) to the response.')

export const httpCustomIntegration = z
  .strictObject({
    type: z.literal('http').describe('HTTP custom (non-proxy) integration (HTTP): mapped request, mapped response.'),
    uri: z
      .string()
      .regex(/^(?:https?:\/\/|\$\{stageVariables\.)/, 'uri must be an http(s) URL (it may start with ${stageVariables.x})')
      .describe(
        'Backend URL. {x} is filled from integration.request.path.x (requestParameters), else from the route\'s {x}; ${stageVariables.x} by stage variables. Only mapped query strings and headers are sent.',
      ),
    method: routeMethod.default('ANY').describe('Method sent to the backend; ANY sends the client\'s method.'),
    requestTemplates: requestTemplatesSchema,
    passthroughBehavior: passthroughBehaviorSchema,
    requestParameters: requestParametersSchema,
    responses: integrationResponsesSchema,
    timeoutMs: timeoutMs(300_000).optional().describe('Integration timeout in ms (default 29000). Past it: 504.'),
  })
  .describe('Call an HTTP backend with a mapped request and map its answer by status code.')

/** The template fields a mock may have besides (instead of) its static answer. */
export const mockTemplateFields = {
  requestTemplates: z
    .record(mediaType, mappingTemplate)
    .optional()
    .describe('Templates form: request templates whose output {"statusCode": N} selects the response (no template: 200).'),
  passthroughBehavior: z
    .enum(['WHEN_NO_MATCH', 'WHEN_NO_TEMPLATES', 'NEVER'])
    .optional()
    .describe('Templates form: see lambda_custom (default WHEN_NO_MATCH).'),
  responses: z
    .array(integrationResponseSchema)
    .min(1)
    .max(64)
    .optional()
    .describe('Templates form: integration responses, selected by the status code the request template gives.'),
}
