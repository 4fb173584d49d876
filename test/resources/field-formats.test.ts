// Formatted spec fields of every kind (durations, time zones, cron, base64, URLs, references,
// header names, patterns): a bad value is one cause on its own field, a good value applies, and
// several bad fields of one request are all listed, together with shape problems.
import { describe, expect, test } from 'bun:test';
import { kindHelpers } from './helpers';

const { apply, causes } = kindHelpers();

const DURATION = 'must be a duration such as 30s, 5m or 1h30m';
const TIME_ZONE = 'must be an IANA time zone such as UTC or America/Chicago';
const BASE64 = 'must be valid standard base64';
const URL_MESSAGE = 'must be an http(s) URL';
const REF = 'must be a name or namespace/name';
const SECRET_REF = 'must be a name or namespace/name, optionally followed by :key';
const HEADER = "must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)";

type Path = (string | number)[];

interface Row {
  plural: string;
  /** A valid spec the value is written into. */
  base: Record<string, unknown>;
  path: Path;
  field: string;
  bad: unknown;
  message: string;
  good: unknown;
  /** What a read shows for the good value, when not the value itself (Secrets read back as "***"). */
  reads?: unknown;
}

/** A deep copy of `spec` with `value` at `path` (objects and arrays created on the way). */
function withValue(spec: Record<string, unknown>, path: Path, value: unknown): Record<string, unknown> {
  const out = structuredClone(spec);
  let node: any = out;
  path.slice(0, -1).forEach((key, i) => {
    node[key] ??= typeof path[i + 1] === 'number' ? [] : {};
    node = node[key];
  });
  node[path[path.length - 1]] = value;
  return out;
}

const at = (obj: any, path: Path) => path.reduce((o, k) => o?.[k], obj);

const AGENT = { model_ref: 'm' };
const SYSTEM_REVIEW = { graph: { a: { review: { checkpoint_id: 'r' } } } };
const CONDITION = { graph: { a: { edges: [{ to: 'b', condition: { output_json_path: '$.score', greater_than: '3' } }] } } };
const CONDITION_PATH = ['graph', 'a', 'edges', 0, 'condition'];
const CONDITION_FIELD = 'spec.graph.a.edges[0].condition';
const MCP = { transport: 'stdio', command: 'server' };
const CLI = { type: 'cli', cli: { command: 'echo', image: 'alpine' } };
const SCHEDULE = { task_ref: 'tpl', schedule: '0 9 * * 1' };
const WEBHOOK = { task_ref: 'tpl', auth: { secret_ref: 's' } };
const SEALED = { encryptedData: { token: { keyId: 'k1', wrappedKey: 'd3JhcHBlZA==', ciphertext: 'Y2lwaGVy' } } };

const durations: Row[] = [
  ['agents', AGENT, ['limits', 'timeout']],
  ['agent-systems', SYSTEM_REVIEW, ['graph', 'a', 'review', 'ttl']],
  ['agent-systems', { completion_review: { checkpoint_id: 'final' } }, ['completion_review', 'ttl']],
  ['tools', {}, ['runtime', 'timeout']],
  ['tools', {}, ['runtime', 'retry', 'backoff']],
  ['tools', {}, ['runtime', 'retry', 'max_backoff']],
  ['mcp-servers', MCP, ['idle_timeout']],
  ['mcp-servers', MCP, ['reconnect', 'backoff']],
  ['mcp-servers', MCP, ['default_tool_runtime', 'timeout']],
  ['tasks', { system: 's' }, ['retry', 'backoff']],
  ['tasks', { system: 's' }, ['message_retry', 'backoff']],
  ['tasks', { system: 's' }, ['message_retry', 'max_backoff']],
  ['task-schedules', { schedule: '0 9 * * 1', task_template: { system: 's' } }, ['task_template', 'retry', 'backoff']],
  ['tool-approvals', { task_ref: 't', tool: 'x' }, ['ttl']],
  ['task-approvals', { task_ref: 't', checkpoint_id: 'c' }, ['ttl']],
].map(([plural, base, path]) => ({
  plural: plural as string,
  base: base as Record<string, unknown>,
  path: path as Path,
  field: 'spec.' + (path as Path).join('.'),
  bad: 'soon',
  message: DURATION,
  good: '1h30m',
}));

