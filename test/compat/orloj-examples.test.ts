// Compatibility with Orloj's own example manifests, run only when ORRERY_ORLOJ_EXAMPLES names a
// directory of them (subfolders resources/, blueprints/, use-cases/): every manifest applies
// unchanged and keeps every field it wrote, and the original blueprints run on the mock provider.
import { describe, expect, test } from 'bun:test';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { testApp } from '../support/app';
import { applyAll, kindOf, manifestsUnder, postAll, yamlFiles, type ManifestDoc } from '../support/manifests';
import { testRegistry } from '../support/registry';
import { startHarness } from '../runtime/engine/harness';

const VARIABLE = 'ORRERY_ORLOJ_EXAMPLES';
const DIR = process.env[VARIABLE];
const SUBFOLDERS = ['resources', 'blueprints', 'use-cases'];

if (!DIR) {
  console.log(`orloj compatibility: skipped — set ${VARIABLE} to a directory of Orloj's example manifests`);
  test.skip(`Orloj example manifests (${VARIABLE} is not set)`, () => {});
} else if (!existsSync(DIR) || !statSync(DIR).isDirectory()) {
  test(`${VARIABLE} names a directory of Orloj's example manifests`, () => {
    throw new Error(`${VARIABLE}=${DIR} is not a directory; point it at Orloj's examples (with ${SUBFOLDERS.join('/, ')}/) or unset it to skip this check`);
  });
} else {
  orlojExamples(DIR);
}

function orlojExamples(dir: string) {
  const docs = manifestsUnder(dir);

  test('the directory holds manifests in resources/, blueprints/ and use-cases/, and every one is read', () => {
    for (const sub of SUBFOLDERS) expect({ sub, docs: docs.filter((d) => d.at.startsWith(`${sub}/`)).length > 0 }).toEqual({ sub, docs: true });
    // Counted independently of the reader: one `kind:` line at the start of a line per manifest.
    const kindLines = yamlFiles(dir).reduce((n, f) => n + (readFileSync(f, 'utf8').match(/^kind:/gm)?.length ?? 0), 0);
    expect(docs.length).toBe(kindLines);
  });

  test('every manifest applies unchanged as YAML through the API', async () => {
    const { call } = testApp();
    // Several examples share a name (openai-default, a webhook secret): the later ones update it.
    expect(await postAll(call, docs, [201, 200])).toEqual([]);
  });

  describe('each manifest, applied alone', () => {
    test.each(docs.map((d) => [d.at, d] as const))('%s applies and keeps every field it wrote', async (_at, doc: ManifestDoc) => {
      const { registry, kind } = testRegistry();
      const manifest = doc.manifest;
      const def = kind(kindOf(manifest)!.plural);
      const { object, created } = await registry.apply(def, manifest, {});
      expect(created).toBe(true);
      expect(object.metadata.name).toBe(manifest.metadata.name);
      if (manifest.kind === 'Secret') {
        // Values read back as "***"; the stored values are the base64 of what was written.
        const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
        const written = { ...manifest.spec.data, ...Object.fromEntries(Object.entries<string>(manifest.spec.stringData ?? {}).map(([k, v]) => [k, b64(v)])) };
        expect((await registry.getDecoded(def, object.metadata.namespace, object.metadata.name)).spec.data).toEqual(written);
      } else {
        // Normalization only adds defaults: every field the example wrote survives as written.
        expect(object.spec).toMatchObject(manifest.spec);
      }
    });
  });

  describe('the original blueprints, unchanged, on the mock provider', () => {
    const mockEndpoint = { apiVersion: 'orloj.dev/v1', kind: 'ModelEndpoint', metadata: { name: 'openai-default' }, spec: { provider: 'mock', default_model: 'gpt-4o-mini' } };
    /** Agent runs per agent, from the trace, for the blueprints whose shape this suite knows. */
    const expected: Record<string, Record<string, number>> = {
      pipeline: { 'bp-pipeline-planner-agent': 1, 'bp-pipeline-research-agent': 1, 'bp-pipeline-writer-agent': 1 },
      hierarchical: {
        'bp-hier-manager-agent': 1,
        'bp-hier-research-lead-agent': 1,
        'bp-hier-social-lead-agent': 1,
        'bp-hier-research-worker-agent': 1,
        'bp-hier-social-worker-agent': 1,
        'bp-hier-editor-agent': 1,
      },
      // Kickoff to the coordinator, scouts answer, the coordinator runs again once all three are
      // back (the join counts each loop round), and the second round of scouts hits max_turns 4.
      'swarm-loop': { 'bp-swarm-coordinator-agent': 2, 'bp-swarm-scout-alpha-agent': 2, 'bp-swarm-scout-beta-agent': 2, 'bp-swarm-scout-gamma-agent': 2, 'bp-swarm-synthesizer-agent': 2 },
    };
    const blueprints = readdirSync(join(dir, 'blueprints'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    const counts = (t: any) =>
      (t.status.trace as any[]).filter((r) => r.type === 'agent_start').reduce<Record<string, number>>((acc, r) => ((acc[r.agent] = (acc[r.agent] ?? 0) + 1), acc), {});

    test('the blueprints this suite knows are all there', () => {
      expect(Object.keys(expected).filter((b) => !blueprints.includes(b))).toEqual([]);
    });

    // A blueprint added upstream runs too; its shape is checked once it is listed above.
    test.each(blueprints)('%s runs to Succeeded', async (name) => {
      const h = await startHarness();
      try {
        await h.r.registry.apply(h.r.registry.byPlural.get('model-endpoints')!, mockEndpoint, {});
        const [task] = await applyAll(h.r.registry, manifestsUnder(join(dir, 'blueprints', name)));
        const t: any = await h.settled(task);
        expect(t.status.phase).toBe('Succeeded');
        if (expected[name]) expect(counts(t)).toEqual(expected[name]);
      } finally {
        await h.close();
      }
    });
  });
}
