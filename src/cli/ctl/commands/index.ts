// Every group of client verbs, in the order `orrery --help` lists them.
import type { Register } from '../program';
import { registerHealth } from './health';
import { registerApply } from './apply';
import { registerCheck } from './check';
import { registerGet } from './get';
import { registerMemory } from './memory';
import { registerRun } from './run';

export const COMMANDS: Register[] = [registerHealth, registerApply, registerCheck, registerGet, registerMemory, registerRun];
