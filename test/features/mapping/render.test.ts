/**
 * How templates render, case by case, through a real gateway (the request template of an
 * http integration; the backend records the body it gets). The expectations are API
 * Gateway's recorded behaviour (reference §8.1): Java Map.toString printing, JSON lists,
 * missing values printing nothing, $util's escaping rules, $input.params' lookup order.
 */
import { describe, expect, it } from 'vitest'
import { renderRequest } from './helpers.ts'

const DOC = JSON.stringify({
  foo: 'bar',
  list: [{ foo: 'bar' }],
  nested: { foo: [{ nested: 'bar' }] },
  bigger: { bigger: 'dict', to: 'test', with: 'separators' },
  empty: [],
  items: [{ id: 1, tags: ['a', 'b'] }, { id: 2, tags: ['c'] }],
  text: "it's \"quoted\" / é",
  n: 42,
  f: 1.5,
  yes: true,
})

type Case = [name: string, template: string, expected: string]

const cases: Case[] = [
  // $input.path: Java's Map.toString for maps, JSON for lists (LocalStack's AWS-validated recording).
  ['a map prints as Java Map.toString', "$input.path('$.bigger')", '{bigger=dict, to=test, with=separators}'],
  ['a one-key map', "#set($m = $util.parseJson('{\"foo\":\"bar\"}'))$m", '{foo=bar}'],
  ['a list prints as JSON', "$input.path('$.list')", '[{"foo":"bar"}]'],
  ['a map holding a list', "$input.path('$.nested')", '{foo=[{"nested":"bar"}]}'],
  ['an empty list', "$input.path('$.empty')", '[]'],
  ['a missing path prints nothing', '"body": $input.path(\'$.missing\'),', '"body": ,'],
  ['a missing value equals $null', "#set($r = $input.path('$.missing'))#if($r == $null)null#end", 'null'],
  ['a missing value equals the empty string', "#set($r = $input.path('$.missing'))#if($r == \"\")empty#end", 'empty'],
  ['a present value is not null', "#set($r = $input.path('$.foo'))#if($r == $null)null#{else}set#end", 'set'],
  ['strings, numbers and booleans print plainly', "$input.path('$.foo') $input.path('$.n') $input.path('$.f') $input.path('$.yes')", 'bar 42 1.5 true'],
  // $input.json: JSON text; strings quoted.
  ['$input.json of a string is quoted', "$input.json('$.foo')", '"bar"'],
  ['$input.json of the document', "$input.json('$.bigger')", '{"bigger":"dict","to":"test","with":"separators"}'],
  ['$input.json of a number', "$input.json('$.n')", '42'],
  ['$input.body is the raw payload', '$input.body', DOC],
  // JSONPath subset.
  ['$[\'name\']', "$input.path(\"$['foo']\")", 'bar'],
  ['an index', "$input.path('$.items[1].id')", '2'],
  ['a negative index', "$input.path('$.items[-1].id')", '2'],
  ['[*] gives a JSON list', "$input.json('$.items[*].id')", '[1,2]'],
  ['.* over a map', "$input.json('$.bigger.*')", '["dict","test","separators"]'],
  ['..name collects every match', "$input.json('$..tags')", '[["a","b"],["c"]]'],
  ['a wildcard with no match is an empty list', "$input.path('$.none[*]')", '[]'],
  // Directives.
  ['## comments print nothing', '## a comment\nx', 'x'],
  ['#set and #if / #elseif / #else', "#set($n = $input.path('$.n'))#if($n > 50)big#elseif($n > 40)mid#{else}small#end", 'mid'],
  [
    '#foreach with $foreach.hasNext',
    "#foreach($i in $input.path('$.items'))$i.id#if($foreach.hasNext),#end#end",
    '1,2',
  ],
  ['nested #foreach', "#foreach($i in $input.path('$.items'))[#foreach($t in $i.tags)$t#end]#end", '[ab][c]'],
  ['#foreach stops after 1000 iterations', '#set($count = 0)#foreach($i in [1..1500])#set($count = $count + 1)#end$count', '1000'],
  ['$foreach.count and index', "#foreach($t in ['x','y'])$foreach.index:$foreach.count #end", '0:1 1:2 '],
  // $util.
  ['escapeJavaScript escapes quotes, slashes and non-ASCII', "$util.escapeJavaScript($input.path('$.text'))", 'it\\\'s \\"quoted\\" \\/ \\u00E9'],
  ['escapeJavaScript then replaceAll, as AWS advises', "$util.escapeJavaScript(\"it's\").replaceAll(\"\\\\'\",\"'\")", "it's"],
  ['escapeJavaScript of control characters', '$util.escapeJavaScript("a\tb")', 'a\\tb'],
  ['urlEncode: form rules', "$util.urlEncode('a b{c}~*')", 'a+b%7Bc%7D%7E*'],
  ['urlEncode: UTF-8', "$util.urlEncode('é')", '%C3%A9'],
  ['urlDecode', "$util.urlDecode('a+b%7Bc%C3%A9')", 'a b{cé'],
  ['base64Encode (UTF-8)', "$util.base64Encode('héllo')", 'aMOpbGxv'],
  ['base64Decode', "$util.base64Decode('aMOpbGxv')", 'héllo'],
  ['parseJson gives a value to navigate', "#set($o = $util.parseJson('{\"a\":{\"b\":[1,2]}}'))$o.a.b[1]", '2'],
  // Java methods on maps, lists and strings.
  ['map get / keySet / size / containsKey', "#set($m = $input.path('$.bigger'))$m.get('to') $m.keySet() $m.size() $m.containsKey('to') $m.get('nope')", 'test [bigger, to, with] 3 true '],
  ['list size / get / isEmpty', "#set($l = $input.path('$.items'))$l.size() $l.get(0).id $l.isEmpty()", '2 1 false'],
  ['String replaceAll takes a regex', "#set($s = 'a1b22c')$s.replaceAll('[0-9]+', '-')", 'a-b-c'],
  ['String split drops trailing empty strings', "#set($p = 'a,b,,')$p.split(',').size()", '2'],
  ['String matches is a whole-string match', "#set($s = 'abc')$s.matches('b') $s.matches('a.c')", 'false true'],
  ['String length / substring / toUpperCase / contains', "#set($s = 'hello')$s.length() $s.substring(1, 3) $s.toUpperCase() $s.contains('ell')", '5 el HELLO true'],
  ['a missing reference prints nothing', '[$nothing][$nothing.deeper]', '[][]'],
]

