/**
 * What the Serverless Framework deploys for `integration: lambda` (its documented "LAMBDA"
 * event and status codes), written here as VTL templates and selection patterns of Portico's
 * model:
 * - the request templates for application/json and application/x-www-form-urlencoded, which
 *   give the function {body, method, principalId, stage, cognitoPoolClaims, enhancedAuthContext,
 *   headers, query, path, identity, stageVariables, requestPath};
 * - the default status codes: 200 by default, and 400, 401, 403, 404, 422, 500, 502, 504 for
 *   errors whose message carries `[400]` ... `[504]` (500 also for "Process exited before
 *   completing request", 504 also for Lambda's "Task timed out after N seconds").
 */

/** A map of strings as a JSON object (keys and values escaped, quotes left JSON-valid). */
const STRING_MAP_MACRO =
  '#macro(slsStringMap $map){#foreach($key in $map.keySet())"$util.escapeJavaScript($key).replaceAll("\\\\\'", "\'")": "$util.escapeJavaScript($map.get($key)).replaceAll("\\\\\'", "\'")"#if($foreach.hasNext), #end#end}#end'

/** The rest of the event after `body`; `claims` adds cognitoPoolClaims entries (the event's `claims` option). */
function eventTemplate(body: string, claims: string[]): string {
  const claimLines = claims
    .filter((c) => c !== 'sub')
    .map((c) => `    "${c}": "$util.escapeJavaScript($context.authorizer.claims.get('${c.replace(/'/g, "''")}')).replaceAll("\\\\'", "'")",\n`)
    .join('')
  return `${STRING_MAP_MACRO}
${body}
#set($slsParams = $input.params())
{
  "body": $body,
  "method": "$context.httpMethod",
  "principalId": "$util.escapeJavaScript($context.authorizer.principalId).replaceAll("\\\\'", "'")",
  "stage": "$context.stage",
  "cognitoPoolClaims": {
${claimLines}    "sub": "$util.escapeJavaScript($context.authorizer.claims.sub).replaceAll("\\\\'", "'")"
  },
  "enhancedAuthContext": #slsStringMap($context.authorizer),
  "headers": #slsStringMap($slsParams.header),
  "query": #slsStringMap($slsParams.querystring),
  "path": #slsStringMap($slsParams.path),
  "identity": #slsStringMap($context.identity),
  "stageVariables": #slsStringMap($stageVariables),
  "requestPath": "$context.resourcePath"
}
`
}

/** The framework's default request templates of a lambda integration, by content type. */
export function serverlessLambdaTemplates(claims: string[] = []): Record<string, string> {
  const json = '#set($body = $input.json(\'$\'))'
  // A form body becomes an object of its decoded fields.
  const form =
    '#define($body){#if($input.body != "")#foreach($pair in $input.body.split(\'&\'))#set($kv = $pair.split(\'=\'))' +
    '#if($kv.size() > 1)#set($value = $util.urlDecode($kv[1]))#else#set($value = \'\')#end' +
    '"$util.escapeJavaScript($util.urlDecode($kv[0])).replaceAll("\\\\\'", "\'")": "$util.escapeJavaScript($value).replaceAll("\\\\\'", "\'")"#if($foreach.hasNext), #end#end#end}#end'
  return {
    'application/json': eventTemplate(json, claims),
    'application/x-www-form-urlencoded': eventTemplate(form, claims),
  }
}

/** The framework's default status codes (code → selection pattern; '' is the default response). */
export const SERVERLESS_STATUS_CODES: Record<string, string> = {
  200: '',
  400: '[\\s\\S]*\\[400\\][\\s\\S]*',
  401: '[\\s\\S]*\\[401\\][\\s\\S]*',
  403: '[\\s\\S]*\\[403\\][\\s\\S]*',
  404: '[\\s\\S]*\\[404\\][\\s\\S]*',
  422: '[\\s\\S]*\\[422\\][\\s\\S]*',
  500: '[\\s\\S]*(Process\\s?exited\\s?before\\s?completing\\s?request|\\[500\\])[\\s\\S]*',
  502: '[\\s\\S]*\\[502\\][\\s\\S]*',
  504: '([\\s\\S]*\\[504\\][\\s\\S]*)|(.*Task timed out after \\d+\\.\\d+ seconds$)',
}
