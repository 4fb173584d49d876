// Child process for the cross-process conflict test: replaces one Agent expecting version 1.
import { Registry } from '../../src/registry/registry';
import { kinds } from '../../src/resources';
import { openStore } from '../../src/store/open-store';

const [dataDir, marker] = process.argv.slice(2);
const p = openStore(dataDir, undefined);
const registry = new Registry(kinds, p, { now: () => new Date() });
const def = registry.byPlural.get('agents')!;
await Bun.sleep(Number(process.env.START_DELAY_MS ?? 0));
try {
  await registry.replace(def, 'shared', { metadata: { name: 'shared' }, spec: { model_ref: marker } }, {}, '1');
  console.log('won');
} catch (e) {
  console.log(`lost:${(e as Error).constructor.name}`);
}
p.handle.close();
