// The original project's example manifests must apply unchanged, as YAML, through the API.
import { expect, test } from 'bun:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { kinds } from '../../src/resources';
import { testApp } from '../support/app';

const ROOTS = [join(import.meta.dir, '../../../shared/orloj-examples'), join(import.meta.dir, '../../examples')];

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(f) ? [p] : [];
  });
}

const files = ROOTS.flatMap(yamlFiles);

test('there are example manifests to apply', () => {
  expect(files.length).toBeGreaterThan(90);
});

test('every example manifest applies unchanged as YAML', async () => {
  const { call } = testApp();
  const failures: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const kind = /^kind:\s*(\S+)/m.exec(text)?.[1];
    const def = kinds.find((k) => k.kind === kind);
    if (!def) {
      failures.push(`${file}: unknown kind ${kind}`);
      continue;
    }
    const ns = /^\s+namespace:\s*(\S+)/m.exec(text)?.[1] ?? 'default';
    const r = await call('POST', `/v1/${def.plural}?namespace=${ns}`, text, { 'content-type': 'application/yaml' });
    if (r.status !== 201 && r.status !== 200) failures.push(`${file}: ${r.status} ${r.text}`);
  }
  expect(failures).toEqual([]);
});
