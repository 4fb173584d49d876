// The conformance suite: the same HTTP behaviour checked for every registered kind.
import { describe, expect, test } from 'bun:test';
import type { KindDefinition } from '../../src/registry/kind';
import { kinds } from '../../src/resources';
import { fixtures } from '../fixtures/kinds';
import { testApp } from '../support/app';

const manifest = (kind: string, name: string, spec: unknown, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'orloj.dev/v1',
  kind,
  metadata: { name, ...extra },
  spec,
});

/** Whether a stored object of this kind in this phase refuses spec changes. */
const locks = (def: KindDefinition, phase: string) =>
  def.specLocked?.({ apiVersion: 'orloj.dev/v1', kind: def.kind, metadata: { name: 'one', namespace: 'default', uid: '', resourceVersion: '1', generation: 1, createdAt: '' }, spec: {}, status: { phase } }) !== undefined;

test('every kind has a conformance fixture', () => {
  expect(Object.keys(fixtures).sort()).toEqual(kinds.map((k) => k.plural).sort());
});

for (const def of kinds) {
  const base = `/v1/${def.plural}`;
  const fx = fixtures[def.plural];
  const initialPhase = def.alwaysReady ? 'Ready' : (def.initialPhase ?? 'Pending');

  describe(`${def.kind} (${base})`, () => {
    test('create answers 201 with server fields; same apply again is a no-op 200', async () => {
      const { call } = testApp();
      const r = await call('POST', base, manifest(def.kind, 'one', fx.spec));
      expect(r.status).toBe(201);
      expect(r.json.apiVersion).toBe('orloj.dev/v1');
      expect(r.json.kind).toBe(def.kind);
      expect(r.json.metadata).toMatchObject({ name: 'one', namespace: 'default', resourceVersion: '1', generation: 1 });
      expect(r.json.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.json.metadata.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(r.json.status.phase).toBe(initialPhase);
      expect(r.headers.get('etag')).toBe('"1"');
      const again = await call('POST', base, manifest(def.kind, 'one', fx.spec));
      expect(again.status).toBe(200);
      expect(again.json.metadata.resourceVersion).toBe('1');
    });

    test('apply with a changed spec updates, bumps generation and keeps status', async () => {
      const { call } = testApp();
      await call('POST', base, manifest(def.kind, 'one', fx.spec));
      // A phase in which the spec may still change (approvals freeze theirs once decided).
      const phase = def.phases.slice(1).find((p) => !locks(def, p)) ?? def.phases[0];
      await call('PUT', `${base}/one/status`, { metadata: { resourceVersion: '1' }, status: { phase, lastError: 'x' } });
      const r = await call('POST', base, manifest(def.kind, 'one', fx.changed));
      expect(r.status).toBe(200);
      expect(r.json.metadata).toMatchObject({ resourceVersion: '3', generation: 2 });
      expect(r.json.status.lastError).toBe('x');
      const stale = await call('POST', base, manifest(def.kind, 'one', fx.spec, { resourceVersion: '2' }));
      expect(stale.status).toBe(409);
      expect(stale.json.reason).toBe('Conflict');
    });

    test('get answers the object with an ETag, and 404 in the Status shape when missing', async () => {
      const { call } = testApp();
      const created = await call('POST', `${base}?namespace=team-a`, manifest(def.kind, 'one', fx.spec));
      const r = await call('GET', `${base}/one?namespace=team-a`);
      expect(r.status).toBe(200);
      expect(r.json).toEqual(created.json);
      expect(r.headers.get('etag')).toBe('"1"');
      const missing = await call('GET', `${base}/one`);
      expect(missing.status).toBe(404);
      expect(missing.json).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        code: 404,
        reason: 'NotFound',
        message: `${def.plural} "one" not found`,
        details: { kind: def.plural, name: 'one' },
      });
    });

    test('list pages through namespaces in (namespace, name) order with continue tokens', async () => {
      const { call } = testApp();
      const want: string[] = [];
      for (const ns of ['b', 'a']) {
        for (const n of ['x3', 'x1', 'x2']) {
          expect((await call('POST', `${base}?namespace=${ns}`, manifest(def.kind, n, fx.spec))).status).toBe(201);
          want.push(`${ns}/${n}`);
        }
      }
      want.sort();
      const seen: string[] = [];
      let after = '';
      for (let page = 0; page < 5; page++) {
        const r = await call('GET', `${base}?limit=4${after ? `&after=${encodeURIComponent(after)}` : ''}`);
        expect(r.status).toBe(200);
        expect(r.json.kind).toBe(`${def.kind}List`);
        expect(r.json.metadata.resourceVersion).toBe('6');
        seen.push(...r.json.items.map((o: any) => `${o.metadata.namespace}/${o.metadata.name}`));
        if (!r.json.continue) break;
        expect(r.json.metadata.continue).toBe(r.json.continue);
        after = r.json.continue;
      }
      expect(seen).toEqual(want);
      const onlyA = await call('GET', `${base}?namespace=a`);
      expect(onlyA.json.items.map((o: any) => o.metadata.name)).toEqual(['x1', 'x2', 'x3']);
      expect(onlyA.json.continue).toBeUndefined();
      const bare = await call('GET', `${base}?namespace=a&limit=5&after=x1`);
      expect(bare.json.items.map((o: any) => o.metadata.name)).toEqual(['x2', 'x3']);
    });

    test('label selectors filter with =, !=, in, notin, exists and !exists', async () => {
      const { call } = testApp();
      const mk = (name: string, labels?: Record<string, string>) => call('POST', base, manifest(def.kind, name, fx.spec, labels ? { labels } : {}));
      await mk('dev1', { env: 'dev', tier: 'web' });
      await mk('dev2', { env: 'dev' });
      await mk('qa1', { env: 'qa' });
      await mk('none');
      const names = async (sel: string) => (await call('GET', `${base}?labelSelector=${encodeURIComponent(sel)}`)).json.items.map((o: any) => o.metadata.name);
      expect(await names('env=dev')).toEqual(['dev1', 'dev2']);
      expect(await names('env==dev,tier=web')).toEqual(['dev1']);
      expect(await names('env!=dev')).toEqual(['none', 'qa1']);
      expect(await names('env in (qa, prod)')).toEqual(['qa1']);
      expect(await names('env notin (dev)')).toEqual(['none', 'qa1']);
      expect(await names('env')).toEqual(['dev1', 'dev2', 'qa1']);
      expect(await names('!env')).toEqual(['none']);
      const paged = await call('GET', `${base}?labelSelector=env%3Ddev&limit=1`);
      expect(paged.json.items.map((o: any) => o.metadata.name)).toEqual(['dev1']);
      expect(paged.json.continue).toBe('default/dev1');
      const bad = await call('GET', `${base}?labelSelector=${encodeURIComponent('=x')}`);
      expect(bad.status).toBe(400);
    });

    const lockingPhase = def.phases.find((phase) => locks(def, phase));
    if (lockingPhase) {
      test(`once ${lockingPhase}, a spec change by PUT or apply is refused (409); an identical write is a no-op 200`, async () => {
        const { call } = testApp();
        await call('POST', base, manifest(def.kind, 'one', fx.spec));
        await call('PUT', `${base}/one/status`, { status: { phase: lockingPhase } }, { 'if-match': '"1"' });
        const put = await call('PUT', `${base}/one`, manifest(def.kind, 'one', fx.changed), { 'if-match': '"2"' });
        expect(put.status).toBe(409);
        expect(put.json).toMatchObject({ reason: 'Conflict', details: { kind: def.plural, name: 'one' } });
        expect((await call('POST', base, manifest(def.kind, 'one', fx.changed))).status).toBe(409);
        const same = await call('PUT', `${base}/one`, manifest(def.kind, 'one', fx.spec), { 'if-match': '"2"' });
        expect(same.status).toBe(200);
        expect(same.json.metadata).toMatchObject({ resourceVersion: '2', generation: 1 });
      });
    }

    {
      test('PUT needs a precondition (428), refuses stale (409), missing (404) and renames (400)', async () => {
        const { call } = testApp();
        await call('POST', base, manifest(def.kind, 'one', fx.spec));
        const none = await call('PUT', `${base}/one`, manifest(def.kind, 'one', fx.changed));
        expect(none.status).toBe(428);
        expect(none.json.reason).toBe('PreconditionRequired');
        const stale = await call('PUT', `${base}/one`, manifest(def.kind, 'one', fx.changed), { 'if-match': '"7"' });
        expect(stale.status).toBe(409);
        const missing = await call('PUT', `${base}/two`, manifest(def.kind, 'two', fx.changed), { 'if-match': '"1"' });
        expect(missing.status).toBe(404);
        const renamed = await call('PUT', `${base}/one`, manifest(def.kind, 'other', fx.changed), { 'if-match': '"1"' });
        expect(renamed.status).toBe(400);
        expect(renamed.json.details.causes[0].field).toBe('metadata.name');
        const ok = await call('PUT', `${base}/one`, { ...manifest(def.kind, 'one', fx.changed), metadata: { name: 'one', resourceVersion: '1' } });
        expect(ok.status).toBe(200);
        expect(ok.json.metadata).toMatchObject({ resourceVersion: '2', generation: 2 });
        const weak = await call('PUT', `${base}/one`, manifest(def.kind, 'one', fx.spec), { 'if-match': 'W/"2"' });
        expect(weak.status).toBe(200);
        expect(weak.json.metadata).toMatchObject({ resourceVersion: '3', generation: 3 });
      });
    }

    test('status writes keep generation and bump resourceVersion; bad phases are refused', async () => {
      const { call } = testApp();
      await call('POST', base, manifest(def.kind, 'one', fx.spec));
      const phase = def.phases[def.phases.length - 1];
      const noPre = await call('PUT', `${base}/one/status`, { status: { phase } });
      expect(noPre.status).toBe(428);
      const r = await call('PUT', `${base}/one/status`, { status: { phase } }, { 'if-match': '1' });
      expect(r.status).toBe(200);
      expect(r.json.metadata).toMatchObject({ resourceVersion: '2', generation: 1 });
      expect(r.json.status.phase).toBe(phase);
      expect(r.json.status.observedGeneration).toBe(1);
      const read = await call('GET', `${base}/one/status`);
      expect(read.json.status.phase).toBe(phase);
      const bad = await call('PUT', `${base}/one/status`, { metadata: { resourceVersion: '2' }, status: { phase: 'Bogus' } });
      expect(bad.status).toBe(400);
      expect(bad.json.details.causes).toEqual([{ field: 'status.phase', message: `must be one of: ${def.phases.join(', ')}` }]);
    });

    test('delete answers 200 with the last stored object, then 404', async () => {
      const { call } = testApp();
      const created = await call('POST', base, manifest(def.kind, 'one', fx.spec));
      const r = await call('DELETE', `${base}/one`);
      expect(r.status).toBe(200);
      expect(r.json).toEqual(created.json);
      expect((await call('GET', `${base}/one`)).status).toBe(404);
      expect((await call('DELETE', `${base}/one`)).status).toBe(404);
    });

    test('YAML bodies apply like JSON; unknown spec fields are refused with every cause', async () => {
      const { call } = testApp();
      const yaml = `apiVersion: orloj.dev/v1\nkind: ${def.kind}\nmetadata:\n  name: from-yaml\nspec: ${JSON.stringify(fx.spec)}\n`;
      const r = await call('POST', base, yaml, { 'content-type': 'application/yaml' });
      expect(r.status).toBe(201);
      const bad = await call('POST', base, manifest(def.kind, 'Bad/Name', { ...fx.spec, no_such_field: 1 }, { lables: {} }));
      expect(bad.status).toBe(400);
      expect(bad.json.reason).toBe('Invalid');
      const fields = bad.json.details.causes.map((c: any) => c.field);
      expect(fields).toContain('metadata.name');
      expect(fields).toContain('metadata.lables');
      expect(fields).toContain('spec.no_such_field');
    });
  });
}
