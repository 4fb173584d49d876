// Every group of client verbs, in the order `orrery --help` lists them.
import type { Register } from '../program';
import { registerHealth } from './health';
import { registerApply } from './apply';
import { registerCheck } from './check';
import { registerGet } from './get';
import { registerMemory } from './memory';
import { registerDescribe } from './describe';
import { registerDelete } from './delete';
import { registerEdit } from './edit';
import { registerWait } from './wait';
import { registerCreate } from './create';
import { registerAuth } from './auth';
import { registerConfig } from './config';
import { registerStatus } from './status';
import { registerCompletion } from './completion';
import { registerInit } from './init';
import { registerRun } from './run';
import { registerTaskActions } from './task-actions';
import { registerObserve } from './observe';
import { registerGraph } from './graph';
import { registerEvents } from './events';
import { registerTop } from './top';
import { registerApprovals } from './approvals';

export const COMMANDS: Register[] = [registerHealth, registerApply, registerCheck, registerGet, registerMemory, registerDescribe, registerDelete, registerEdit, registerWait, registerCreate, registerAuth, registerConfig, registerStatus, registerCompletion, registerInit, registerRun, registerTaskActions, registerObserve, registerGraph, registerEvents, registerTop, registerApprovals];
