import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const APP = join(dirname(fileURLToPath(import.meta.url)), 'pickup-app.js');

/** The longest event-loop stall a process saw, and its 99th percentile (ms). */
export interface Stall {
  maxMs: number;
  p99Ms: number;
}

/** A child process of pickup-app.js (an API or a worker), and the messages it sends. */
export class AppProcess {
  readonly child: ChildProcess;
  private readonly waiting = new Map<string, (at: number) => void>();
  private readonly seen = new Map<string, number>();
  private stats?: (s: Stall) => void;
  readonly ready: Promise<void>;

  constructor(args: string[], env: Record<string, string> = {}) {
    const execArgv = process.env.BENCH_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF_DIR}`] : [];
    this.child = fork(APP, args, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, ...env },
      execArgv,
    });
    this.ready = new Promise((resolve, reject) => {
      this.child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code} before it was ready`)));
      this.child.on('message', (m: unknown) => {
        if (m === 'ready') return resolve();
        const message = m as { replayed?: string; at?: number; stats?: Stall };
        if (message.stats) return this.stats?.(message.stats);
        if (message.replayed !== undefined) {
          const wake = this.waiting.get(message.replayed);
          if (wake) wake(message.at!);
          else this.seen.set(message.replayed, message.at!);
        }
      });
    });
  }

  /** When the replay of request `id` reached the handler. */
  replayed(id: string): Promise<number> {
    const at = this.seen.get(id);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  stall(): Promise<Stall> {
    return new Promise((resolve) => {
      this.stats = resolve;
      this.child.send('stats');
    });
  }

  reset(): void {
    this.child.send('reset');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
