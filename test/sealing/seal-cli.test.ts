// `orrery seal` end to end: real keys, a real HTTP server for the public key, a real server process
// that stores the output, and the controller turning the output into the right Secret.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Elysia } from 'elysia';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { errorsPlugin } from '../../src/api/errors-plugin';
import { RouteTable } from '../../src/api/route-table';
import { sealingRoutes } from '../../src/api/sealing-routes';
import { sealCommand } from '../../src/cli/seal';
import { OWNER_ANNOTATION, SealedSecretController } from '../../src/controllers/sealed-secrets';
import { silentLogger } from '../../src/log';
import { SealingKeys, type PublicSealingKey } from '../../src/sealing/keys';
import { SecretCipher } from '../../src/store/secret-cipher';
import { startServer } from '../support/server-process';
import { testRegistry } from '../support/registry';
import { MetaStore } from '../../src/store/meta';

const dir = mkdtempSync(join(tmpdir(), 'orrery-seal-cli-'));
const b64 = (s: string) => Buffer.from(s).toString('base64');
const PLAIN = ['hunter2-very-secret', 'second-value-0815', 'file-string-data-4711'];

// One registry with a ready sealing key and a running controller serves every test.
const r = testRegistry();
const keys = new SealingKeys(new MetaStore(r.handle), SecretCipher.random(), { modulusLength: 2048 });
const controller = new SealedSecretController(r.core, keys, silentLogger);
let pub: PublicSealingKey;
let certFile: string;

// A real HTTP server answering the key route, recording the Authorization header it saw.
const table = new RouteTable();
const keyApp = new Elysia().use(errorsPlugin(table, silentLogger)).use(sealingRoutes(keys, table));
const seenAuth: (string | null)[] = [];
const keyServer = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch: (req) => {
    seenAuth.push(req.headers.get('authorization'));
    if (new URL(req.url).pathname === '/deny/v1/sealing-key/public') {
      return Response.json({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 401, reason: 'Unauthorized', message: 'authentication required' }, { status: 401 });
    }
    return keyApp.handle(req);
  },
});
const serverUrl = `http://127.0.0.1:${keyServer.port}`;