const others: Row[] = [
  // Time zones and cron
  { plural: 'task-schedules', base: SCHEDULE, path: ['time_zone'], field: 'spec.time_zone', bad: 'Mars/Olympus', message: TIME_ZONE, good: 'Etc/UTC' },
  { plural: 'task-schedules', base: SCHEDULE, path: ['time_zone'], field: 'spec.time_zone', bad: '+01:00', message: TIME_ZONE, good: 'America/Chicago' },
  {
    plural: 'task-schedules',
    base: SCHEDULE,
    path: ['schedule'],
    field: 'spec.schedule',
    bad: '60 * * * *',
    message: 'must be a 5-field cron expression such as "0 9 * * 1": minute value 60 is outside 0-59',
    good: '*/15 9-17 * * 1-5',
  },
  // Base64
  { plural: 'sealed-secrets', base: SEALED, path: ['encryptedData', 'token', 'wrappedKey'], field: 'spec.encryptedData.token.wrappedKey', bad: 'not base64!', message: BASE64, good: 'AAAA' },
  { plural: 'sealed-secrets', base: SEALED, path: ['encryptedData', 'token', 'ciphertext'], field: 'spec.encryptedData.token.ciphertext', bad: 'abc', message: BASE64, good: 'YWJj' },
  { plural: 'secrets', base: {}, path: ['data', 'token'], field: 'spec.data.token', bad: 'plain text', message: `${BASE64} (use stringData for plain text)`, good: 'YWJj', reads: '***' },
  { plural: 'secrets', base: {}, path: ['data', 'token'], field: 'spec.data.token', bad: ' ', message: 'must not be empty', good: 'YWJj', reads: '***' },
  // URLs
  { plural: 'model-endpoints', base: { default_model: 'x' }, path: ['base_url'], field: 'spec.base_url', bad: 'api.openai.com/v1', message: URL_MESSAGE, good: 'https://llm.lan:8443/v1' },
  { plural: 'mcp-servers', base: { transport: 'http', endpoint: 'http://127.0.0.1/mcp' }, path: ['endpoint'], field: 'spec.endpoint', bad: 'ftp://files', message: URL_MESSAGE, good: 'https://mcp.example.com/mcp' },
  { plural: 'tools', base: { type: 'a2a', a2a: { agent_url: 'https://a' } }, path: ['a2a', 'agent_url'], field: 'spec.a2a.agent_url', bad: 'agent.local', message: URL_MESSAGE, good: 'http://agent.local/a2a' },
  {
    plural: 'tools',
    base: { auth: { profile: 'oauth2_client_credentials', secretRef: 's', tokenURL: 'https://t' } },
    path: ['auth', 'tokenURL'],
    field: 'spec.auth.tokenURL',
    bad: 'token endpoint',
    message: URL_MESSAGE,
    good: 'https://auth.example.com/token',
  },
  { plural: 'tools', base: {}, path: ['endpoint'], field: 'spec.endpoint', bad: 'http://exa mple.com', message: 'must be a URL or host:port', good: 'search.lan:8080' },
  { plural: 'memories', base: { provider: 'http', endpoint: 'http://m' }, path: ['endpoint'], field: 'spec.endpoint', bad: 'memory-service', message: URL_MESSAGE, good: 'http://memory.lan:7000' },
  { plural: 'tools', base: { type: 'wasm', wasm: { module: 'm.wasm' } }, path: ['wasm', 'module'], field: 'spec.wasm.module', bad: 'http://m.wasm', message: 'must be a file path, an https:// URL or an oci:// reference', good: 'oci://registry/m:1' },
  // References
  { plural: 'agents', base: AGENT, path: ['model_ref'], field: 'spec.model_ref', bad: 'a/b/c', message: REF, good: 'team-a/gpt' },
  { plural: 'agents', base: AGENT, path: ['fallback_model_refs', 0], field: 'spec.fallback_model_refs[0]', bad: '/m', message: REF, good: 'm2' },
  { plural: 'agents', base: AGENT, path: ['tools', 0], field: 'spec.tools[0]', bad: 'web search', message: REF, good: 'shared/web_search' },
  { plural: 'agents', base: AGENT, path: ['memory', 'ref'], field: 'spec.memory.ref', bad: 'ns/', message: REF, good: 'notes' },
  { plural: 'agent-systems', base: {}, path: ['context_adapter'], field: 'spec.context_adapter', bad: 'a/b/c', message: REF, good: 'scrubber' },
  { plural: 'tasks', base: { system: 's' }, path: ['system'], field: 'spec.system', bad: 'a/b/c', message: REF, good: 'team-a/s' },
  { plural: 'tools', base: { type: 'mcp', mcp_server_ref: 'm', mcp_tool_name: 't' }, path: ['mcp_server_ref'], field: 'spec.mcp_server_ref', bad: 'a/b/c', message: REF, good: 'team-a/m' },
  { plural: 'tools', base: CLI, path: ['cli', 'image_pull_secret'], field: 'spec.cli.image_pull_secret', bad: 'a b', message: REF, good: 'registry-creds' },
  { plural: 'tools', base: CLI, path: ['cli', 'env_from', 0], field: 'spec.cli.env_from[0].secretRef', bad: { name: 'K', secretRef: 'a/b/c' }, message: REF, good: { name: 'K', secretRef: 'keys' } },
  { plural: 'tools', base: { type: 'wasm', wasm: { module: 'm.wasm' } }, path: ['wasm', 'image_pull_secret'], field: 'spec.wasm.image_pull_secret', bad: '.hidden', message: REF, good: 'creds' },
  { plural: 'tools', base: {}, path: ['auth', 'secretRef'], field: 'spec.auth.secretRef', bad: 'a/b/c:key', message: SECRET_REF, good: 'team-a/keys:token' },
  { plural: 'mcp-servers', base: { ...MCP, image: 'img' }, path: ['image_pull_secret'], field: 'spec.image_pull_secret', bad: 'a/b/c', message: REF, good: 'creds' },
  { plural: 'mcp-servers', base: MCP, path: ['env', 0], field: 'spec.env[0].secretRef', bad: { name: 'K', secretRef: 'a b' }, message: SECRET_REF, good: { name: 'K', secretRef: 'keys:api' } },
  { plural: 'model-endpoints', base: { default_model: 'x' }, path: ['auth', 'secretRef'], field: 'spec.auth.secretRef', bad: '/key', message: SECRET_REF, good: 'openai-key:value' },
  { plural: 'memories', base: {}, path: ['embedding_model'], field: 'spec.embedding_model', bad: 'a/b/c', message: REF, good: 'embedder' },
  { plural: 'memories', base: {}, path: ['endpoint_secret_ref'], field: 'spec.endpoint_secret_ref', bad: 'a/b/c', message: SECRET_REF, good: 'dsn' },
  { plural: 'memories', base: {}, path: ['auth', 'secretRef'], field: 'spec.auth.secretRef', bad: 'a/b/c', message: SECRET_REF, good: 'team-a/creds' },
  { plural: 'task-schedules', base: SCHEDULE, path: ['task_ref'], field: 'spec.task_ref', bad: 'a/b/c', message: REF, good: 'team-a/tpl' },
  { plural: 'task-webhooks', base: WEBHOOK, path: ['task_ref'], field: 'spec.task_ref', bad: 'a//b', message: REF, good: 'team-a/tpl' },
  { plural: 'task-webhooks', base: WEBHOOK, path: ['auth', 'secret_ref'], field: 'spec.auth.secret_ref', bad: 'ns/', message: REF, good: 'team-a/hook-key' },
  { plural: 'tool-approvals', base: { task_ref: 't', tool: 'x' }, path: ['task_ref'], field: 'spec.task_ref', bad: 'a/b/c', message: REF, good: 'default/t' },
  { plural: 'task-approvals', base: { task_ref: 't', checkpoint_id: 'c' }, path: ['task_ref'], field: 'spec.task_ref', bad: 'a/b/c', message: REF, good: 'default/t' },
  { plural: 'task-approvals', base: { task_ref: 't', checkpoint_id: 'c' }, path: ['supersedes'], field: 'spec.supersedes', bad: 'a/b/c', message: REF, good: 'review-1' },
  { plural: 'tool-permissions', base: {}, path: ['tool_ref'], field: 'spec.tool_ref', bad: 'a/b/c', message: REF, good: 'web_search' },
  // Header names
  { plural: 'tools', base: { auth: { profile: 'api_key_header', secretRef: 's' } }, path: ['auth', 'headerName'], field: 'spec.auth.headerName', bad: 'X Key', message: HEADER, good: 'X-Api-Key' },
  { plural: 'mcp-servers', base: { ...MCP, auth: { profile: 'api_key_header', secretRef: 's' } }, path: ['auth', 'headerName'], field: 'spec.auth.headerName', bad: 'Key:', message: HEADER, good: 'X-Key' },
  { plural: 'task-webhooks', base: WEBHOOK, path: ['auth', 'signature_header'], field: 'spec.auth.signature_header', bad: 'X Signature', message: HEADER, good: 'X-Sig' },
  { plural: 'task-webhooks', base: WEBHOOK, path: ['auth', 'timestamp_header'], field: 'spec.auth.timestamp_header', bad: 'X(Time)', message: HEADER, good: 'X-Time' },
  { plural: 'task-webhooks', base: WEBHOOK, path: ['idempotency', 'event_id_header'], field: 'spec.idempotency.event_id_header', bad: 'Event Id', message: HEADER, good: 'X-Request-Id' },
  // Container limits, mount paths and graph conditions
  { plural: 'tools', base: CLI, path: ['cli', 'resources', 'memory'], field: 'spec.cli.resources.memory', bad: '1.5g', message: 'must be a positive size such as 512m, 1g or 1048576', good: '512m' },
  { plural: 'mcp-servers', base: MCP, path: ['resources', 'cpus'], field: 'spec.resources.cpus', bad: 'half', message: 'must be a positive number', good: '0.5' },
  { plural: 'mcp-servers', base: { ...MCP, image: 'img' }, path: ['env', 0], field: 'spec.env[0].mountPath', bad: { name: 'K', secretRef: 's', mountPath: 'etc/key' }, message: 'must be an absolute path', good: { name: 'K', secretRef: 's', mountPath: '/etc/key' } },
  { plural: 'agent-systems', base: CONDITION, path: [...CONDITION_PATH, 'output_json_path'], field: `${CONDITION_FIELD}.output_json_path`, bad: 'score', message: 'must start with "$."', good: '$.result.score' },
  { plural: 'agent-systems', base: CONDITION, path: [...CONDITION_PATH, 'greater_than'], field: `${CONDITION_FIELD}.greater_than`, bad: 'high', message: 'must be a number', good: '2.5' },
  { plural: 'agent-systems', base: CONDITION, path: [...CONDITION_PATH, 'output_matches'], field: `${CONDITION_FIELD}.output_matches`, bad: 'a'.repeat(513), message: 'must be at most 512 characters', good: '(?i)^urgent' },
  // Enumerations
  { plural: 'tool-approvals', base: { task_ref: 't', tool: 'x' }, path: ['operation_class'], field: 'spec.operation_class', bad: 'execute', message: 'must be one of: read, write, delete, admin', good: 'delete' },
];

