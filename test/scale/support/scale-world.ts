import type { RequestQueueRuntime } from '../../../lib/index.js';
import { enqueue } from '../../cli/support/enqueue.js';
import { apiRuntime, CALLBACK_TOKEN, processEnv } from '../../cli/support/api-runtime.js';
import type { StoreHarness, StoreKind } from '../../support/stores.js';
import { answerByPath, HttpRecorder } from '../../support/http-recorder.js';
import { forwardOnEvery, type Forwarder } from './forwarder.js';
import { GATEWAY_NAME, type NetHost } from './netns.js';

/** How long the API side's store commands may take here [ms]. */
const API_COMMAND_TIMEOUT = 15_000;

/** The TCP port of a store URL (`redis://…`, `mysql://…`, `postgres://…`). */
function storePort(url: URL): number {
  if (url.port) return Number(url.port);
  return { 'redis:': 6379, 'mysql:': 3306, 'mariadb:': 3306, 'postgres:': 5432 }[url.protocol] ?? 0;
}

/**
 * One store shared by worker processes on several hosts: the store harness, the app they
 * replay to, the callback receiver, an API-side runtime that queues requests, and, when the
 * hosts are network namespaces, forwarders on every host's gateway address to the store, the
 * app and the receiver (which listen on 127.0.0.1 only).
 */
export class ScaleWorld {
  harness!: StoreHarness;
  api!: HttpRecorder;
  receiver!: HttpRecorder;
  runtime!: RequestQueueRuntime;
  private forwarders: Forwarder[] = [];
  private storeFwd?: Forwarder[];
  private apiFwd?: Forwarder[];
  private receiverFwd?: Forwarder[];

  /** `hosts`: the namespaces workers run in, or null for plain processes on this host. */
  constructor(
    private readonly kind: StoreKind,
    private readonly hosts: readonly NetHost[] | null,
  ) {}

  /** The URL key of the harness's store in a worker's environment. */
  private get urlKey(): 'REDIS_URL' | 'DATABASE_URL' {
    return this.harness.options.driver === 'redis' ? 'REDIS_URL' : 'DATABASE_URL';
  }

  async open(): Promise<this> {
    this.harness = await this.kind.create();
    this.api = await new HttpRecorder(answerByPath).start();
    this.receiver = await new HttpRecorder(answerByPath).start();
    let allowed = `127.0.0.1:${this.receiver.port}`;
    if (this.hosts) {
      const gateways = this.hosts.map((h) => h.gateway);
      const url = new URL(this.harness.env[this.urlKey]!);
      this.storeFwd = await this.track(forwardOnEvery(gateways, storePort(url)));
      this.apiFwd = await this.track(forwardOnEvery(gateways, this.api.port));
      this.receiverFwd = await this.track(forwardOnEvery(gateways, this.receiver.port));
      allowed = `${GATEWAY_NAME}:${this.receiverFwd[0]!.port}`;
    }
    // Workers on every host load this machine's few cores: the API side waits longer for the
    // store than the default 2 s before it calls it unavailable (a 503 to a real client).
    const o = this.harness.options;
    const patient =
      o.driver === 'redis'
        ? { ...o, redis: { ...o.redis, commandTimeout: API_COMMAND_TIMEOUT } }
        : { ...o, database: { ...o.database, commandTimeout: API_COMMAND_TIMEOUT } };
    this.runtime = await apiRuntime(this.harness, this.api.origin, this.receiver.port, {
      ...patient,
      callback: { allowedHosts: [allowed], retryDelays: [200, 500, 1000] },
    });
    return this;
  }

  private async track(opening: Promise<Forwarder[]>): Promise<Forwarder[]> {
    const opened = await opening;
    this.forwarders.push(...opened);
    return opened;
  }

  /**
   * Where callbacks go: with namespaces, a name each namespace resolves to its own gateway
   * (a job runs on whichever host takes it), through the receiver's forwarders.
   */
  get callbackUrl(): string {
    return this.receiverFwd
      ? `http://${GATEWAY_NAME}:${this.receiverFwd[0]!.port}/callback`
      : `${this.receiver.origin}/callback`;
  }

  /** The environment of a worker on host `index` (or, without namespaces, on this host). */
  workerEnv(index: number): Record<string, string> {
    const env = processEnv(this.harness, this.api.origin, this.receiver.port);
    const host = this.hosts?.[index];
    if (!host) return env;
    const url = new URL(env[this.urlKey]!);
    url.hostname = host.gateway;
    url.port = String(this.storeFwd![index]!.port);
    return {
      ...env,
      [this.urlKey]: url.toString(),
      REQUEST_QUEUE_BASE_URL: `http://${host.gateway}:${this.apiFwd![index]!.port}`,
      REQUEST_QUEUE_CALLBACK_ALLOWED_HOSTS: `${GATEWAY_NAME}:${this.receiverFwd![index]!.port}`,
    };
  }

  /** Queues `count` requests to `path(i)` (a few at a time), resolving to their correlation ids. */
  async queue(count: number, path: (i: number) => string): Promise<string[]> {
    const ids: string[] = [];
    for (let start = 0; start < count; start += 25) {
      const batch = Array.from({ length: Math.min(25, count - start) }, (_, k) =>
        enqueue(this.runtime, { path: path(start + k), callbackUrl: this.callbackUrl, callbackToken: CALLBACK_TOKEN }),
      );
      ids.push(...(await Promise.all(batch)));
    }
    return ids;
  }

  /** Connections each host opened to the store, through its own gateway's forwarder. */
  storeConnections(): number[] {
    return (this.storeFwd ?? []).map((f) => f.accepted);
  }

  /** Correlation ids among `ids` with a callback received. */
  calledBack(ids: readonly string[]): string[] {
    const seen = new Set(this.receiver.requests.map((h) => h.correlationId));
    return ids.filter((id) => seen.has(id));
  }

  async close(): Promise<void> {
    await this.runtime?.close();
    await Promise.all(this.forwarders.map((f) => f.close()));
    this.forwarders = [];
    await this.api?.close();
    await this.receiver?.close();
    await this.harness?.cleanup();
  }
}
