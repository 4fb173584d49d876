// Child process for the cross-process claim race: claims up to N tasks and prints their names.
import { createCore } from '../../src/core';
import { TaskLeases } from '../../src/runtime/leases';
import { openStore } from '../../src/store/open-store';
import { systemClock } from '../../src/util/time';

const [dataDir, workerId, count] = process.argv.slice(2);
const p = openStore(dataDir, undefined);
const core = createCore({ backend: p, clock: systemClock });
const leases = new TaskLeases(core.registry, systemClock);
await Bun.sleep(Number(process.env.START_DELAY_MS ?? 0));
const claimed: string[] = [];
for (let i = 0; i < Number(count); i++) {
  const t = await leases.claimNextDue({ id: workerId });
  if (t) claimed.push(t.metadata.name);
}
console.log(JSON.stringify(claimed));
core.stop();
p.handle.close();