describe('formatted fields', () => {
  for (const row of [...durations, ...others]) {
    const name = `${row.plural} ${row.field}: ${JSON.stringify(row.bad).slice(0, 40)}`;
    test(`${name} is refused on its field`, async () => {
      expect(await causes(row.plural, withValue(row.base, row.path, row.bad))).toEqual([{ field: row.field, message: row.message }]);
    });
    test(`${name} → ${JSON.stringify(row.good)} applies`, async () => {
      expect(at((await apply(row.plural, withValue(row.base, row.path, row.good))).spec, row.path)).toEqual(row.reads ?? row.good);
    });
  }

  test('an output pattern that does not compile says why', async () => {
    let why = '';
    try {
      new RegExp('(unclosed');
    } catch (e) {
      why = (e as Error).message;
    }
    expect(await causes('agent-systems', withValue(CONDITION, [...CONDITION_PATH, 'output_matches'], '(unclosed'))).toEqual([
      { field: `${CONDITION_FIELD}.output_matches`, message: `is not a valid regular expression: ${why}` },
    ]);
  });

  test('the time zones Orloj examples use, and UTC spelled either way, apply', async () => {
    for (const tz of ['UTC', 'Etc/UTC', 'America/Chicago']) {
      expect((await apply('task-schedules', { ...SCHEDULE, time_zone: tz })).spec.time_zone).toBe(tz);
    }
    expect((await apply('task-schedules', SCHEDULE)).spec.time_zone).toBe('UTC');
  });

  test('empty optional references, URLs and header names mean "not set"', async () => {
    const spec = (await apply('tools', { endpoint: ' ', mcp_server_ref: '', auth: { secretRef: 's', headerName: '', tokenURL: '' } })).spec;
    expect([spec.endpoint, spec.mcp_server_ref, spec.auth]).toEqual([undefined, undefined, { profile: 'bearer', secretRef: 's' }]);
    expect((await apply('agents', { model_ref: 'm', memory: { ref: ' ' } })).spec.memory).toEqual({});
  });
});

