// Every group of client verbs, in the order `orrery --help` lists them.
import type { Register } from '../program';
import { registerHealth } from './health';
import { registerApply } from './apply';
import { registerCheck } from './check';
import { registerGet } from './get';
import { registerMemory } from './memory';
import { registerRun } from './run';
import { registerTaskActions } from './task-actions';
import { registerObserve } from './observe';
import { registerGraph } from './graph';
import { registerEvents } from './events';
import { registerTop } from './top';
import { registerApprovals } from './approvals';

export const COMMANDS: Register[] = [registerHealth, registerApply, registerCheck, registerGet, registerMemory, registerRun, registerTaskActions, registerObserve, registerGraph, registerEvents, registerTop, registerApprovals];
