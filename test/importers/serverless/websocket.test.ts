/** serverless.yml websocket events: the API they make, its provider settings, and the refusals. */
import { describe, expect, it } from 'vitest'
import { importServerless } from '../../../src/importers/serverless.ts'
import { ConfigError, formatIssue, loadModel } from '../../../src/model/load.ts'

const fn = (events: unknown[], extra: Record<string, unknown> = {}) => ({ handler: 'h.f', events, ...extra })

function load(doc: Record<string, unknown>) {
  const { config, warnings } = importServerless({ service: 'svc', provider: { name: 'aws' }, ...doc }, { env: {} })
  return { config: config as any, warnings, model: loadModel(config).model }
}

function errors(doc: Record<string, unknown>): string[] {
  try {
    importServerless({ service: 'svc', provider: { name: 'aws' }, ...doc }, { env: {} })
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map(formatIssue)
    throw e
  }
  return []
}

describe('websocket events', () => {
  it('take the provider\'s name, selection expression and description, the short form and route responses', () => {
    const { config, warnings, model } = load({
      provider: {
        name: 'aws',
        stage: 'prod',
        websocketsApiName: 'chat-ws',
        websocketsApiRouteSelectionExpression: '$request.body.type',
        websocketsDescription: 'the chat',
        logs: { websocket: { format: '$context.connectionId' } },
      },
      functions: {
        c: fn([{ websocket: '$connect' }]),
        m: fn([{ websocket: { route: 'say', routeResponseSelectionExpression: '$default' } }]),
      },
    })
    expect(warnings).toEqual([])
    expect(config.apis[0]).toEqual({
      name: 'chat-ws',
      type: 'WEBSOCKET',
      stages: [{ name: 'prod', accessLog: { enabled: true, format: '$context.connectionId' } }],
      routes: [
        { route: '$connect', integration: { type: 'lambda', function: 'c' } },
        { route: 'say', integration: { type: 'lambda', function: 'm' }, routeResponseSelectionExpression: '$default' },
      ],
      routeSelectionExpression: '$request.body.type',
      description: 'the chat',
    })
    expect(model.apis[0]!.websocket!.selector.source).toBe('$request.body.type')
  })

  it('take an authorizer by name (identity source route.request.header.Auth by default) or by ARN', () => {
    const byName = load({ functions: { auth: { handler: 'h.auth' }, c: fn([{ websocket: { route: '$connect', authorizer: 'auth' } }]) } })
    expect(byName.config.apis[0].authorizers).toEqual({ auth: { type: 'request', function: 'auth', identitySource: ['route.request.header.Auth'] } })
    const arn = 'arn:aws:lambda:us-east-1:123456789012:function:remote-auth'
    const byArn = load({ functions: { c: fn([{ websocket: { route: '$connect', authorizer: { arn, identitySource: 'route.request.querystring.t' } } }]) } })
    expect(byArn.config.apis[0].authorizers).toEqual({ 'remote-auth': { type: 'request', function: arn, identitySource: ['route.request.querystring.t'] } })
    expect(byArn.config.apis[0].routes[0].authorization).toEqual({ authorizer: 'remote-auth' })
  })

  it('mount under /ws next to a REST API, and say so', () => {
    const { config, warnings, model } = load({ functions: { a: fn([{ http: 'GET /a' }, { websocket: '$default' }]) } })
    expect(config.apis.map((a: any) => [a.type, a.basePath ?? '/'])).toEqual([['REST', '/'], ['WEBSOCKET', '/ws']])
    expect(warnings).toEqual(['provider: the service has WebSocket and http (REST) events, which AWS serves on separate hosts: Portico serves the WebSocket API under /ws/dev (custom.portico.websocketBasePath changes it)'])
    expect(model.apis[1]!.basePath).toBe('/ws')
    const custom = load({ custom: { portico: { websocketBasePath: '/live' } }, functions: { a: fn([{ http: 'GET /a' }, { websocket: '$default' }]) } })
    expect(custom.warnings).toEqual([])
    expect(custom.config.apis[1].basePath).toBe('/live')
  })

  it('warn about what they do not act on', () => {
    const { warnings } = load({
      provider: { name: 'aws', websocketsApiName: 'x' },
      functions: { a: fn([{ websocket: { route: 'r', extra: 1 } }], { throttle: { burstLimit: 1, rateLimit: 1 } }) },
    })
    expect(warnings).toEqual([
      'functions.a.events[0].websocket.extra: not supported by Portico yet (ignored)',
      "functions.a.events[0].websocket: the function's throttle applies to its http and httpApi events: route throttling is not supported on WebSocket APIs yet (not applied to this route)",
    ])
    const none = importServerless({ service: 's', provider: { name: 'aws', websocketsApiRouteSelectionExpression: '$request.body.x' }, functions: { a: fn([{ http: 'GET /a' }]) } }, { env: {} })
    expect(none.warnings).toEqual(['provider.websocketsApiRouteSelectionExpression: applies to the WebSocket API (websocket events); this service has none (ignored)'])
  })

  it('refuse an authorizer off $connect, an unknown function, a route twice, a route-less event', () => {
    expect(errors({ functions: { a: fn([{ websocket: { route: 'r', authorizer: 'a' } }]) } })).toEqual(['functions.a.events[0].websocket.authorizer: WebSocket APIs authorize on the $connect route only'])
    expect(errors({ functions: { a: fn([{ websocket: { route: '$connect', authorizer: { name: 'nope' } } }]) } })).toEqual([
      'functions.a.events[0].websocket.authorizer.name: no function "nope" in functions (an authorizer given by name is one of this service\'s functions)',
    ])
    expect(errors({ functions: { a: fn([{ websocket: '$default' }]), b: fn([{ websocket: '$default' }]) } })).toEqual(['functions.b.events[0].websocket: WebSocket route $default is already defined at functions.a.events[0].websocket'])
    expect(errors({ functions: { a: fn([{ websocket: { routeResponseSelectionExpression: '$default' } }]) } })).toEqual([
      'functions.a.events[0].websocket.route: a websocket event needs a route: $connect, $disconnect, $default or a key such as sendMessage',
    ])
  })
})
