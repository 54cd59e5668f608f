/** Documents Portico cannot serve: each problem is an error with its JSON path, all at once. */
import { describe, expect, it } from 'vitest'
import { importOpenApi, isOpenApiDocument } from '../../../src/importers/openapi.ts'
import { ConfigError, loadModel, type ConfigIssue } from '../../../src/model/load.ts'
import { fixture } from './helpers.ts'

function issues(doc: unknown, opts = {}): ConfigIssue[] {
  try {
    importOpenApi(doc, opts)
  } catch (e) {
    if (e instanceof ConfigError) return e.issues
    throw e
  }
  throw new Error('the document was accepted')
}

const lambdaUri = (fn: string) => `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${fn}/invocations`
const mock = { type: 'mock', requestTemplates: { 'application/json': '{"statusCode": 200}' }, responses: { default: { statusCode: '200' } } }
const op = (integration: unknown, extra: Record<string, unknown> = {}) => ({ responses: {}, 'x-amazon-apigateway-integration': integration, ...extra })
const doc = (paths: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ openapi: '3.0.1', info: { title: 't', version: '1' }, paths, ...extra })

describe('what is not an OpenAPI 3 document', () => {
  it.each([
    ['a list', [], [{ path: [], message: 'not an OpenAPI document: expected an object' }]],
    ['Swagger 2.0', { swagger: '2.0', paths: {} }, [{ path: ['swagger'], message: 'OpenAPI 2.0 (Swagger) is not supported: convert the document to OpenAPI 3 (API Gateway exports either; choose oas30)' }]],
    ['no version', { paths: {} }, [{ path: ['openapi'], message: 'not an OpenAPI document: "openapi" (the version, e.g. 3.0.1) is missing' }]],
    ['OpenAPI 4', { openapi: '4.0.0', paths: {} }, [{ path: ['openapi'], message: 'OpenAPI 4.0.0 is not supported (3.0 and 3.1 are)' }]],
    ['no paths', { openapi: '3.1.0', info: { title: 'x' } }, [{ path: ['paths'], message: 'an API Gateway definition needs "paths" (an object of path items)' }]],
  ])('%s', (_, input, expected) => {
    expect(issues(input)).toEqual(expected)
  })

  it('isOpenApiDocument: 3.0 / 3.1 with paths only (YAML may read the version as a number)', () => {
    expect(isOpenApiDocument({ openapi: '3.0.3', paths: {} })).toBe(true)
    expect(isOpenApiDocument({ openapi: 3.1, paths: {} })).toBe(true)
    expect(isOpenApiDocument({ openapi: '3.1.0' })).toBe(false)
    expect(isOpenApiDocument({ swagger: '2.0', paths: {} })).toBe(false)
    expect(isOpenApiDocument({ apis: [{ name: 'x', type: 'REST' }] })).toBe(false)
    expect(isOpenApiDocument('openapi: 3.0.1')).toBe(false)
  })
})

