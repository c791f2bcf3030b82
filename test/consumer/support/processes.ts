import { spawn, type ChildProcess } from 'node:child_process';

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  /** Standard output alone (for commands whose answer is on stdout, such as `--json`). */
  stdout: string;
  /** True when the process was killed for running past its time limit. */
  timedOut: boolean;
  ms: number;
}

/** Every process this file started and that has not exited yet, so `stopAll()` can end them. */
const running = new Set<Started>();

/**
 * A command started in its own process group (so `npm`/`npx` and the node process they start
 * can be stopped together by the group's id), with stdout and stderr collected.
 */
export class Started {
  readonly exited: Promise<ProcessResult>;
  private readonly child: ChildProcess;
  private readonly chunks: string[] = [];
  private readonly stdoutChunks: string[] = [];
  private timedOut = false;
  private readonly startedAt = Date.now();

  constructor(
    readonly label: string,
    command: string,
    args: readonly string[],
    options: { cwd: string; env: Record<string, string> },
  ) {
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    running.add(this);
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk.toString('utf8'));
      this.stdoutChunks.push(chunk.toString('utf8'));
    });
    this.child.stderr!.on('data', (chunk: Buffer) => this.chunks.push(chunk.toString('utf8')));
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        running.delete(this);
        resolve({
          code,
          signal,
          output: this.output,
          stdout: this.stdoutChunks.join(''),
          timedOut: this.timedOut,
          ms: Date.now() - this.startedAt,
        });
      };
      this.child.on('error', (err) => {
        this.chunks.push(`spawn error: ${err.message}\n`);
        done(null, null);
      });
      this.child.on('close', done);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get output(): string {
    return this.chunks.join('');
  }

  /** Sends `signal` to the process itself. */
  signal(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** Sends `signal` to the process group this process leads (the process and its children). */
  signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Waits for the exit; after `timeoutMs` kills the whole group (and reports `timedOut`). */
  async exit(timeoutMs: number): Promise<ProcessResult> {
    const timer = setTimeout(() => {
      this.timedOut = true;
      this.signalGroup('SIGKILL');
    }, timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM to the group, SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<ProcessResult> {
    this.signalGroup('SIGTERM');
    return this.exit(graceMs);
  }
}

/** Runs a command to its end (killed after `timeoutMs`). */
export function run(
  label: string,
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs: number },
): Promise<ProcessResult> {
  return new Started(label, command, args, options).exit(options.timeoutMs);
}

/** Stops every process started here that is still running (test teardown). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop(5_000)));
}

/** The last `lines` lines of a process's output, for assertion messages. */
export function tail(output: string, lines = 60): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n');
}
