// Edge condition evaluation: text operators, Go-style regexes, JSON-path operators and helpers.
import { describe, expect, test } from 'bun:test';
import { conditionMatches, jsonPathLookup, jsonValueString, parseJsonOutput, parseNumber } from '../../../src/runtime/engine/conditions';

describe('text operators', () => {
  test('output_contains is a case-insensitive substring test', () => {
    expect(conditionMatches({ output_contains: 'TECH' }, 'a tech issue')).toBe(true);
    expect(conditionMatches({ output_contains: 'tech' }, 'A TECHNICAL ISSUE')).toBe(true);
    expect(conditionMatches({ output_contains: 'billing' }, 'a tech issue')).toBe(false);
  });

  test('output_not_contains fails when the text is present in any case', () => {
    expect(conditionMatches({ output_not_contains: 'error' }, 'all good')).toBe(true);
    expect(conditionMatches({ output_not_contains: 'error' }, 'An ERROR happened')).toBe(false);
  });

  test('all set fields must match (AND)', () => {
    const c = { output_contains: 'refund', output_not_contains: 'urgent' };
    expect(conditionMatches(c, 'refund please')).toBe(true);
    expect(conditionMatches(c, 'urgent refund')).toBe(false);
    expect(conditionMatches(c, 'hello')).toBe(false);
  });

  test('an empty condition and empty-string fields match everything', () => {
    expect(conditionMatches({}, 'anything')).toBe(true);
    expect(conditionMatches({ output_contains: '', output_matches: '', equals: '' }, 'anything')).toBe(true);
  });
});

describe('output_matches (Go regex syntax)', () => {
  test('(?i)^urgent matches case-insensitively at the start only', () => {
    const c = { output_matches: '(?i)^urgent' };
    expect(conditionMatches(c, 'URGENT: server down')).toBe(true);
    expect(conditionMatches(c, 'Urgent')).toBe(true);
    expect(conditionMatches(c, 'not urgent')).toBe(false);
  });

  test('without flags the match is case-sensitive and unanchored', () => {
    expect(conditionMatches({ output_matches: 'P[0-9]' }, 'severity P1 ticket')).toBe(true);
    expect(conditionMatches({ output_matches: 'P[0-9]' }, 'severity p1 ticket')).toBe(false);
  });

  test('named groups written (?P<name>...) compile', () => {
    expect(conditionMatches({ output_matches: '(?P<id>INC-\\d+)' }, 'see INC-42')).toBe(true);
  });

  test('an invalid pattern never matches (and is evaluated repeatedly without throwing)', () => {
    expect(conditionMatches({ output_matches: '([a-z' }, 'abc')).toBe(false);
    expect(conditionMatches({ output_matches: '([a-z' }, 'abc')).toBe(false);
  });

  test('regex combines with other fields', () => {
    const c = { output_matches: '(?i)^urgent', output_not_contains: 'billing' };
    expect(conditionMatches(c, 'urgent outage')).toBe(true);
    expect(conditionMatches(c, 'urgent billing question')).toBe(false);
  });
});

