import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Spawned } from '../../cli/support/processes.js';
import { waitFor } from '../../support/wait-for.js';
import type { RequestQueueModuleOptions } from '../../../lib/index.js';

/** The configuration file every chaos worker runs with (it also hosts the app it replays against). */
export const CHAOS_WORKER_CONFIG = join(dirname(fileURLToPath(import.meta.url)), 'chaos-worker.config.mjs');

/** What ended one worker process, and who ended it. */
export interface WorkerExit {
  slot: number;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** `test`: a SIGKILL the test sent; `self`: anything else (a poison replay, a crash). */
  by: 'test' | 'self';
  /** The last lines it printed, for the failure message. */
  tail: string;
}

export interface WorkerPoolOptions {
  /** The compiled `request-queue` bin. */
  cli: string;
  /** Module options of the workers (`baseUrl` is added by each worker: its own in-process app). */
  options: RequestQueueModuleOptions;
  /** Worker processes kept running. */
  size: number;
  /** `work` flags, e.g. `['--concurrency', '4']`. */
  workArgs: string[];
  /** Restart a worker that exited, as a supervisor would [true]. */
  supervise?: boolean;
  /** Upper bound on restarts, so a crash loop ends the test instead of spinning [50]. */
  maxRestarts?: number;
  /** Most ms the in-process app takes to answer a replay (random below it) [20]. */
  replayMs?: number;
}

interface Slot {
  process: Spawned;
  alive: boolean;
  /** Alive and taking jobs. */
  ready: boolean;
  killedByTest: boolean;
}

const RESTART_DELAY_MS = 250;
const READY_LINE = /Processing jobs from/;

/**
 * `size` real `request-queue work` processes on one store, each replaying against an app in
 * its own process (see chaos-worker.config.mjs), restarted when they exit (`supervise`), as
 * supervisord would. `killRandom` sends SIGKILL to one of them; every exit is recorded.
 */
export class WorkerPool {
  readonly exits: WorkerExit[] = [];
  restarts = 0;
  private readonly slots: Slot[] = [];
  private stopping = false;
  private readonly pending = new Set<ReturnType<typeof setTimeout>>();

  constructor(private readonly config: WorkerPoolOptions) {}

  /** Starts every worker and waits until each one takes jobs. */
  async start(): Promise<this> {
    for (let i = 0; i < this.config.size; i++) this.spawn(i);
    await waitFor(
      'every worker to start',
      () => {
        const failed = this.exits[0];
        if (failed)
          throw new Error(`a worker exited while starting (${failed.code ?? failed.signal}):\n${failed.tail}`);
        return this.slots.every((s) => s.ready);
      },
      { timeoutMs: 60_000 },
    );
    return this;
  }

  /** Pids of the workers now running. */
  get pids(): number[] {
    return this.slots.map((s) => s.process.pid);
  }

  /** SIGKILLs a random worker that is taking jobs (waits up to 30 s for one); resolves to its slot. */
  async killRandom(random: () => number): Promise<number> {
    await waitFor('a running worker to kill', () => this.slots.some((s) => s.ready), { timeoutMs: 30_000 });
    const ready = this.slots.map((s, i) => ({ s, i })).filter(({ s }) => s.ready);
    const { s, i } = ready[Math.floor(random() * ready.length)]!;
    s.killedByTest = true;
    s.ready = false;
    s.process.kill('SIGKILL');
    return i;
  }

  /** Exits the test did not cause (a poison replay's SIGKILL, or a crash). */
  get selfExits(): WorkerExit[] {
    return this.exits.filter((e) => e.by === 'self');
  }

  /**
   * SIGTERMs every worker (no more restarts) and resolves to their exits: a worker finishes
   * its jobs in hand and exits 0. One that does not exit within 30 s is killed.
   */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }[]> {
    this.stopping = true;
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
    const alive = this.slots.filter((s) => s.alive);
    // A worker still starting has no signal handler yet: let it get there first.
    await waitFor('the workers to finish starting', () => alive.every((s) => s.ready || !s.alive), {
      timeoutMs: 60_000,
    });
    return Promise.all(
      alive.map(async ({ process }) => {
        process.kill('SIGTERM');
        const end = await process.exit(30_000);
        return { ...end, output: process.output.split('\n').slice(-20).join('\n') };
      }),
    );
  }

  private spawn(index: number): void {
    const env = {
      CHAOS_WORKER_OPTIONS: JSON.stringify(this.config.options),
      CHAOS_REPLAY_MS: String(this.config.replayMs ?? 20),
    };
    const process = new Spawned(
      this.config.cli,
      ['--config', CHAOS_WORKER_CONFIG, 'work', ...this.config.workArgs],
      env,
    );
    const slot: Slot = { process, alive: true, ready: false, killedByTest: false };
    this.slots[index] = slot;
    process.waitForLine(READY_LINE, 60_000).then(
      () => (slot.ready = slot.alive && !slot.killedByTest),
      () => {}, // an exit before it was ready is recorded below
    );
    void process.exited.then(({ code, signal }) => {
      slot.alive = false;
      slot.ready = false;
      if (this.stopping) return;
      this.exits.push({
        slot: index,
        pid: process.pid,
        code,
        signal,
        by: slot.killedByTest ? 'test' : 'self',
        tail: process.output.split('\n').slice(-10).join('\n'),
      });
      if (this.config.supervise === false) return;
      if (this.restarts >= (this.config.maxRestarts ?? 50)) return;
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        if (this.stopping) return;
        this.restarts++;
        this.spawn(index);
      }, RESTART_DELAY_MS);
      this.pending.add(timer);
    });
  }
}
