/**
 * WebSocket APIs in the gateway model (reference §9): how a message picks its route, who may
 * call the @connections management API, and the limits of every connection.
 */
import { z } from 'zod'

/** AWS's usual route selection expression, and serverless.yml's default. */
export const DEFAULT_ROUTE_SELECTION_EXPRESSION = '$request.body.action'

export const routeSelectionExpressionSchema = z
  .string()
  .min(1)
  .max(512)
  .describe(
    'WebSocket APIs: how a message picks its route. $request.body.<JSONPath> (e.g. $request.body.action), ${request.body.a}/${request.body.b} combinations, or a static key (\\$default escapes the literal). A message that is not JSON, or whose key has no route, goes to $default. Default $request.body.action.',
  )

/** Who may call `/{stage}/@connections/{id}` over HTTP. */
export const connectionsApiSchema = z
  .strictObject({
    authorization: z
      .enum(['AWS_IAM', 'NONE'])
      .optional()
      .describe(
        'AWS_IAM: SigV4-signed by one of iam.credentials whose policies allow execute-api:ManageConnections on arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/@connections/{id} (as on AWS). NONE: open to any caller (local development). Default: AWS_IAM when iam.credentials is not empty, else NONE.',
      ),
  })
  .describe('WebSocket APIs: the @connections management API (POST/GET/DELETE /{stage}/@connections/{connectionId}).')

export const routeResponseSelectionExpressionSchema = z
  .literal('$default')
  .describe('WebSocket APIs: "$default" sends the integration\'s answer (a Lambda proxy response\'s body) back to the client as a frame; without it nothing is sent back (two-way route).')

/** Limits of every WebSocket connection (reference §9.4). */
export const websocketSettingsSchema = z
  .strictObject({
    maxMessageBytes: z
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .default(131_072)
      .describe('Largest message a client may send; a larger one closes the connection with code 1009 (API Gateway: 128 KB). Also the largest @connections POST body (413 above it).'),
    idleTimeoutSeconds: z
      .number()
      .int()
      .min(0)
      .max(86_400)
      .default(600)
      .describe('A connection without a message in either direction for this long is closed with 1001 "Going away" (API Gateway: 10 minutes). 0 turns it off.'),
    maxConnectionSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400)
      .default(7200)
      .describe('A connection open this long is closed with 1001 "Going away" (API Gateway: 2 hours). 0 turns it off.'),
  })
  .describe('WebSocket APIs: limits of every connection.')

export type WebSocketSettings = z.output<typeof websocketSettingsSchema>
export type ConnectionsApiConfig = z.output<typeof connectionsApiSchema>
