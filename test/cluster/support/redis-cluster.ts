import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../support/free-port.js';
import { waitFor } from '../../support/wait-for.js';

const run = promisify(execFile);

/** One `redis-server` of the cluster. */
export interface ClusterNodeProcess {
  port: number;
  process: ChildProcess;
}

/** A node as `CLUSTER NODES` describes it. */
export interface ClusterNodeInfo {
  id: string;
  port: number;
  role: 'master' | 'slave';
  /** A replica's master id ('-' for a master). */
  masterId: string;
  failed: boolean;
  /** Slot ranges served, as `[from, to]`. */
  slots: [number, number][];
}

const NODES = 6;
export const WAIT_MS = 30_000;

/**
 * Why the cluster tests are skipped here, or null when they run: they need `redis-server`
 * and `redis-cli`. Under CI nothing is skipped (`.ci/run` installs both): a missing binary fails.
 */
export function clusterSkip(): string | null {
  if (process.env.CI) return null;
  const reason = clusterUnavailable();
  if (reason) console.warn(`[tests] skipping the Redis Cluster tests: ${reason}`);
  return reason;
}

/** Null when `redis-server` and `redis-cli` can run here; otherwise why not. */
export function clusterUnavailable(): string | null {
  for (const bin of ['redis-server', 'redis-cli']) {
    const probe = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) return `${bin} is not installed (${probe.error?.message ?? probe.stderr})`;
  }
  return null;
}

/**
 * A Redis Cluster of its own for a test file: six `redis-server` processes on free loopback
 * ports (three masters, one replica each), no persistence, node timeout 1 s so that a
 * failover takes a couple of seconds. Stopped by pid, its folder removed, by `stop()`.
 */
export class RedisClusterFixture {
  readonly nodes: ClusterNodeProcess[] = [];
  private dir = '';

  /** Seed nodes for ioredis: every node. */
  get seeds(): { host: string; port: number }[] {
    return this.nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
  }

  /** `REDIS_CLUSTER_NODES` for the CLI and the sample app. */
  get envNodes(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  async start(): Promise<this> {
    this.dir = mkdtempSync(join(tmpdir(), 'rq-cluster-'));
    try {
      for (let i = 0; i < NODES; i++) this.nodes.push(await this.startNode(i));
      await Promise.all(this.nodes.map((n) => this.waitForPing(n.port)));
      await run(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...this.nodes.map((n) => `127.0.0.1:${n.port}`),
          '--cluster-replicas',
          '1',
          '--cluster-yes',
        ],
        { timeout: WAIT_MS },
      );
      await waitFor(
        'cluster_state:ok on every node',
        async () => {
          for (const n of this.nodes)
            if (!(await this.cli(n.port, 'cluster', 'info')).includes('cluster_state:ok')) return false;
          // Every node knows every other (the create's meet has gossiped through).
          for (const n of this.nodes) if ((await this.clusterNodes(n.port)).length < NODES) return false;
          return true;
        },
        { timeoutMs: WAIT_MS, intervalMs: 100 },
      );
      // Every replica has finished its first sync: until then a master counts no replica
      // (WAIT answers 0), and a failover has nothing to promote.
      await waitFor(
        'every replica in sync with its master',
        async () => {
          let replicas = 0;
          for (const n of this.nodes) {
            const info = await this.cli(n.port, 'info', 'replication');
            if (!info.includes('role:slave')) continue;
            if (!info.includes('master_link_status:up')) return false;
            replicas++;
          }
          return replicas === NODES / 2;
        },
        { timeoutMs: WAIT_MS, intervalMs: 100 },
      );
      return this;
    } catch (err) {
      const logs = this.nodes.map((n) => this.log(n.port)).join('\n');
      await this.stop();
      throw new Error(`the test cluster did not start: ${(err as Error).message}\n${logs}`, { cause: err });
    }
  }

