import { spawn, type ChildProcess } from 'node:child_process';
import type { NetHost } from './netns.js';
import { waitFor } from '../../support/wait-for.js';

/** `2026-11-21 19:30:01 <uuid> PATCH /path ..... 12.3ms DONE` (see test/cli/work.spec.ts). */
const JOB_LINE = /^\S+ \S+ ([0-9a-f-]{36}) (?:PATCH|PUT|DELETE) \S+( \(callback\))? \.{3,} \S+ (DONE|FAIL)/;

/**
 * A `request-queue work` process, inside a network namespace (`ip netns exec`, which execs
 * node: the pid is node's) or, without one, a plain child process. Its output is kept.
 */
export class HostWorker {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(
    readonly host: NetHost | null,
    cli: string,
    args: readonly string[],
    env: Record<string, string>,
  ) {
    const node = [process.execPath, cli, 'work', ...args];
    const [command, ...argv] = host ? ['ip', 'netns', 'exec', host.name, ...node] : node;
    this.child = spawn(command!, argv, {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      let rest = '';
      stream.on('data', (chunk: Buffer) => {
        const parts = (rest + chunk.toString('utf8')).split('\n');
        rest = parts.pop()!;
        this.lines.push(...parts);
      });
    }
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get output(): string {
    return this.lines.join('\n');
  }

  /** Correlation ids of the replays (not callbacks) this worker finished. */
  replays(): string[] {
    return this.lines.flatMap((l) => {
      const m = JOB_LINE.exec(l);
      return m && !m[2] ? [m[1]!] : [];
    });
  }

  /** Resolves once the worker says it is processing; rejects on exit or after `timeoutMs`. */
  async ready(timeoutMs = 30_000): Promise<void> {
    let exited = false;
    void this.exited.then(() => (exited = true));
    await waitFor(
      `the worker on ${this.host?.name ?? 'this host'} to be ready`,
      () => {
        if (exited) throw new Error(`worker on ${this.host?.name ?? 'this host'} exited:\n${this.output}`);
        return this.lines.some((l) => l.includes('Processing jobs from'));
      },
      { timeoutMs, detail: () => this.output },
    );
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves to the exit. */
  async stop(timeoutMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
