import { minuteOf, THROUGHPUT_KEEP_MS, type ThroughputPoint } from '../../core/request-status.js';
import type { SqlExecutor } from './sql-client.js';
import { upsertThroughput, type ThroughputCount } from './sql/throughput.sql.js';

/** How often a process adds what it counted to `request_queue_throughput` [1 s]. */
const FLUSH_EVERY_MS = 1000;

/**
 * Counts a worker process's finished replays and queue waits per minute and queue in
 * memory, and adds them to `request_queue_throughput` once a second (one upsert), and on
 * `flush()` (the store closing). Every process adds its own counts, so the table is right
 * with any number of workers, a second late at most. An upsert per settle batch would
 * cost a commit (an fsync on InnoDB) per batch for a figure nobody needs to the
 * millisecond; measured, it slowed the MariaDB drain markedly. Counts that cannot be
 * written (the database is away) are kept for the next try; a process that dies loses
 * at most its last second of counts, never a job.
 */
export class ThroughputCounter {
  private pending = new Map<string, ThroughputPoint>();
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly db: SqlExecutor) {}

  /** Adds counts to the minute `now` falls in. */
  add(counts: readonly ThroughputCount[], now = Date.now()): void {
    for (const c of counts) this.merge({ at: minuteOf(now), completed: 0, failed: 0, waitMs: 0, waited: 0, ...c });
    if (this.pending.size > 0 && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, FLUSH_EVERY_MS);
      this.timer.unref();
    }
  }

  /** Writes what was counted so far (after any write still running). Never rejects. */
  flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      const points = [...this.pending.values()];
      this.pending.clear();
      if (points.length === 0) return;
      try {
        await upsertThroughput(this.db, points);
      } catch {
        const oldest = Date.now() - THROUGHPUT_KEEP_MS;
        for (const p of points) if (p.at >= oldest) this.merge(p);
        this.add([]); // try again later
      }
    });
    return this.writing;
  }

  /** Stops the timer; counts not flushed are dropped. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private merge(p: ThroughputPoint): void {
    const key = `${p.at}\n${p.queue}`;
    const sum = this.pending.get(key);
    if (!sum) {
      this.pending.set(key, { ...p, waitMs: Math.max(0, Math.round(p.waitMs)) });
      return;
    }
    sum.completed += p.completed;
    sum.failed += p.failed;
    sum.waitMs += Math.max(0, Math.round(p.waitMs));
    sum.waited += p.waited;
  }
}