  private async startNode(i: number): Promise<ClusterNodeProcess> {
    const port = await freePort();
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(this.dir, `nodes-${i}.conf`),
        '--cluster-node-timeout',
        '1000',
        // A replica always stands for election, however stale its link looked under load
        // (the default factor 10 can leave a loaded test cluster without a promotion).
        '--cluster-replica-validity-factor',
        '0',
        '--appendonly',
        'no',
        '--save',
        '',
        '--logfile',
        join(this.dir, `redis-${port}.log`),
      ],
      { stdio: 'ignore' },
    );
    return { port, process: child };
  }

  /** The server log of the node on `port` (for a failing start). */
  log(port: number): string {
    try {
      return readFileSync(join(this.dir, `redis-${port}.log`), 'utf8')
        .split('\n')
        .slice(-20)
        .join('\n');
    } catch {
      return '';
    }
  }

  private async waitForPing(port: number): Promise<void> {
    await waitFor(`redis-server on ${port}`, async () => (await this.cli(port, 'ping')).trim() === 'PONG', {
      timeoutMs: WAIT_MS,
      intervalMs: 100,
    });
  }

  /** Runs one `redis-cli` command against the node on `port`; its output, or '' if it failed. */
  async cli(port: number, ...args: string[]): Promise<string> {
    try {
      const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5000 });
      return stdout;
    } catch {
      return '';
    }
  }

  /** A live node's port (the first that answers). */
  async livePort(): Promise<number> {
    for (const n of this.nodes) {
      if (
        n.process.exitCode === null &&
        n.process.signalCode === null &&
        (await this.cli(n.port, 'ping')).includes('PONG')
      )
        return n.port;
    }
    throw new Error('no cluster node answers');
  }

  /** `CLUSTER NODES` as seen from `port`. */
  async clusterNodes(port?: number): Promise<ClusterNodeInfo[]> {
    const text = await this.cli(port ?? (await this.livePort()), 'cluster', 'nodes');
    return text
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => {
        const [id, addr, flags, masterId, , , , , ...slots] = line.trim().split(' ');
        return {
          id: id!,
          port: Number(addr!.split('@')[0]!.split(':').pop()),
          role: flags!.includes('master') ? 'master' : 'slave',
          masterId: masterId!,
          failed: /fail/.test(flags!),
          slots: slots
            .filter((s) => !s.startsWith('['))
            .map((s) => {
              const [from, to] = s.split('-').map(Number);
              return [from!, to ?? from!] as [number, number];
            }),
        };
      });
  }

  /** The slot of `key` (`CLUSTER KEYSLOT`). */
  async keySlot(key: string): Promise<number> {
    return Number((await this.cli(await this.livePort(), 'cluster', 'keyslot', key)).trim());
  }

  /** The live master that serves `slot`, as the cluster says now. */
  async masterOf(slot: number): Promise<ClusterNodeInfo | undefined> {
    return (await this.clusterNodes()).find(
      (n) => n.role === 'master' && !n.failed && n.slots.some(([from, to]) => slot >= from && slot <= to),
    );
  }

  /** Kills the node on `port` with SIGKILL and waits for its process to end. */
  async kill(port: number): Promise<void> {
    const node = this.nodes.find((n) => n.port === port);
    if (!node || node.process.exitCode !== null || node.process.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => node.process.once('exit', () => resolve()));
    process.kill(node.process.pid!, 'SIGKILL');
    await exited;
  }

  /** Stops every node by pid (SIGKILL: nothing to save) and removes the folder. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.kill(n.port)));
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Deletes every key under `<prefix>:` on every master of the cluster reachable at `seed`.
 * Uses redis-cli (no client library state to close).
 */
export async function deleteClusterPrefix(cluster: RedisClusterFixture, prefix: string): Promise<void> {
  for (const node of await cluster.clusterNodes()) {
    if (node.role !== 'master' || node.failed) continue;
    const keys = (await cluster.cli(node.port, '--scan', '--pattern', `${prefix}:*`)).split('\n').filter(Boolean);
    for (let i = 0; i < keys.length; i += 500) await cluster.cli(node.port, 'del', ...keys.slice(i, i + 500));
  }
}
