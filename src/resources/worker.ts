// Worker: a process that claims and runs tasks; its spec states capabilities, its status carries
// heartbeats written by the worker itself.
import { Type as t } from '@sinclair/typebox';
import { defineKind } from '../registry/kind';
import { dedupe, isObj, positiveOr, trim } from '../registry/normalize';
import { StringList, statusSchema, strict, Int, INT32_MAX } from './common';

const PHASES = ['Pending', 'Ready', 'NotReady'] as const;

const spec = strict({
  region: t.Optional(t.String({ description: 'Matched against task requirements.region.' })),
  capabilities: t.Optional(
    strict({
      gpu: t.Optional(t.Boolean({ description: 'The worker has a GPU.' })),
      supported_models: t.Optional(StringList('Models the worker can serve.')),
    }),
  ),
  max_concurrent_tasks: t.Optional(Int(1, INT32_MAX, 'Tasks run at once (default 1).')),
});

export const worker = defineKind({
  kind: 'Worker',
  plural: 'workers',
  description: 'A task-executing worker: region, capabilities and concurrency; heartbeats in status.',
  spec,
  status: statusSchema(PHASES, {
    lastHeartbeat: t.Optional(t.String({ description: 'RFC 3339 time of the last heartbeat.' })),
    currentTasks: t.Optional(Int(0, INT32_MAX, 'Tasks the worker is running now.')),
  }),
  phases: [...PHASES],
  normalize(s) {
    s.region = trim(s.region);
    if (isObj(s.capabilities) && s.capabilities.supported_models !== undefined) {
      s.capabilities.supported_models = dedupe(s.capabilities.supported_models);
    }
    positiveOr(s, 'max_concurrent_tasks', 1);
    return s;
  },
});