describe('rendering (reference §8.1)', () => {
  it.each(cases)('%s', async (_name, template, expected) => {
    expect(await renderRequest(template, { body: DOC })).toBe(expected)
  })

  it('an empty body is {} to $input.json and an empty map to $input.path', async () => {
    expect(await renderRequest("$input.json('$')|$input.path('$')|$input.body|", { body: '' })).toBe('{}|{}||')
  })

  it('a body that is not JSON is a string at $', async () => {
    expect(await renderRequest("$input.path('$').split('&').size() $input.json('$')", { body: 'a=1&b=2', headers: { 'content-type': 'application/json' } })).toBe(
      '2 "a=1&b=2"',
    )
  })

  it('$input.params(): path, then query string, then header', async () => {
    const call = { path: '/things/42?id=q&q=1&q=2', headers: { id: 'h', 'X-Only': 'header' }, body: '{}' }
    expect(await renderRequest("$input.params('id') $input.params('q') $input.params('x-only') [$input.params('none')]", call)).toBe('42 2 header []')
    expect(await renderRequest('$input.params().path $input.params().querystring', call)).toBe('{id=42} {id=q, q=2}')
    // app.request() reports header names lowercased (Node's server keeps the client's casing).
    const headers = await renderRequest(
      '#foreach($h in $input.params().header.keySet())#if($h == "x-only")$h=$input.params().header.get($h)#end#end',
      call,
    )
    expect(headers).toBe('x-only=header')
  })

  it('$context and $stageVariables', async () => {
    const text = await renderRequest(
      '$context.httpMethod $context.resourcePath $context.path $context.stage $context.identity.sourceIp $context.identity.userAgent $context.accountId $stageVariables.color $stageVariables[\'color\'] [$context.authorizer.principalId]',
      { path: '/things/7', body: '{}', headers: { 'user-agent': 'curl/8' } },
      { variables: { color: 'blue' } },
    )
    expect(text).toBe('POST /things/{id} /prod/things/7 prod 127.0.0.1 curl/8 123456789012 blue blue []')
    const ids = await renderRequest('$context.requestId|$context.requestTime|$context.requestTimeEpoch|$context.apiId|$context.domainName', { body: '{}' })
    const [requestId, time, epoch, apiId, domain] = ids.split('|')
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/)
    // The test clock: 2026-01-15T12:00:00Z.
    expect(time).toBe('15/Jan/2026:12:00:00 +0000')
    expect(epoch).toBe(String(Date.UTC(2026, 0, 15, 12)))
    expect(apiId).toMatch(/^[a-z0-9]{10}$/)
    expect(domain).toBe('localhost')
  })
})
