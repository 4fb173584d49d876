// Through the real executable: `orrery serve` generates its sealing key, `orrery seal` fetches it,
// and the server's controller turns the applied SealedSecret into an owned Secret.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync, type Dirent } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type ServerProcess } from '../support/server-process';

const dir = mkdtempSync(join(tmpdir(), 'orrery-sealing-wired-'));
const PLAIN = 'wired-secret-value-9182';
let server: ServerProcess | undefined;
afterAll(async () => {
  server?.proc.kill();
  await server?.proc.exited;
  rmSync(dir, { recursive: true, force: true });
});

/** Polls a condition on the running server (no fixed sleeps). */
async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

describe('sealing through the executable', () => {
  test('serve → seal → apply → Ready Secret; the private key and the value never hit the disk in plaintext', async () => {
    server = await startServer(join(dir, 'data'));
    const url = server.url;
    const key = await until('the sealing key', async () => {
      const res = await fetch(`${url}/v1/sealing-key/public`);
      return res.status === 200 ? ((await res.json()) as any) : undefined;
    });
    expect(key.algorithm).toBe('rsa-oaep-sha256+aes-256-gcm');

    const seal = Bun.spawn([process.execPath, join(import.meta.dir, '../../src/main.ts'), 'seal', '--name', 'wired', '--from-literal', `token=${PLAIN}`], {
      env: { PATH: process.env.PATH ?? '', ORLOJ_SERVER: url },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const [out, err, code] = await Promise.all([new Response(seal.stdout).text(), new Response(seal.stderr).text(), seal.exited]);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out).toContain(`keyId: ${key.keyId}`);
    expect(out).not.toContain(PLAIN);

    const post = await fetch(`${url}/v1/sealed-secrets`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: out });
    expect(post.status).toBe(201);
    const status = await until('Ready', async () => {
      const s = ((await (await fetch(`${url}/v1/sealed-secrets/wired/status`)).json()) as any).status;
      return s.phase === 'Pending' ? undefined : s;
    });
    expect(status).toEqual({ phase: 'Ready', observedGeneration: 1 });
    const secret = (await (await fetch(`${url}/v1/secrets/wired`)).json()) as any;
    expect(secret.spec).toEqual({ data: { token: '***' } });
    expect(secret.metadata.annotations).toEqual({ 'orloj.dev/sealedsecret-owner': 'default/wired' });

    const caps = (await (await fetch(`${url}/v1/capabilities`)).json()) as any;
    expect(caps.capabilities.find((c: any) => c.id === 'core.secrets.sealed').enabled).toBe(true);

    server.proc.kill();
    await server.proc.exited;
    expect(server.log()).not.toContain(PLAIN);
    // Every file of the data directory, its subdirectories' too.
    const files = (readdirSync(join(dir, 'data'), { recursive: true, withFileTypes: true }) as Dirent[]).filter((e) => e.isFile());
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) {
      const bytes = readFileSync(join(f.parentPath, f.name)).toString('latin1');
      expect(bytes.includes(PLAIN)).toBe(false);
      expect(bytes.includes(Buffer.from(PLAIN).toString('base64'))).toBe(false);
      expect(bytes.includes('BEGIN PRIVATE KEY')).toBe(false);
    }
  });
});