describe('every problem of one request is listed', () => {
  test('several bad formats of a Tool, with its shape problems', async () => {
    expect(
      await causes('tools', {
        endpoint: 'http://exa mple.com',
        risk_level: 'huge',
        runtime: { timeout: 'soon', retry: { backoff: '5 seconds', max_backoff: '1m' } },
        auth: { profile: 'oauth2_client_credentials', secretRef: 'a/b/c', tokenURL: 'nope' },
        extra: true,
      }),
    ).toEqual([
      { field: 'spec.extra', message: 'unknown field' },
      { field: 'spec.endpoint', message: 'must be a URL or host:port' },
      { field: 'spec.risk_level', message: 'must be one of: low, medium, high, critical' },
      { field: 'spec.runtime.timeout', message: DURATION },
      { field: 'spec.runtime.retry.backoff', message: DURATION },
      { field: 'spec.auth.secretRef', message: SECRET_REF },
      { field: 'spec.auth.tokenURL', message: URL_MESSAGE },
    ]);
  });

  test('a TaskSchedule with a bad cron, zone and reference, and a misspelt field', async () => {
    expect(await causes('task-schedules', { task_ref: 'a/b/c', schedule: '0 9 * *', time_zone: 'Mars/Olympus', suspended: true })).toEqual([
      { field: 'spec.suspended', message: 'unknown field' },
      { field: 'spec.task_ref', message: REF },
      { field: 'spec.schedule', message: 'must be a 5-field cron expression such as "0 9 * * 1": must have exactly 5 fields (minute hour day-of-month month day-of-week), found 4' },
      { field: 'spec.time_zone', message: TIME_ZONE },
    ]);
  });

  test('every sealed entry reports each of its bad fields', async () => {
    expect(
      await causes('sealed-secrets', {
        encryptedData: {
          token: { keyId: 'k1', wrappedKey: 'not base64!', ciphertext: '%%%' },
          other: { wrappedKey: 'AAAA', ciphertext: 'AAAA' },
        },
      }),
    ).toEqual([
      { field: 'spec.encryptedData.token.wrappedKey', message: BASE64 },
      { field: 'spec.encryptedData.token.ciphertext', message: BASE64 },
      { field: 'spec.encryptedData.other.keyId', message: 'is required' },
    ]);
  });
});