beforeAll(async () => {
  await keys.ensure();
  pub = keys.publicKey()!;
  certFile = join(dir, 'sealing.pem');
  writeFileSync(certFile, pub.publicKeyPEM);
  await controller.start();
});
afterAll(async () => {
  controller.stop();
  r.close();
  await keyServer.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

async function seal(args: string[], env: Record<string, string> = {}, stdin = '') {
  let out = '';
  let err = '';
  const code = await sealCommand(args, env, { out: (t) => void (out += t), err: (t) => void (err += t), stdin: async () => stdin });
  for (const p of PLAIN) {
    expect(out).not.toContain(p);
    expect(err).not.toContain(p);
    expect(err).not.toContain(b64(p));
  }
  return { code, out, err };
}

/** Applies a sealed manifest and returns the Secret the controller made from it. */
async function unsealed(manifest: any) {
  await r.registry.apply(r.kind('sealed-secrets'), manifest, {});
  await controller.idle();
  const { namespace, name } = manifest.metadata;
  expect((await r.registry.get(r.kind('sealed-secrets'), namespace, name)).status.phase).toBe('Ready');
  return r.registry.getDecoded(r.kind('secrets'), namespace, name);
}

describe('orrery seal', () => {
  test('--from-literal with --cert: YAML that unseals to the right values', async () => {
    const res = await seal(['--cert', certFile, '--name', 'db', '-n', 'team-a', '--from-literal', `password=${PLAIN[0]}`, '--from-literal=url=postgres://x?a=b']);
    expect(res).toMatchObject({ code: 0, err: '' });
    const m = parse(res.out);
    expect(Object.keys(m)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(m.apiVersion).toBe('orloj.dev/v1');
    expect(m.kind).toBe('SealedSecret');
    expect(m.metadata).toEqual({ name: 'db', namespace: 'team-a' });
    expect(Object.keys(m.spec)).toEqual(['encryptedData']);
    expect(Object.keys(m.spec.encryptedData)).toEqual(['password', 'url']);
    expect(m.spec.encryptedData.password.keyId).toBe(pub.keyId);
    const secret = await unsealed(m);
    expect(secret.spec.data).toEqual({ password: b64(PLAIN[0]), url: b64('postgres://x?a=b') });
    expect(secret.metadata.annotations).toEqual({ [OWNER_ANNOTATION]: 'team-a/db' });
  });

  test('-f secret.yaml (data and stringData, labels and annotations) with -o json, key from the server', async () => {
    const file = join(dir, 'secret.yaml');
    writeFileSync(
      file,
      `apiVersion: orloj.dev/v1\nkind: Secret\nmetadata:\n  name: api-key\n  namespace: tools\n  labels: {app: search}\n  annotations: {owner: me}\n` +
        `spec:\n  data:\n    token: ${b64(PLAIN[1])}\n    both: ${b64('from-data')}\n  stringData:\n    both: ${PLAIN[2]}\n`,
    );
    seenAuth.length = 0;
    const res = await seal(['-f', file, '-o', 'json'], { ORLOJ_SERVER: serverUrl, ORLOJ_API_TOKEN: 'tok-123' });
    expect(res).toMatchObject({ code: 0, err: '' });
    expect(seenAuth).toEqual(['Bearer tok-123']);
    const m = JSON.parse(res.out);
    expect(m.metadata).toEqual({ name: 'api-key', namespace: 'tools' });
    expect(m.spec.template).toEqual({ labels: { app: 'search' }, annotations: { owner: 'me' } });
    const secret = await unsealed(m);
    expect(secret.spec.data).toEqual({ both: b64(PLAIN[2]), token: b64(PLAIN[1]) });
    expect(secret.metadata.labels).toEqual({ app: 'search' });
    expect(secret.metadata.annotations).toEqual({ owner: 'me', [OWNER_ANNOTATION]: 'tools/api-key' });

    // --name and --namespace override the file; stdin works with "-"; no token → no header.
    seenAuth.length = 0;
    const text = `kind: Secret\nmetadata: {name: ignored}\nstringData: {k: ${PLAIN[0]}}\n`;
    const again = await seal(['--server', serverUrl + '/', '-f', '-', '--name', 'renamed', '--namespace', 'other'], {}, text);
    expect(again.code).toBe(0);
    expect(seenAuth).toEqual([null]);
    const m2 = parse(again.out);
    expect(m2.metadata).toEqual({ name: 'renamed', namespace: 'other' });
    expect((await unsealed(m2)).spec.data).toEqual({ k: b64(PLAIN[0]) });
  });

  test('server and network failures exit 1 with a clear message', async () => {
    const unloaded = new SealingKeys(new MetaStore(r.handle), SecretCipher.random());
    const t2 = new RouteTable();
    const app = new Elysia().use(errorsPlugin(t2, silentLogger)).use(sealingRoutes(unloaded, t2));
    const down = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (req) => app.handle(req) });
    try {
      const lit = ['--name', 'x', '--from-literal', `k=${PLAIN[0]}`];
      expect(await seal(['--server', `http://127.0.0.1:${down.port}`, ...lit])).toEqual({
        code: 1,
        out: '',
        err: `orrery seal: GET http://127.0.0.1:${down.port}/v1/sealing-key/public answered 503: the sealing key is not loaded yet\n`,
      });
      expect(await seal(['--server', `${serverUrl}/deny`, '--token', 'bad', ...lit])).toEqual({
        code: 1,
        out: '',
        err: `orrery seal: GET ${serverUrl}/deny/v1/sealing-key/public answered 401: authentication required (pass --token or set ORLOJ_API_TOKEN)\n`,
      });
      const port = down.port;
      await down.stop(true);
      const gone = await seal(['--server', `http://127.0.0.1:${port}`, ...lit]);
      expect(gone.code).toBe(1);
      expect(gone.err).toStartWith(`orrery seal: cannot reach http://127.0.0.1:${port}: `);
    } finally {
      await down.stop(true);
    }
  });

  test('usage errors exit 2 and name the problem, never a value', async () => {
    const usage = async (args: string[], message: string, env: Record<string, string> = {}) => {
      const res = await seal(args, env);
      expect(res.code).toBe(2);
      expect(res.out).toBe('');
      expect(res.err.split('\n')[0]).toBe(`orrery seal: ${message}`);
    };
    const lit = ['--from-literal', `k=${PLAIN[0]}`];
    await usage(['--name', 'x', ...lit], '--server URL (or ORLOJ_SERVER) or --cert FILE is required');
    await usage(['--cert', certFile, ...lit], 'name is required (pass --name)');
    await usage(['--cert', certFile, '--name', 'x'], 'give --from-literal key=value or -f secret.yaml');
    await usage(['--cert', certFile, '--name', 'x', '--from-literal', PLAIN[0]], '--from-literal needs key=value; one argument has no "="');
    await usage(['--cert', certFile, '--name', 'x', '--from-literal', 'k=', ...lit], '--from-literal k= has an empty value; Secret values must not be empty');
    await usage(['--cert', certFile, '--name', 'x', ...lit, ...lit], '--from-literal key "k" is given more than once');
    await usage(['--cert', certFile, '--name', 'x', '-f', 'a.yaml', ...lit], 'use either -f or --from-literal, not both');
    await usage(['--cert', certFile, '--name', 'x', '-o', 'xml', ...lit], '-o must be yaml or json, got "xml"');
    await usage(['--cert', certFile, '--nam', 'x', ...lit], 'unknown flag --nam');
    await usage(['--cert', certFile, '--name', 'a/b', ...lit], 'name must not contain "/", whitespace or control characters');
    await usage(['--cert', join(dir, 'missing.pem'), '--name', 'x', ...lit], `cannot read --cert ${join(dir, 'missing.pem')}: ENOENT`);
    await usage(['--cert', certFile, '--name', 'x', '--from-literal'], 'flag --from-literal needs a value');
    await usage(['--server', 'ftp://h', '--name', 'x', ...lit], '--server must be an http or https URL, got "ftp://h"');

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, `kind: Secret\nmetadata: {name: x}\nspec:\n  data:\n    pw: ${PLAIN[0]}\n`);
    await usage(['--cert', certFile, '-f', bad], `${bad}: data.pw must be non-empty standard base64 (use stringData for plain text)`);
    writeFileSync(bad, `kind: Agent\nmetadata: {name: x}\n`);
    await usage(['--cert', certFile, '-f', bad], `${bad}: kind must be Secret, not "Agent"`);
    writeFileSync(bad, `kind: Secret\nmetadata: {name: x}\n---\nkind: Secret\n`);
    await usage(['--cert', certFile, '-f', bad], `${bad}: must hold exactly one Secret manifest, found 2 documents`);
    writeFileSync(bad, `kind: Secret\nmetadata: {name: x}\nstringData: {pw: "${PLAIN[0]}\n`);
    const res = await seal(['--cert', certFile, '-f', bad]);
    expect(res.code).toBe(2);
    expect(res.err).toStartWith(`orrery seal: ${bad}: invalid YAML at line `);
    writeFileSync(bad, `kind: Secret\nmetadata: {name: x}\n`);
    await usage(['--cert', certFile, '-f', bad], 'nothing to seal: give --from-literal key=value or a Secret manifest with data or stringData');

    const help = await seal(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toStartWith('Usage:\n  orrery seal --server URL');
  });

  test('the output is accepted unchanged by a running orrery server', async () => {
    const res = await seal(['--cert', certFile, '--name', 'from-cli', '--from-literal', `password=${PLAIN[0]}`]);
    expect(res.code).toBe(0);
    const server = await startServer(join(dir, 'server-data'));
    try {
      const post = await fetch(`${server.url}/v1/sealed-secrets`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: res.out });
      expect(post.status).toBe(201);
      const got = (await (await fetch(`${server.url}/v1/sealed-secrets/from-cli`)).json()) as any;
      expect(got.spec.encryptedData).toEqual(parse(res.out).spec.encryptedData);
    } finally {
      server.proc.kill();
      await server.proc.exited;
    }
  });
});
