// What the engine of one process is configured with; the CLI reads it from flags
// (src/cli/engine-config.ts), tests write it down.
export interface EngineConfig {
  workerId: string;
  region?: string;
  gpu: boolean;
  models: string[];
  maxConcurrentTasks: number;
  /** Messages of one task processed at once (fan-out branches); DEFAULT_BRANCH_CONCURRENCY when unset. */
  branchConcurrency?: number;
  leaseMs: number;
  heartbeatMs: number;
  egressPrivate: 'allow' | 'deny';
  /** Executables `cli` tools may run on the host (--tool-cli-allow); empty or unset refuses every cli tool. */
  cliAllow?: string[];
  /** Executables stdio McpServers may start (--mcp-command-allow); empty or unset allows any. */
  mcpCommandAllow?: string[];
  /** ttl of the ToolApprovals the engine creates (a duration such as `10m`); DEFAULT_APPROVAL_TTL when unset. */
  approvalTtl?: string;
}

export const DEFAULT_APPROVAL_TTL = '10m';

export const DEFAULT_BRANCH_CONCURRENCY = 16;
