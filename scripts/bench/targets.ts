// The write-path targets of issue 15 in one run: runs crud.ts, watch.ts, task-hops.ts and
// engine.ts one after the other (each on its own servers, never two at once), prints each
// script's report, then one table of every target with the script that measured it.
// Run: npx bun scripts/bench/targets.ts [--quick] [--help]   (about 6 minutes here; --quick: 2)
import { join } from 'node:path';

const HELP = `Usage: npx bun scripts/bench/targets.ts [--quick]
Runs, in order:
  crud.ts --duration 5s --connections 16 --skip cold,scale
  watch.ts --watchers 1000 --rate 1000 --duration 30s
  task-hops.ts --tasks 20 --hops 200
  engine.ts --skip-langgraph --concurrency 16 --tasks 400
--quick: shorter runs (crud 3s, watch 10s, engine 200 tasks), for a check rather than a record.
Reports go to stdout (markdown), progress to stderr. Exit code 0 when every script ran (targets
met or not), 1 when one failed.`;

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) (console.log(HELP), process.exit(0));
const unknown = argv.filter((a) => a !== '--quick');
if (unknown.length) (console.error(`unknown argument ${unknown[0]}\n${HELP}`), process.exit(1));
const quick = argv.includes('--quick');

const runs: [string, string[]][] = [
  ['crud.ts', ['--duration', quick ? '3s' : '5s', '--connections', '16', '--skip', 'cold,scale']],
  ['watch.ts', ['--watchers', '1000', '--rate', '1000', '--duration', quick ? '10s' : '30s']],
  ['task-hops.ts', ['--tasks', '20', '--hops', '200']],
  ['engine.ts', ['--skip-langgraph', '--concurrency', '16', '--tasks', quick ? '200' : '400']],
];

const started = new Date();
const rows: string[] = [];
let failed = false;
for (const [script, args] of runs) {
  const command = `bun scripts/bench/${script} ${args.join(' ')}`;
  console.error(`== ${command}`);
  const t0 = performance.now();
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, script), ...args], { stdout: 'pipe', stderr: 'inherit' });
  const out = await new Response(proc.stdout).text();
  const code = await proc.exited;
  console.error(`== ${script} exited ${code} after ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  console.log(`## ${command}\n\n${out.trim()}\n`);
  if (code !== 0) {
    failed = true;
    rows.push(`| ${script} | the script failed (exit ${code}) | – | **not measured** |`);
    continue;
  }
  // Every script prints its targets as "| target | measured | **met** / **not met** |" rows.
  for (const line of out.split('\n')) {
    const m = /^\|\s*(.+?)\s*\|\s*(.+?)\s*\|\s*(\*\*(?:not )?met\*\*)\s*\|$/.exec(line.trim());
    if (m) rows.push(`| ${script} | ${m[1]} | ${m[2]} | ${m[3]} |`);
  }
}

const met = rows.filter((r) => r.endsWith('| **met** |')).length;
console.log(
  [
    `## All targets (run started ${started.toISOString()}${quick ? ', --quick' : ''})`,
    '',
    '| script | target | measured | result |',
    '|---|---|---|---|',
    ...rows,
    '',
    `${met} of ${rows.length} met.`,
  ].join('\n'),
);
process.exitCode = failed ? 1 : 0;
