import { randomUUID } from 'node:crypto';
import type { Client, ClientConfig, Notification, Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { SqlExecutor } from './sql-client.js';

/** The PostgreSQL channel on which a stored job's queue is announced. */
export const JOBS_CHANNEL = 'request_queue_jobs';
/** How long the listener waits for its own test notification before it gives up on LISTEN. */
const PROBE_MS = 2000;
/** Pause before listening again after the connection broke, and after LISTEN was found not to work. */
const RECONNECT_MS = 1000;
const RETRY_UNAVAILABLE_MS = 60_000;
/** How the listening connection names itself in `pg_stat_activity`. */
export const LISTENER_APPLICATION_NAME = 'request-queue-listener';

/**
 * Announces a job stored on `queue` to workers listening on PostgreSQL (`pg_notify` in the
 * storing transaction: delivered when it commits, never for a rolled-back job). Other
 * databases have no such thing: their workers look again after `sleep`.
 */
export async function announceJob(tx: SqlExecutor, queue: string): Promise<void> {
  if (tx.dialect === 'postgres') await tx.run('SELECT pg_notify(?, ?)', [JOBS_CHANNEL, queue]);
}

/**
 * A worker's `LISTEN` on PostgreSQL: a connection of its own (outside the store's pool)
 * that hears every job announced by {@link announceJob} and passes its queue to `onJob`, so
 * an idle worker starts it at once rather than after its `sleep`. LISTEN is checked before
 * it is trusted: the listener sends itself a test notification through the store's pool
 * and only counts as listening once it arrives (through a pooler in transaction mode, say,
 * it never does). When LISTEN is unavailable or its connection breaks, workers keep polling
 * every `sleep` as without it, and the listener tries again later.
 */
export class PgJobListener {
  private client?: Client;
  private timer?: NodeJS.Timeout;
  private probe?: { token: string; arrived: () => void };
  private closed = false;
  private starting = false;
  /** True while notifications are known to arrive. */
  listening = false;

  constructor(
    private readonly dataSource: DataSource,
    /** Runs a statement through the store's own connections (the test notification). */
    private readonly db: SqlExecutor,
    private readonly onJob: (queue: string) => void,
  ) {}

  /** Starts listening (once; later calls do nothing). Resolves when LISTEN works or was found not to. */
  async start(): Promise<void> {
    if (this.client || this.starting || this.closed) return;
    this.starting = true;
    try {
      await this.listen();
    } finally {
      this.starting = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.drop();
  }

  private async listen(): Promise<void> {
    const driver = this.dataSource.driver as unknown as {
      postgres: { Client: new (config: ClientConfig) => Client };
      master?: Pool & { options?: ClientConfig };
    };
    if (!driver.master?.options) return this.retryIn(RETRY_UNAVAILABLE_MS);
    const client = new driver.postgres.Client({
      ...driver.master.options,
      application_name: LISTENER_APPLICATION_NAME,
    });
    this.client = client;
    client.on('error', () => this.broken(client)); // a broken connection also ends
    client.on('end', () => this.broken(client));
    client.on('notification', (message: Notification) => this.heard(message));
    try {
      await client.connect();
      await client.query(`LISTEN ${JOBS_CHANNEL}`);
      if (!(await this.probed())) {
        await this.drop();
        return this.retryIn(RETRY_UNAVAILABLE_MS);
      }
      if (this.client === client) this.listening = true;
    } catch {
      await this.drop();
      this.retryIn(RECONNECT_MS);
    }
  }

  /** Sends a test notification through the store's pool and waits for it on the listening connection. */
  private async probed(): Promise<boolean> {
    const token = `probe:${randomUUID()}`;
    let timer: NodeJS.Timeout | undefined;
    const arrived = new Promise<boolean>((resolve) => {
      this.probe = { token, arrived: () => resolve(true) };
      timer = setTimeout(() => resolve(false), PROBE_MS);
    });
    try {
      await this.db.run('SELECT pg_notify(?, ?)', [JOBS_CHANNEL, token]);
      return await arrived;
    } finally {
      clearTimeout(timer);
      this.probe = undefined;
    }
  }

  private heard(message: Notification): void {
    if (message.channel !== JOBS_CHANNEL || message.payload === undefined) return;
    if (this.probe && message.payload === this.probe.token) return this.probe.arrived();
    this.onJob(message.payload);
  }

  private broken(client: Client): void {
    if (this.client !== client) return;
    void this.drop();
    this.retryIn(RECONNECT_MS);
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.listening = false;
    if (client) await client.end().catch(() => {});
  }

  private retryIn(ms: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.start(), ms);
    this.timer.unref();
  }
}
