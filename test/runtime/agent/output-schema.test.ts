// execution.output_schema: the validator subset, JSON answers (fenced or not), correction messages
// with the problems, exhaustion, the mock's schema-valid answers and JSON that only looks like a call.
import { describe, expect, test } from 'bun:test';
import { checkAnswer, runAgent, validateSchema } from '../../../src/runtime/agent';
import { openaiAnswer } from '../models/fake-model-server';
import { agentInput, echoHandler, endpoints, rows, servers, tool } from './helpers';

const srv = servers();

const verdict = {
  type: 'object',
  properties: { verdict: { enum: ['approve', 'reject'] }, score: { type: 'integer', minimum: 0, maximum: 10 } },
  required: ['verdict', 'score'],
  additionalProperties: false,
};

describe('validator', () => {
  test('each keyword of the subset reports its problem with a path', () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 2, maxLength: 4 },
        tags: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2 },
        kind: { const: 'report' },
        level: { enum: ['low', 'high'] },
        ratio: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        either: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
        exactly: { oneOf: [{ type: 'integer' }, { type: 'number' }] },
        'odd key': { type: 'boolean' },
      },
      required: ['name', 'kind'],
      additionalProperties: false,
    };
    expect(
      validateSchema(schema, { name: 'x', tags: [1, 'a', 'b'], level: 'mid', ratio: 0, either: true, exactly: 3, 'odd key': 'no', extra: 1 }),
    ).toEqual([
      '$.kind: is required',
      '$.name: must be at least 2 characters',
      '$.tags: must have at most 2 items',
      '$.tags[0]: expected string, got integer',
      '$.level: must be one of "low", "high"',
      '$.ratio: must be > 0',
      '$.either: does not match any of the allowed schemas',
      '$.exactly: matches 2 schemas where exactly one is allowed',
      '$["odd key"]: expected boolean, got string',
      '$.extra: is not an allowed property',
    ]);
    expect(validateSchema(schema, { name: 'abcd', kind: 'report', tags: ['a'], ratio: 1, either: 2, exactly: 1.5 })).toEqual([]);
    expect(validateSchema({ type: ['string', 'null'] }, null)).toEqual([]);
    expect(validateSchema({ type: 'object' }, [])).toEqual(['$: expected object, got array']);
    expect(validateSchema({ type: 'string', maxLength: 2 }, 'héé')).toEqual(['$: must be at most 2 characters']);
  });

  test('answers: fenced JSON is read, prose is not JSON, valid answers become compact JSON', () => {
    expect(checkAnswer(verdict, 'Result:\n```json\n{ "verdict": "approve", "score": 7 }\n```')).toEqual({ ok: true, json: '{"verdict":"approve","score":7}' });
    expect(checkAnswer(verdict, '```\n{"verdict":"reject","score":0}\n```')).toEqual({ ok: true, json: '{"verdict":"reject","score":0}' });
    const prose = checkAnswer(verdict, 'I approve.');
    expect(prose.ok).toBe(false);
    expect((prose as { problems: string[] }).problems[0]).toStartWith('$: the answer is not valid JSON (');
  });
});

describe('in the loop', () => {
  test('a valid answer: response_format sent, output is compact JSON', async () => {
    const model = srv.model().script({ json: openaiAnswer('```json\n{"verdict": "approve", "score": 9}\n```') });
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], spec: { model_ref: 'gpt', execution: { output_schema: verdict } } }));
    expect([res.output, res.error]).toEqual(['{"verdict":"approve","score":9}', undefined]);
    expect(model.requests[0].body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'output', schema: verdict, strict: false } });
  });

  test('an invalid answer gets a correction message listing the problems; the fixed answer completes', async () => {
    const model = srv.model().script({ json: openaiAnswer('{"verdict": "maybe"}') }, { json: openaiAnswer('{"verdict": "reject", "score": 2}') });
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], spec: { model_ref: 'gpt', execution: { output_schema: verdict } } }));
    expect([res.output, res.steps, res.error]).toEqual(['{"verdict":"reject","score":2}', 2, undefined]);
    expect(model.requests[1].body.messages.slice(1)).toEqual([
      { role: 'assistant', content: '{"verdict": "maybe"}' },
      {
        role: 'user',
        content:
          'Your answer does not match the required output schema:\n- $.score: is required\n- $.verdict: must be one of "approve", "reject"\nReply again with only a JSON value that matches the schema.',
      },
    ]);
    expect(rows(res)[2]).toEqual({ type: 'output_schema_invalid', step: 1, message: '$.score: is required; $.verdict: must be one of "approve", "reject"' });
  });

  test('steps run out without a valid answer: output_schema_violation, not retryable', async () => {
    const model = srv.model().script({ json: openaiAnswer('approve') }, { json: openaiAnswer('{"verdict":"approve","score":11}') });
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], spec: { model_ref: 'gpt', limits: { max_steps: 2 }, execution: { output_schema: verdict } } }));
    expect(res.error).toEqual({
      code: 'output_schema_violation',
      reason: 'output_schema_violation',
      retryable: false,
      message: 'output does not match execution.output_schema: $.score: must be <= 10',
    });
    expect(res.output).toBe('');
  });

  test('mock provider: the answer is the minimal valid instance', async () => {
    const res = await runAgent(agentInput({ endpoints: [endpoints.mock()], spec: { model_ref: 'm', execution: { output_schema: verdict } } }));
    expect([res.output, res.error]).toEqual(['{"verdict":"approve","score":0}', undefined]);
  });

  test('schema-valid JSON that looks like a text tool call is the answer, not a call', async () => {
    const schema = { type: 'object', properties: { name: { type: 'string' }, input: { type: 'string' } }, required: ['name', 'input'] };
    const model = srv.model().script({ json: openaiAnswer('{"name": "lookup", "input": "x"}') });
    const tools = srv.tool(echoHandler(() => 'never'));
    const res = await runAgent(
      agentInput({ endpoints: [endpoints.openai(model)], tools: [tool('lookup', tools.url)], spec: { model_ref: 'gpt', execution: { output_schema: schema } } }),
    );
    expect([res.output, res.toolCalls, tools.received.length]).toEqual(['{"name":"lookup","input":"x"}', 0, 0]);
  });
});
