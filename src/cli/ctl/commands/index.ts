// Every group of client verbs, in the order `orrery --help` lists them.
import type { Register } from '../program';
import { registerHealth } from './health';

export const COMMANDS: Register[] = [registerHealth];
