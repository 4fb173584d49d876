// Engine flags shared by `orrery serve` and `orrery worker`: --task-branch-concurrency from the
// command line or its environment twin, validated, shown in both helps, and handed to the engine;
// the --tool-cli-allow list and its entries.
import { afterEach, describe, expect, test } from 'bun:test';
import { serveConfig } from '../../src/cli/config';
import { engineConfig, engineFlags } from '../../src/cli/engine-config';
import { parseFlags } from '../../src/cli/flags';
import { helpText } from '../../src/cli/run';
import { workerHelp } from '../../src/cli/worker';
import { startHarness, type Harness } from '../runtime/engine/harness';

const engineOf = (args: string[], env: Record<string, string> = {}) => engineConfig(parseFlags(args, engineFlags('w1'), env)).config;

describe('--task-branch-concurrency', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  test('defaults to 16; the flag wins over ORLOJ_TASK_BRANCH_CONCURRENCY', () => {
    expect(engineOf([]).branchConcurrency).toBe(16);
    expect(engineOf([], { ORLOJ_TASK_BRANCH_CONCURRENCY: '4' }).branchConcurrency).toBe(4);
    expect(engineOf(['--task-branch-concurrency', '2'], { ORLOJ_TASK_BRANCH_CONCURRENCY: '4' }).branchConcurrency).toBe(2);
    expect(serveConfig(['--task-branch-concurrency=32'], {}).engine.branchConcurrency).toBe(32);
  });

  test('must be a positive whole number', () => {
    for (const bad of ['0', '-1', '1.5', 'many', '']) {
      expect(() => engineOf(['--task-branch-concurrency', bad])).toThrow(`--task-branch-concurrency (ORLOJ_TASK_BRANCH_CONCURRENCY) must be a positive whole number: "${bad}"`);
    }
  });

  test('is listed in the help of serve and of worker', () => {
    const line = /--task-branch-concurrency +Messages of one task run at once \(fan-out branches\) \(default 16; env ORLOJ_TASK_BRANCH_CONCURRENCY\)/;
    expect(helpText()).toMatch(line);
    expect(workerHelp()).toMatch(line);
  });

  test('reaches the engine, which defaults to 16 when the caller leaves it out', async () => {
    h = await startHarness({ branchConcurrency: serveConfig(['--task-branch-concurrency', '3'], {}).engine.branchConcurrency });
    expect(h.engine.deps.branchConcurrency).toBe(3);
    await h.close();
    h = await startHarness();
    expect(h.engine.deps.branchConcurrency).toBe(16);
  });
});

describe('--tool-cli-allow', () => {
  test('is a comma-separated list, from the flag or ORLOJ_TOOL_CLI_ALLOW, empty by default', () => {
    expect(engineOf([]).cliAllow).toEqual([]);
    expect(engineOf(['--tool-cli-allow', 'git, /usr/local/bin/kubectl'], { ORLOJ_TOOL_CLI_ALLOW: 'jq' }).cliAllow).toEqual(['git', '/usr/local/bin/kubectl']);
    expect(engineOf([], { ORLOJ_TOOL_CLI_ALLOW: 'jq' }).cliAllow).toEqual(['jq']);
  });

  test('refuses relative paths', () => {
    expect(() => engineOf(['--tool-cli-allow', 'git,./bin/tool'])).toThrow('--tool-cli-allow (ORLOJ_TOOL_CLI_ALLOW) entries must be bare names or absolute paths, not ./bin/tool: "git,./bin/tool"');
  });
});
