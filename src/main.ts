#!/usr/bin/env bun
// The orrery executable: `orrery serve` (default), `orrery version`, `orrery --help`.
import { run } from './cli/run';

process.exitCode = await run(process.argv.slice(2), process.env);
