// Applies example blueprints (without their tasks) to a test server, file by file over the API.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const PLURALS: Record<string, string> = { ModelEndpoint: 'model-endpoints', Agent: 'agents', AgentSystem: 'agent-systems', Tool: 'tools', ToolApproval: 'tool-approvals', ToolPermission: 'tool-permissions' };

/** POSTs a YAML manifest to the plural of its kind; throws with the server's answer on a refusal. */
export async function post(url: string, yaml: string): Promise<any> {
  const kind = /^kind:\s*(\S+)/m.exec(yaml)?.[1] ?? '';
  const res = await fetch(`${url}/v1/${PLURALS[kind]}`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: yaml });
  if (!res.ok && res.status !== 409) throw new Error(`${kind}: ${res.status} ${await res.text()}`);
  return res.json();
}

export async function applyBlueprint(url: string, name: string): Promise<void> {
  const dir = join(import.meta.dir, '../../../examples/blueprints', name);
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.yaml')) continue;
    const yaml = readFileSync(join(dir, f), 'utf8');
    if (/^kind:\s*Task\s*$/m.test(yaml)) continue;
    await post(url, yaml);
  }
}

/** Waits until `probe` gives a value (the condition, never a fixed time). */
export async function until<T>(probe: () => Promise<T | undefined>, what: string, limitMs = 30_000): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await Bun.sleep(25);
  }
}

/** A JSON answer of the server. */
export async function getJson(url: string): Promise<any> {
  return (await fetch(url)).json();
}