describe('integrations Portico cannot serve', () => {
  it('reports every problem with its path', () => {
    const bad = doc({
      '/odd': { get: op({ type: 'vpc' }) },
      '/dynamodb': { post: op({ type: 'aws', uri: 'arn:aws:apigateway:us-east-1:dynamodb:action/GetItem', responses: { default: { statusCode: '200' } } }) },
      '/no-responses': { get: op({ type: 'http', uri: 'http://backend/x' }) },
      '/odd-passthrough': { get: op({ ...mock, passthroughBehavior: 'sometimes' }) },
      '/bad-status': { get: op({ ...mock, responses: { default: { statusCode: 'ok' } } }) },
      '/sqs': { post: op({ type: 'aws_proxy', integrationSubtype: 'SQS-SendMessage', uri: 'x' }) },
      '/s3': { get: op({ type: 'aws_proxy', uri: 'arn:aws:apigateway:us-east-1:s3:path/bucket/key' }) },
      '/sub': { get: op({ type: 'aws_proxy', uri: { 'Fn::Sub': 'arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations' } }) },
      '/cfn': { get: op({ type: 'aws_proxy', uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${GetPets.Arn}/invocations' }) },
      '/uri-from-query/{id}': {
        get: op({ type: 'http_proxy', uri: 'http://backend/{stage}', requestParameters: { 'integration.request.path.stage': 'method.request.querystring.version' } }),
      },
      '/timeout': { get: op({ type: 'http_proxy', uri: 'http://backend', timeoutInMillis: '5s' }) },
      '/ref': { get: op({ $ref: '#/components/x-amazon-apigateway-integrations/missing' }) },
      '/remote-ref': { get: op({ $ref: 'other.yaml#/integrations/x' }) },
      '/trace': { trace: op(mock) },
      '/bad/{a}{b}': { get: op(mock) },
    })
    expect(issues(bad)).toEqual([
      { path: ['paths', '/odd', 'get', 'x-amazon-apigateway-integration', 'type'], message: 'unknown integration type "vpc": aws_proxy, aws, http_proxy, http or mock' },
      {
        path: ['paths', '/dynamodb', 'post', 'x-amazon-apigateway-integration', 'uri'],
        message:
          'AWS service integrations other than Lambda are not supported: an aws integration here calls a Lambda function (arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/<function ARN>/invocations)',
      },
      {
        path: ['paths', '/no-responses', 'get', 'x-amazon-apigateway-integration', 'responses'],
        message: 'a non-proxy integration needs responses (at least "default"): without one, API Gateway answers every request with 500',
      },
      { path: ['paths', '/odd-passthrough', 'get', 'x-amazon-apigateway-integration', 'passthroughBehavior'], message: 'must be when_no_match, when_no_templates or never' },
      { path: ['paths', '/bad-status', 'get', 'x-amazon-apigateway-integration', 'responses', 'default', 'statusCode'], message: 'must be an integer, not "ok"' },
      {
        path: ['paths', '/sqs', 'post', 'x-amazon-apigateway-integration', 'integrationSubtype'],
        message: 'AWS service integrations (integrationSubtype) are not supported; aws_proxy integrations call Lambda functions',
      },
      {
        path: ['paths', '/s3', 'get', 'x-amazon-apigateway-integration', 'uri'],
        message: 'not a Lambda invocation URI (arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/<function ARN>/invocations)',
      },
      {
        path: ['paths', '/sub', 'get', 'x-amazon-apigateway-integration', 'uri'],
        message: 'must be a string (CloudFormation functions such as Fn::Sub are not resolved: give the resolved URI)',
      },
      {
        path: ['paths', '/cfn', 'get', 'x-amazon-apigateway-integration', 'uri'],
        message: '"${GetPets.Arn}" is not a Lambda function ARN: map it to a local handler with lambdaMapping ("GetPets" → "module.export")',
      },
      {
        path: ['paths', '/uri-from-query/{id}', 'get', 'x-amazon-apigateway-integration', 'requestParameters', 'integration.request.path.stage'],
        message: 'the uri\'s {stage} from "method.request.querystring.version" cannot be mapped yet: Portico fills {param} from the route\'s path parameters',
      },
      { path: ['paths', '/timeout', 'get', 'x-amazon-apigateway-integration', 'timeoutInMillis'], message: 'must be an integer, not "5s"' },
      { path: ['paths', '/ref', 'get', 'x-amazon-apigateway-integration', '$ref'], message: '"#/components/x-amazon-apigateway-integrations/missing" points to nothing in the document' },
      { path: ['paths', '/remote-ref', 'get', 'x-amazon-apigateway-integration', '$ref'], message: 'only references inside the document (#/...) are supported, not "other.yaml#/integrations/x"' },
      { path: ['paths', '/trace', 'trace'], message: 'API Gateway has no TRACE method' },
      { path: ['paths', '/bad/{a}{b}'], message: 'path part "{a}{b}" is not valid: use letters, digits, _ - . , : or a whole-segment {param} / {param+}' },
    ])
  })

  it('maps a CloudFormation reference to a local handler when lambdaMapping names it', () => {
    const { config } = importOpenApi(doc({ '/cfn': { get: op({ type: 'aws_proxy', uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${GetPets.Arn}/invocations' }) } }), {
      lambdaMapping: { GetPets: 'src/pets.list' },
    })
    expect(config.functions).toEqual({ GetPets: { handler: 'src/pets.list' } })
    expect(config.apis[0]!.routes![0]!.integration).toEqual({ type: 'lambda', function: 'GetPets' })
  })
})

describe('security Portico cannot enforce', () => {
  it('refuses routes that need an unenforceable scheme, several authorizers, or an unknown one', () => {
    const schemes = {
      bearer: { type: 'http', scheme: 'bearer' },
      sigv4: { type: 'apiKey', name: 'Authorization', in: 'header', 'x-amazon-apigateway-authtype': 'awsSigv4' },
      lambda: { type: 'apiKey', name: 'Authorization', in: 'header', 'x-amazon-apigateway-authorizer': { type: 'token', authorizerUri: lambdaUri('auth') } },
      odd: { type: 'apiKey', name: 'X', in: 'header', 'x-amazon-apigateway-authorizer': { type: 'saml' } },
    }
    const bad = doc(
      {
        '/a': { get: op(mock, { security: [{ bearer: [] }] }) },
        '/b': { get: op(mock, { security: [{ sigv4: [] }, { lambda: [] }] }) },
        '/c': { get: op(mock, { security: [{ nope: [] }] }) },
        '/d': { get: op(mock, { 'x-amazon-apigateway-auth': { type: 'COGNITO' } }) },
      },
      { components: { securitySchemes: schemes }, 'x-amazon-apigateway-gateway-responses': { NOT_A_TYPE: {} } },
    )
    let error: unknown
    try {
      importOpenApi(bad)
    } catch (e) {
      error = e
    }
    expect((error as ConfigError).issues).toEqual([
      { path: ['x-amazon-apigateway-gateway-responses', 'NOT_A_TYPE'], message: expect.stringMatching(/^unknown gateway response type \(DEFAULT_4XX, DEFAULT_5XX, .*, WAF_FILTERED\)$/) },
      { path: ['components', 'securitySchemes', 'odd', 'x-amazon-apigateway-authorizer', 'type'], message: 'unknown authorizer type "saml": token, request, jwt or cognito_user_pools' },
      {
        path: ['paths', '/a', 'get', 'security', 0, 'bearer'],
        message:
          'a security scheme of type http without x-amazon-apigateway-authorizer, which API Gateway does not enforce: Portico will not serve the route without the check (remove the requirement to serve it open)',
      },
      { path: ['paths', '/b', 'get', 'security', 1, 'lambda'], message: 'API Gateway applies one authorizer per method: AWS_IAM and authorizer "lambda"' },
      { path: ['paths', '/c', 'get', 'security', 0, 'nope'], message: 'no security scheme "nope" in components.securitySchemes' },
      { path: ['paths', '/d', 'get', 'x-amazon-apigateway-auth', 'type'], message: 'must be NONE or AWS_IAM' },
    ])
  })

  it('the document\'s security applies to operations without their own; an empty list opens one', () => {
    const schemes = { api_key: { type: 'apiKey', name: 'x-api-key', in: 'header' } }
    const { config, warnings } = importOpenApi(
      doc({ '/a': { get: op(mock) }, '/b': { get: op(mock, { security: [] }) } }, { components: { securitySchemes: schemes }, security: [{ api_key: [] }] }),
    )
    expect(config.apis[0]!.routes!.map((r) => r.apiKeyRequired ?? false)).toEqual([true, false])
    expect(warnings).toEqual([])
  })
})

describe('what is ignored is said', () => {
  it('warns about unknown API Gateway extensions and keys, unused mappings and operations without an integration', () => {
    const { config, warnings } = importOpenApi(
      doc(
        {
          '/a': {
            get: op(mock, { 'x-amazon-apigateway-documentation': {}, 'x-internal': true }),
            post: { responses: {} },
            'x-amazon-apigateway-foo': 1,
          },
          '/p/{id}': {
            get: op({
              type: 'http_proxy',
              uri: 'http://backend/items/{item}',
              requestParameters: {
                'integration.request.path.item': 'method.request.path.id',
                'integration.request.header.x-user': 'method.request.header.x-caller',
                'integration.request.querystring.v': "'2'",
              },
              tlsConfig: { insecureSkipVerification: true },
              connectionType: 'VPC_LINK',
              cacheKeyParameters: ['method.request.path.id'],
              cacheNamespace: 'abc123',
            }),
          },
        },
        {
          'x-amazon-apigateway-endpoint-configuration': { disableExecuteApiEndpoint: true },
          'x-amazon-apigateway-minimum-compression-size': 1024,
          x_typo: 1,
        },
      ),
      { lambdaMapping: { unused: 'x.y' } },
    )
    expect(warnings).toEqual([
      'x-amazon-apigateway-endpoint-configuration: x-amazon-apigateway-endpoint-configuration is not supported by Portico; ignored',
      'x-amazon-apigateway-minimum-compression-size: x-amazon-apigateway-minimum-compression-size is not supported by Portico; ignored',
      'x_typo: not a key of an OpenAPI document; ignored',
      'paths./a.get.x-amazon-apigateway-documentation: x-amazon-apigateway-documentation is not supported by Portico; ignored',
      'paths./a.post: no x-amazon-apigateway-integration: POST /a is not imported (it has nothing to call)',
      'paths./a.x-amazon-apigateway-foo: x-amazon-apigateway-foo is not supported by Portico; ignored',
      'paths./p/{id}.get.x-amazon-apigateway-integration.tlsConfig: TLS settings are not supported; ignored',
      'paths./p/{id}.get.x-amazon-apigateway-integration.connectionType: Portico has no VPC links: it calls the uri directly; ignored',
      'paths./p/{id}.get.x-amazon-apigateway-integration.requestParameters.integration.request.header.x-user: parameter mapping "method.request.header.x-caller" is not supported yet; ignored (the proxy forwards the request\'s own query string and headers)',
      'paths./p/{id}.get.x-amazon-apigateway-integration.requestParameters.integration.request.querystring.v: parameter mapping "\'2\'" is not supported yet; ignored (the proxy forwards the request\'s own query string and headers)',
      'lambdaMapping.unused: no Lambda URI of the document names this function; unused',
    ])
    // The integration's {item} is the route's {id}; its cache key parameters are the route's.
    expect(config.apis[0]!.routes![1]).toEqual({
      method: 'GET',
      path: '/p/{id}',
      integration: { type: 'http_proxy', uri: 'http://backend/items/{id}' },
      caching: { cacheKeyParameters: ['method.request.path.id'] },
    })
  })
})

describe('origin: model errors on the imported config point back into the document', () => {
  it('maps config paths to document paths, through $refs', () => {
    const { config, origin } = importOpenApi(fixture('petstore-mock.json'), { type: 'HTTP' })
    let error: ConfigError | undefined
    try {
      loadModel(config)
    } catch (e) {
      error = e as ConfigError
    }
    expect(error!.issues.map((i) => [i.path, origin(i.path)])).toEqual([
      [['apis', 0, 'routes', 0, 'integration', 'type'], ['paths', '/pets', 'get', 'x-amazon-apigateway-integration', 'type']],
      [['apis', 0, 'routes', 1, 'integration', 'type'], ['paths', '/pets', 'post', 'x-amazon-apigateway-integration', 'type']],
      [['apis', 0, 'routes', 2, 'integration', 'type'], ['paths', '/pets/{petId}', 'get', 'x-amazon-apigateway-integration', 'type']],
    ])
    const orders = importOpenApi(fixture('orders-auth.yaml'), { lambdaMapping: { orders: 'nope', tokenAuth: 'handlers.tokenAuth' } })
    expect(orders.origin(['apis', 0, 'routes', 1, 'integration', 'function'])).toEqual(['components', 'x-amazon-apigateway-integrations', 'orders', 'uri'])
    expect(orders.origin(['apis', 0, 'routes', 0, 'integration', 'timeoutMs'])).toEqual(['paths', '/orders', 'get', 'x-amazon-apigateway-integration', 'timeoutInMillis'])
    expect(orders.origin(['apis', 0, 'routes', 1, 'apiKeyRequired'])).toEqual(['paths', '/orders', 'post', 'security'])
    expect(orders.origin(['apis', 0, 'authorizers', 'pool', 'providerArns', 0])).toEqual(['components', 'securitySchemes', 'pool', 'x-amazon-apigateway-authorizer'])
    expect(orders.origin(['apis', 0, 'resourcePolicy', 'Statement', 1, 'Condition'])).toEqual(['x-amazon-apigateway-policy', 'Statement', 1, 'Condition'])
    // A bad handler string comes from lambdaMapping; the URI that named the function is the place to look.
    expect(orders.origin(['functions', 'orders', 'handler'])).toEqual(['paths', '/orders', 'get', 'x-amazon-apigateway-integration', 'uri'])
    expect(orders.origin(['settings', 'region'])).toBeUndefined()
  })
})

describe('request validators', () => {
  const validators = { basic: { validateRequestBody: true, validateRequestParameters: false }, params: { validateRequestParameters: true } }
  it('the document\'s validator applies to operations without their own', () => {
    const body = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' } } } }
    const { config, warnings } = importOpenApi(
      doc(
        { '/a': { post: op(mock, { requestBody: body }), get: op(mock, { 'x-amazon-apigateway-request-validator': 'params' }) } },
        { 'x-amazon-apigateway-request-validators': validators, 'x-amazon-apigateway-request-validator': 'basic', components: { schemas: { Pet: { type: 'object' } } } },
      ),
    )
    expect(warnings).toEqual([])
    const api = config.apis[0]!
    expect(api.routes!.map((r) => [r.method, r.requestValidator, r.requestModels])).toEqual([
      ['POST', 'basic', { 'application/json': 'Pet' }],
      ['GET', 'params', undefined],
    ])
    expect(api.requestValidators).toEqual({ basic: { validateRequestBody: true, validateRequestParameters: false }, params: { validateRequestBody: false, validateRequestParameters: true } })
    expect(api.models).toEqual({ Pet: { type: 'object' } })
  })

  it('parameters of the path item and the operation, inline bodies, renamed schemas', () => {
    const { config, warnings } = importOpenApi(
      doc(
        {
          '/a/{id}': {
            parameters: [{ name: 'id', in: 'path', required: true }, { name: 'X-Trace', in: 'header', required: true }],
            post: op(mock, {
              parameters: [{ $ref: '#/components/parameters/Q' }, { name: 'X-Trace', in: 'header', required: false }, { name: 'c', in: 'cookie' }],
              requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { pet: { $ref: '#/components/schemas/Pet_Input' } } } } } },
            }),
          },
        },
        {
          'x-amazon-apigateway-request-validators': validators,
          components: { parameters: { Q: { name: 'q', in: 'query', required: true } }, schemas: { Pet_Input: { type: 'object' } } },
        },
      ),
    )
    expect(warnings).toEqual([
      'components.schemas.Pet_Input: imported as model "PetInput" (API Gateway model names are letters and digits)',
      'paths./a/{id}.post.parameters[2]: cookie parameters are not request parameters of API Gateway; ignored',
    ])
    const api = config.apis[0]!
    expect(api.routes![0]).toMatchObject({
      requestParameters: { 'method.request.path.id': true, 'method.request.header.X-Trace': false, 'method.request.querystring.q': true },
      requestModels: { 'application/json': 'AIdVarPostApplicationJsonBody' },
    })
    expect(api.models).toEqual({
      PetInput: { type: 'object' },
      AIdVarPostApplicationJsonBody: { type: 'object', properties: { pet: { $ref: '#/components/schemas/PetInput' } } },
    })
  })

  it('HTTP APIs have no request validation: validators are warned about, schemas and parameters are documentation', () => {
    const { config, warnings } = importOpenApi(
      doc(
        { '/a': { post: op(mock, { 'x-amazon-apigateway-request-validator': 'basic', parameters: [{ name: 'q', in: 'query', required: true }] }) } },
        { 'x-amazon-apigateway-request-validators': validators, components: { schemas: { Pet: { type: 'object' } } } },
      ),
      { type: 'HTTP' },
    )
    expect(warnings).toEqual([
      'x-amazon-apigateway-request-validators: request validation exists on REST APIs only (as on AWS); ignored',
      'paths./a.post.x-amazon-apigateway-request-validator: request validation exists on REST APIs only (as on AWS); ignored',
    ])
    expect(config.apis[0]!.models).toBeUndefined()
    expect(config.apis[0]!.routes![0]!.requestParameters).toBeUndefined()
  })

  it('x-amazon-apigateway-cors on a REST API is warned about', () => {
    const { warnings } = importOpenApi(doc({ '/a': { get: op(mock) } }, { 'x-amazon-apigateway-cors': { allowOrigins: ['*'] } }), { type: 'REST' })
    expect(warnings).toEqual([
      'x-amazon-apigateway-cors: x-amazon-apigateway-cors configures HTTP APIs; REST APIs answer preflights with OPTIONS methods (mock integrations); ignored',
    ])
  })

  it('a model problem is reported at its place in the document', async () => {
    const text = JSON.stringify(
      doc({ '/a': { get: op(mock) } }, { components: { schemas: { Pet: { type: 'object', properties: { owner: { $ref: '#/components/schemas/Owner' } } } } } }),
    )
    const { config, origin } = importOpenApi(JSON.parse(text))
    try {
      loadModel(config)
      expect.unreachable()
    } catch (e) {
      const issue = (e as ConfigError).issues[0]!
      expect(issue.message).toBe('no model "Owner" (models: Empty, Error, Pet)')
      expect(origin(issue.path)).toEqual(['components', 'schemas', 'Pet', 'properties', 'owner', '$ref'])
    }
  })
  it('an unknown validator is an error, said once', () => {
    expect(issues(doc({ '/a': { get: op(mock), post: op(mock) } }, { 'x-amazon-apigateway-request-validator': 'strict' }))).toEqual([
      { path: ['x-amazon-apigateway-request-validator'], message: 'no request validator "strict" in x-amazon-apigateway-request-validators' },
    ])
  })
})
