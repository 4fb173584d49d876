// The blueprints of `orrery init`, built into the executable (examples/blueprints/<name>/): text
// files as their text, binary ones (echo.wasm) as embedded files read when written out.
import f0 from '../../../examples/blueprints/edge-tools/00-model-endpoint.yaml' with { type: 'text' };
import f1 from '../../../examples/blueprints/edge-tools/10-memory.yaml' with { type: 'text' };
import f2 from '../../../examples/blueprints/edge-tools/11-mcp-server.yaml' with { type: 'text' };
import f3 from '../../../examples/blueprints/edge-tools/12-cli-tool.yaml' with { type: 'text' };
import f4 from '../../../examples/blueprints/edge-tools/13-wasm-tool.yaml' with { type: 'text' };
import f5 from '../../../examples/blueprints/edge-tools/20-counter.yaml' with { type: 'text' };
import f6 from '../../../examples/blueprints/edge-tools/21-host.yaml' with { type: 'text' };
import f7 from '../../../examples/blueprints/edge-tools/22-sandbox.yaml' with { type: 'text' };
import f8 from '../../../examples/blueprints/edge-tools/23-archivist.yaml' with { type: 'text' };
import f9 from '../../../examples/blueprints/edge-tools/24-librarian.yaml' with { type: 'text' };
import f10 from '../../../examples/blueprints/edge-tools/30-agent-system.yaml' with { type: 'text' };
import f11 from '../../../examples/blueprints/edge-tools/40-task.yaml' with { type: 'text' };
import f12 from '../../../examples/blueprints/edge-tools/echo.wat' with { type: 'text' };
// @ts-expect-error TS reads a .mjs as a module; with type text it is the file's text
import f13 from '../../../examples/blueprints/edge-tools/word-tools.mjs' with { type: 'text' };
import f14 from '../../../examples/blueprints/fan-out/00-model-endpoint.yaml' with { type: 'text' };
import f15 from '../../../examples/blueprints/fan-out/11-fanout-splitter.yaml' with { type: 'text' };
import f16 from '../../../examples/blueprints/fan-out/12-fanout-probe-cost.yaml' with { type: 'text' };
import f17 from '../../../examples/blueprints/fan-out/13-fanout-probe-risk.yaml' with { type: 'text' };
import f18 from '../../../examples/blueprints/fan-out/14-fanout-probe-speed.yaml' with { type: 'text' };
import f19 from '../../../examples/blueprints/fan-out/15-fanout-judge.yaml' with { type: 'text' };
import f20 from '../../../examples/blueprints/fan-out/20-agent-system.yaml' with { type: 'text' };
import f21 from '../../../examples/blueprints/fan-out/30-task.yaml' with { type: 'text' };
import f22 from '../../../examples/blueprints/hierarchical/00-model-endpoint.yaml' with { type: 'text' };
import f23 from '../../../examples/blueprints/hierarchical/11-hier-editor-in-chief.yaml' with { type: 'text' };
import f24 from '../../../examples/blueprints/hierarchical/12-hier-fact-checker.yaml' with { type: 'text' };
import f25 from '../../../examples/blueprints/hierarchical/13-hier-copy-editor.yaml' with { type: 'text' };
import f26 from '../../../examples/blueprints/hierarchical/14-hier-publisher.yaml' with { type: 'text' };
import f27 from '../../../examples/blueprints/hierarchical/20-agent-system.yaml' with { type: 'text' };
import f28 from '../../../examples/blueprints/hierarchical/30-task.yaml' with { type: 'text' };
import f29 from '../../../examples/blueprints/pipeline/00-model-endpoint.yaml' with { type: 'text' };
import f30 from '../../../examples/blueprints/pipeline/10-planner.yaml' with { type: 'text' };
import f31 from '../../../examples/blueprints/pipeline/11-researcher.yaml' with { type: 'text' };
import f32 from '../../../examples/blueprints/pipeline/12-writer.yaml' with { type: 'text' };
import f33 from '../../../examples/blueprints/pipeline/20-agent-system.yaml' with { type: 'text' };
import f34 from '../../../examples/blueprints/pipeline/30-task.yaml' with { type: 'text' };
import f35 from '../../../examples/blueprints/review/00-model-endpoint.yaml' with { type: 'text' };
import f36 from '../../../examples/blueprints/review/10-writer.yaml' with { type: 'text' };
import f37 from '../../../examples/blueprints/review/11-publisher.yaml' with { type: 'text' };
import f38 from '../../../examples/blueprints/review/20-agent-system.yaml' with { type: 'text' };
import f39 from '../../../examples/blueprints/review/30-task.yaml' with { type: 'text' };
import f40 from '../../../examples/blueprints/swarm-loop/00-model-endpoint.yaml' with { type: 'text' };
import f41 from '../../../examples/blueprints/swarm-loop/11-swarm-planner.yaml' with { type: 'text' };
import f42 from '../../../examples/blueprints/swarm-loop/12-swarm-critic.yaml' with { type: 'text' };
import f43 from '../../../examples/blueprints/swarm-loop/20-agent-system.yaml' with { type: 'text' };
import f44 from '../../../examples/blueprints/swarm-loop/30-task.yaml' with { type: 'text' };
import echoWasm from '../../../examples/blueprints/edge-tools/echo.wasm' with { type: 'file' };

export const BLUEPRINTS: Record<string, Record<string, string>> = {
  'edge-tools': { '00-model-endpoint.yaml': f0, '10-memory.yaml': f1, '11-mcp-server.yaml': f2, '12-cli-tool.yaml': f3, '13-wasm-tool.yaml': f4, '20-counter.yaml': f5, '21-host.yaml': f6, '22-sandbox.yaml': f7, '23-archivist.yaml': f8, '24-librarian.yaml': f9, '30-agent-system.yaml': f10, '40-task.yaml': f11, 'echo.wat': f12, 'word-tools.mjs': f13 },
  'fan-out': { '00-model-endpoint.yaml': f14, '11-fanout-splitter.yaml': f15, '12-fanout-probe-cost.yaml': f16, '13-fanout-probe-risk.yaml': f17, '14-fanout-probe-speed.yaml': f18, '15-fanout-judge.yaml': f19, '20-agent-system.yaml': f20, '30-task.yaml': f21 },
  'hierarchical': { '00-model-endpoint.yaml': f22, '11-hier-editor-in-chief.yaml': f23, '12-hier-fact-checker.yaml': f24, '13-hier-copy-editor.yaml': f25, '14-hier-publisher.yaml': f26, '20-agent-system.yaml': f27, '30-task.yaml': f28 },
  'pipeline': { '00-model-endpoint.yaml': f29, '10-planner.yaml': f30, '11-researcher.yaml': f31, '12-writer.yaml': f32, '20-agent-system.yaml': f33, '30-task.yaml': f34 },
  'review': { '00-model-endpoint.yaml': f35, '10-writer.yaml': f36, '11-publisher.yaml': f37, '20-agent-system.yaml': f38, '30-task.yaml': f39 },
  'swarm-loop': { '00-model-endpoint.yaml': f40, '11-swarm-planner.yaml': f41, '12-swarm-critic.yaml': f42, '20-agent-system.yaml': f43, '30-task.yaml': f44 },
};

/** Binary files of the blueprints: the path of the embedded file (inside the executable once compiled). */
export const BINARY_FILES: Record<string, Record<string, string>> = {
  'edge-tools': { 'echo.wasm': echoWasm },
};