// Cross-field rules assume types, not formats: a value whose only fault is its format does not hold
// them back. Schema causes come first, then the rules'.
describe('a bad format and a broken cross-field rule of one request are both listed', () => {
  const rows: { plural: string; spec: Record<string, unknown>; format: { field: string; message: string }; rule: { field: string; message: string } }[] = [
    {
      plural: 'agents',
      spec: { model_ref: 'm', limits: { timeout: 'soon' }, memory: { allow: ['read'] } },
      format: { field: 'spec.limits.timeout', message: DURATION },
      rule: { field: 'spec.memory.ref', message: 'is required when memory.allow is set' },
    },
    {
      plural: 'agent-systems',
      spec: { graph: { a: { review: { checkpoint_id: 'r', ttl: 'soon' }, edges: [{ to: 'b', condition: { equals: 'x' } }] } } },
      format: { field: 'spec.graph.a.review.ttl', message: DURATION },
      rule: { field: `${CONDITION_FIELD}.output_json_path`, message: 'is required when a comparison operator is set' },
    },
    {
      plural: 'mcp-servers',
      spec: { transport: 'stdio', idle_timeout: 'never' },
      format: { field: 'spec.idle_timeout', message: DURATION },
      rule: { field: 'spec.command', message: 'is required for stdio transport (or set spec.image)' },
    },
    {
      plural: 'memories',
      spec: { provider: 'pgvector', auth: { secretRef: 'a/b/c' } },
      format: { field: 'spec.auth.secretRef', message: SECRET_REF },
      rule: { field: 'spec.embedding_model', message: 'is required when provider is pgvector' },
    },
    {
      plural: 'tasks',
      spec: { retry: { backoff: 'soon' } },
      format: { field: 'spec.retry.backoff', message: DURATION },
      rule: { field: 'spec.system', message: 'is required when mode is run' },
    },
    {
      plural: 'task-schedules',
      spec: { ...SCHEDULE, task_template: { system: 's' }, time_zone: 'Mars/Olympus' },
      format: { field: 'spec.time_zone', message: TIME_ZONE },
      rule: { field: 'spec.task_template', message: 'must not be set together with spec.task_ref (use exactly one)' },
    },
    {
      plural: 'task-webhooks',
      spec: { ...WEBHOOK, auth: { profile: 'hmac', secret_ref: 's', signature_header: 'X Signature', payload_format: 'timestamp_dot_body' } },
      format: { field: 'spec.auth.signature_header', message: HEADER },
      rule: { field: 'spec.auth.timestamp_header', message: 'is required when payload_format includes a timestamp and header_format is plain' },
    },
    {
      plural: 'tools',
      spec: { type: 'a2a', endpoint: 'http://exa mple.com' },
      format: { field: 'spec.endpoint', message: 'must be a URL or host:port' },
      rule: { field: 'spec.a2a.agent_url', message: 'is required when spec.type is a2a' },
    },
    {
      plural: 'tool-permissions',
      spec: { tool_ref: 'a/b/c', apply_mode: 'scoped' },
      format: { field: 'spec.tool_ref', message: REF },
      rule: { field: 'spec.target_agents', message: 'is required when apply_mode is scoped' },
    },
  ];
  for (const row of rows) {
    test(`${row.plural}: ${row.format.field} and ${row.rule.field}`, async () => {
      expect(await causes(row.plural, row.spec)).toEqual([row.format, row.rule]);
    });
  }

  test('a shape problem still holds the rules back: they assume the declared types', async () => {
    expect(await causes('tools', { type: 'mcp', endpoint: 'http://exa mple.com', extra: true })).toEqual([
      { field: 'spec.extra', message: 'unknown field' },
      { field: 'spec.endpoint', message: 'must be a URL or host:port' },
    ]);
    expect(await causes('task-schedules', { schedule: '0 9 * * 1', time_zone: 'Mars/Olympus', suspend: 'no' })).toEqual([
      { field: 'spec.time_zone', message: TIME_ZONE },
      { field: 'spec.suspend', message: 'expected boolean' },
    ]);
  });
});
