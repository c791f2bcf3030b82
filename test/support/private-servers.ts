import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestQueueModuleOptions } from '../../lib/index.js';
import { freePort } from './free-port.js';
import { Redis } from './redis.js';
import { waitFor } from './wait-for.js';

/**
 * A store server of a test's own (temporary data folder, free loopback port), that the test
 * stops and starts again. The machine's servers are never touched.
 */
export interface PrivateServer {
  readonly name: string;
  /** Why it cannot run here (a binary is missing), or null. */
  unavailable(): string | null;
  /** Creates its data folder, picks a port, starts it, and makes what the store needs. */
  setUp(): Promise<void>;
  /** Module options that reach it. */
  options(): RequestQueueModuleOptions;
  /** Starts it on the same folder and port; resolves once it answers. */
  start(): Promise<void>;
  /** Stops it cleanly (SIGTERM, as an operator's restart would); resolves once the process is gone. */
  stop(): Promise<void>;
  /** Stops it if it runs and removes its folder. */
  remove(): Promise<void>;
}

/** Starts `command`, stops it by its pid with SIGTERM, and leaves nothing behind. */
class ServerProcess {
  private child?: ChildProcess;

  constructor(
    private readonly command: string,
    private readonly args: () => string[],
  ) {}

  start(): void {
    this.child = spawn(this.command, this.args(), { stdio: 'ignore' });
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(killer);
  }
}

const REDIS_SERVER = '/usr/bin/redis-server';

/** `redis-server --appendonly yes`: what it acknowledged survives a stop and start. */
export class PrivateRedis implements PrivateServer {
  readonly name = 'redis';
  private dir = '';
  private port = 0;
  private readonly server = new ServerProcess(REDIS_SERVER, () => [
    '--port',
    String(this.port),
    '--bind',
    '127.0.0.1',
    '--dir',
    this.dir,
    '--appendonly',
    'yes',
    '--save',
    '',
    '--daemonize',
    'no',
    '--logfile',
    join(this.dir, 'redis.log'),
  ]);

  unavailable(): string | null {
    return existsSync(REDIS_SERVER) ? null : `${REDIS_SERVER} is not installed`;
  }

  async setUp(): Promise<void> {
    const missing = this.unavailable();
    if (missing) throw new Error(missing);
    this.dir = mkdtempSync(join(tmpdir(), 'rq-chaos-redis-'));
    this.port = await freePort();
    await this.start();
  }

  options(): RequestQueueModuleOptions {
    return { driver: 'redis', redis: { url: `redis://127.0.0.1:${this.port}`, prefix: 'rq-chaos' } };
  }

  async start(): Promise<void> {
    this.server.start();
    await waitFor('the private Redis to start', () => this.answers(), { timeoutMs: 30_000 });
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  async remove(): Promise<void> {
    await this.server.stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private async answers(): Promise<boolean> {
    const redis = new Redis(this.port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on('error', () => {}); // refused while it starts: the answer is `false`
    try {
      await redis.connect();
      return (await redis.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      redis.disconnect();
    }
  }
}

const MARIADBD = '/usr/sbin/mariadbd';
const INSTALL_DB = '/usr/bin/mariadb-install-db';

/** `mariadbd` on a data folder of its own (no grant tables), with one database `database`. */
export class PrivateMariadb implements PrivateServer {
  readonly name = 'mariadb';
  private dir = '';
  /** Its loopback port, once set up. */
  port = 0;

  constructor(readonly database = 'rq_private') {}

  private readonly server = new ServerProcess(MARIADBD, () => [
    '--no-defaults',
    `--datadir=${join(this.dir, 'data')}`,
    `--port=${this.port}`,
    '--bind-address=127.0.0.1',
    `--socket=${join(this.dir, 'sock')}`,
    `--pid-file=${join(this.dir, 'pid')}`,
    '--user=root',
    '--skip-grant-tables',
    '--skip-log-bin',
    '--innodb-buffer-pool-size=16M',
  ]);

  unavailable(): string | null {
    for (const binary of [MARIADBD, INSTALL_DB]) if (!existsSync(binary)) return `${binary} is not installed`;
    return null;
  }

  async setUp(): Promise<void> {
    const missing = this.unavailable();
    if (missing) throw new Error(missing);
    this.dir = mkdtempSync(join(tmpdir(), 'rq-chaos-mariadb-'));
    const out = spawnSync(
      INSTALL_DB,
      [
        '--no-defaults',
        `--datadir=${join(this.dir, 'data')}`,
        '--user=root',
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
      ],
      { encoding: 'utf8' },
    );
    if (out.status !== 0) throw new Error(`mariadb-install-db failed: ${out.stderr}`);
    this.port = await freePort();
    await this.start();
    await this.query(`CREATE DATABASE ${this.database}`);
  }

  options(): RequestQueueModuleOptions {
    return { driver: 'database', database: { url: `mariadb://root@127.0.0.1:${this.port}/${this.database}` } };
  }

  async start(): Promise<void> {
    this.server.start();
    await waitFor(
      'the private MariaDB to start',
      () =>
        this.query('SELECT 1').then(
          () => true,
          () => false,
        ),
      { timeoutMs: 60_000 },
    );
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  async remove(): Promise<void> {
    await this.server.stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private async query(sql: string): Promise<void> {
    const mysql = await import('mysql2/promise');
    const db = await mysql.createConnection({ host: '127.0.0.1', port: this.port, user: 'root', connectTimeout: 2000 });
    try {
      await db.query(sql);
    } finally {
      await db.end();
    }
  }
}
