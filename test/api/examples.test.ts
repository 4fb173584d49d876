// Every manifest under examples/ (each document of each file) applies unchanged, as YAML, through
// the API; and examples/resources holds exactly one file per kind, named after it.
import { describe, expect, test } from 'bun:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { kinds } from '../../src/resources';
import { testApp } from '../support/app';
import { documents, manifestsUnder, postAll } from '../support/manifests';

const ROOT = join(import.meta.dir, '../../examples');
const RESOURCES = join(ROOT, 'resources');

/** AgentSystem → agent-system, McpServer → mcp-server. */
const kebab = (kind: string) => kind.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

describe('examples/resources', () => {
  test('holds exactly one file per kind, named after it, whose documents are all of that kind', () => {
    expect(readdirSync(RESOURCES).sort()).toEqual(kinds.map((k) => `${kebab(k.kind)}.yaml`).sort());
    for (const def of kinds) {
      const docs = documents(join(RESOURCES, `${kebab(def.kind)}.yaml`));
      expect(docs.length).toBeGreaterThan(0);
      expect(docs.map((d) => d.manifest.kind)).toEqual(docs.map(() => def.kind));
    }
  });

  test('every document applies unchanged as YAML and keeps every field it wrote', async () => {
    const { call } = testApp();
    const docs = manifestsUnder(RESOURCES);
    const failures = await postAll(call, docs, [201], (doc, applied) => {
      const spec = doc.manifest.spec;
      // Secret values read back as "***" and stringData is folded into data: only the keys can match.
      if (doc.manifest.kind === 'Secret') expect(Object.keys(applied.spec.data).sort()).toEqual(Object.keys({ ...spec.data, ...spec.stringData }).sort());
      else expect(applied.spec).toMatchObject(spec);
    });
    expect(failures).toEqual([]);
    expect(docs.length).toBeGreaterThanOrEqual(kinds.length);
  });
});

test('every blueprint document applies unchanged as YAML', async () => {
  const { call } = testApp();
  const docs = manifestsUnder(join(ROOT, 'blueprints'));
  // Each blueprint brings its own copy of the mock-default endpoint: the later copies update it.
  expect(await postAll(call, docs, [201, 200])).toEqual([]);
  expect([...new Set(docs.map((d) => d.at.split('/')[0]))]).toEqual(['edge-tools', 'fan-out', 'hierarchical', 'pipeline', 'review', 'swarm-loop']);
});
