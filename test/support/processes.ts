// Whether a process still runs, for tests that check nothing outlives a stop.

/** True while `pid` runs; a zombie (exited, not yet reaped by its new parent) counts as gone. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = Bun.spawnSync(['ps', '-o', 'stat=', '-p', String(pid)]).stdout.toString().trim();
  return stat !== '' && !stat.startsWith('Z');
}
