// The stdio side of an MCP session: the server runs as a child process in its own process group
// (so stopping it stops whatever it started), with exactly the environment it is given, speaking
// newline-delimited JSON-RPC (the SDK's framing) on stdin/stdout; stderr goes out line by line.
import { spawn, type ChildProcess } from 'node:child_process';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** Long stderr lines are cut so one runaway write cannot flood the log. */
const MAX_STDERR_LINE = 2000;
/** How long a server gets to exit after stdin closes, then after SIGTERM. */
const EXIT_GRACE_MS = 2000;

export interface ProcessOptions {
  command: string;
  args: string[];
  /** The whole environment of the child: nothing of this process's environment is inherited. */
  env: Record<string, string>;
  onStderr(line: string): void;
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** Signals the child's whole process group; false when no member is left. */
function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

export class ProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private child?: ChildProcess;
  private readonly buffer = new ReadBuffer();
  private stderrTail = '';

  constructor(private readonly opts: ProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): Promise<void> {
    if (this.child) throw new Error('process transport already started');
    return new Promise((resolve, reject) => {
      // detached: a new process group (and session) led by the child, signalled as a whole.
      const child = spawn(this.opts.command, this.opts.args, { env: this.opts.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true, shell: false });
      this.child = child;
      child.once('spawn', () => resolve());
      child.once('error', (e) => {
        reject(e);
        this.onerror?.(e);
      });
      child.once('close', () => {
        this.flushStderr();
        this.onclose?.();
      });
      child.stdin?.on('error', (e) => this.onerror?.(e));
      child.stdout?.on('data', (chunk: Buffer) => this.read(chunk));
      child.stderr?.on('data', (chunk: Buffer) => this.stderr(chunk));
    });
  }

  private read(chunk: Buffer): void {
    try {
      this.buffer.append(chunk);
    } catch (e) {
      this.onerror?.(e as Error);
      void this.close();
      return;
    }
    for (;;) {
      let message: JSONRPCMessage | null;
      try {
        message = this.buffer.readMessage();
      } catch (e) {
        // A line that is not JSON-RPC (a stray print): reported, and reading goes on.
        this.onerror?.(e as Error);
        continue;
      }
      if (message === null) return;
      this.onmessage?.(message);
    }
  }

  private stderr(chunk: Buffer): void {
    const lines = (this.stderrTail + chunk.toString('utf8')).split('\n');
    this.stderrTail = lines.pop() ?? '';
    if (this.stderrTail.length > MAX_STDERR_LINE) {
      lines.push(this.stderrTail);
      this.stderrTail = '';
    }
    for (const line of lines) this.emitStderr(line);
  }

  private flushStderr(): void {
    if (this.stderrTail) this.emitStderr(this.stderrTail);
    this.stderrTail = '';
  }

  private emitStderr(line: string): void {
    const clean = line.replace(/\r$/, '');
    if (clean.trim()) this.opts.onStderr(clean.length > MAX_STDERR_LINE ? `${clean.slice(0, MAX_STDERR_LINE)}…` : clean);
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      const stdin = this.child?.stdin;
      if (!stdin || !stdin.writable) return reject(new Error('MCP server process is not running'));
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', () => resolve());
    });
  }

  /** Closes stdin, then SIGTERM and SIGKILL to the process group for whatever is still running. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    const pid = child.pid;
    const gone = new Promise<void>((resolve) => (exited(child) ? resolve() : child.once('exit', () => resolve())));
    const wait = () => Promise.race([gone, new Promise<void>((r) => setTimeout(r, EXIT_GRACE_MS).unref?.())]);
    try {
      child.stdin?.end();
    } catch {
      // already closed
    }
    await wait();
    // The leader may be gone while processes it started are not: the group is signalled either way.
    if (signalGroup(pid, 'SIGTERM')) {
      await wait();
      if (signalGroup(pid, 0)) signalGroup(pid, 'SIGKILL');
    }
    await gone.catch(() => undefined);
    this.buffer.clear();
  }
}