describe('output_json_path', () => {
  const out = JSON.stringify({
    queue: 'billing',
    score: 7,
    ratio: 0.25,
    big: 3.0,
    flag: true,
    none: null,
    tags: ['a', 'b', 2],
    text: 'Hello World',
    nested: { level: { value: '12' } },
    items: [{ name: 'first' }, { name: 'second' }],
  });
  const m = (c: Record<string, string>) => conditionMatches({ output_json_path: c.path, ...c }, out);

  test('equals / not_equals compare the string form', () => {
    expect(m({ path: '$.queue', equals: 'billing' })).toBe(true);
    expect(m({ path: '$.queue', equals: 'Billing' })).toBe(false);
    expect(m({ path: '$.score', equals: '7' })).toBe(true);
    expect(m({ path: '$.big', equals: '3' })).toBe(true);
    expect(m({ path: '$.ratio', equals: '0.25' })).toBe(true);
    expect(m({ path: '$.flag', equals: 'true' })).toBe(true);
    expect(m({ path: '$.none', not_equals: 'x' })).toBe(true);
    expect(m({ path: '$.queue', not_equals: 'billing' })).toBe(false);
    expect(m({ path: '$.queue', not_equals: 'tech' })).toBe(true);
  });

  test('dot paths descend objects and index arrays', () => {
    expect(m({ path: '$.nested.level.value', equals: '12' })).toBe(true);
    expect(m({ path: '$.items.1.name', equals: 'second' })).toBe(true);
    expect(m({ path: '$.items[0].name', equals: 'first' })).toBe(true);
    expect(m({ path: '$.tags.0', equals: 'a' })).toBe(true);
  });

  test('contains: any array element string form equals; strings are case-insensitive substrings', () => {
    expect(m({ path: '$.tags', contains: 'b' })).toBe(true);
    expect(m({ path: '$.tags', contains: '2' })).toBe(true);
    expect(m({ path: '$.tags', contains: 'B' })).toBe(false);
    expect(m({ path: '$.text', contains: 'world' })).toBe(true);
    expect(m({ path: '$.text', contains: 'mars' })).toBe(false);
    expect(m({ path: '$.score', contains: '7' })).toBe(true);
  });

  test('greater_than / less_than are numeric and strict; numeric strings count', () => {
    expect(m({ path: '$.score', greater_than: '5' })).toBe(true);
    expect(m({ path: '$.score', greater_than: '7' })).toBe(false);
    expect(m({ path: '$.score', less_than: '7.5' })).toBe(true);
    expect(m({ path: '$.score', less_than: '7' })).toBe(false);
    expect(m({ path: '$.nested.level.value', greater_than: '11', less_than: '13' })).toBe(true);
    expect(m({ path: '$.queue', greater_than: '1' })).toBe(false);
    expect(m({ path: '$.flag', less_than: '1' })).toBe(false);
    expect(m({ path: '$.score', greater_than: 'abc' })).toBe(false);
  });

  test('a missing path or invalid JSON is false for every operator', () => {
    expect(m({ path: '$.missing', not_equals: 'x' })).toBe(false);
    expect(m({ path: '$.items.5.name', not_equals: 'x' })).toBe(false);
    expect(m({ path: '$.queue.deeper', not_equals: 'x' })).toBe(false);
    expect(conditionMatches({ output_json_path: '$.queue', not_equals: 'x' }, 'not json {')).toBe(false);
  });

  test('JSON inside a ```json fence is accepted', () => {
    const fenced = 'Here is my routing decision:\n```json\n{"queue": "tech", "priority": 2}\n```\nThanks.';
    expect(conditionMatches({ output_json_path: '$.queue', equals: 'tech' }, fenced)).toBe(true);
    expect(conditionMatches({ output_json_path: '$.priority', greater_than: '1' }, fenced)).toBe(true);
    expect(conditionMatches({ output_json_path: '$.queue', equals: 'billing' }, fenced)).toBe(false);
  });

  test('a path with no operator only requires the value to exist', () => {
    expect(conditionMatches({ output_json_path: '$.queue' }, out)).toBe(true);
    expect(conditionMatches({ output_json_path: '$.nope' }, out)).toBe(false);
  });
});

describe('helpers', () => {
  test('parseJsonOutput parses whole output, then a fenced block', () => {
    expect(parseJsonOutput('  {"a": 1}  ')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonOutput('text ```\n[1, 2]\n``` more')).toEqual({ ok: true, value: [1, 2] });
    expect(parseJsonOutput('```JSON\n{"b": true}```')).toEqual({ ok: true, value: { b: true } });
    expect(parseJsonOutput('no json here')).toEqual({ ok: false });
    expect(parseJsonOutput('```json\n{broken\n```')).toEqual({ ok: false });
  });

  test('jsonPathLookup resolves "$" to the whole value and reports missing segments', () => {
    expect(jsonPathLookup({ a: 1 }, '$')).toEqual({ found: true, value: { a: 1 } });
    expect(jsonPathLookup({ a: [10, 20] }, '$.a.1')).toEqual({ found: true, value: 20 });
    expect(jsonPathLookup({ a: { '0': 'zero' } }, '$.a.0')).toEqual({ found: true, value: 'zero' });
    expect(jsonPathLookup({ a: [10] }, '$.a.x')).toEqual({ found: false });
    expect(jsonPathLookup({ a: null }, '$.a')).toEqual({ found: true, value: null });
    expect(jsonPathLookup({ a: null }, '$.a.b')).toEqual({ found: false });
    expect(jsonPathLookup({}, '$.toString')).toEqual({ found: false });
  });

  test('jsonValueString prints numbers without exponents or trailing decimals', () => {
    expect(jsonValueString(3)).toBe('3');
    expect(jsonValueString(-2.5)).toBe('-2.5');
    expect(jsonValueString(1e21)).toBe('1000000000000000000000');
    expect(jsonValueString(1e-7)).toBe('0.0000001');
    expect(jsonValueString(2 ** 60)).toBe('1152921504606846976');
    expect(jsonValueString(false)).toBe('false');
    expect(jsonValueString(null)).toBe('');
    expect(jsonValueString({ b: 1, a: [true] })).toBe('{"a":[true],"b":1}');
  });

  test('parseNumber accepts decimal forms and rejects the rest', () => {
    expect(parseNumber('42')).toBe(42);
    expect(parseNumber('-1.5e2')).toBe(-150);
    expect(parseNumber('.5')).toBe(0.5);
    expect(parseNumber('+Inf')).toBe(Infinity);
    expect(parseNumber('')).toBeUndefined();
    expect(parseNumber('12abc')).toBeUndefined();
    expect(parseNumber('0x10')).toBeUndefined();
  });
});
