import { Redis, scanKeys } from '../../support/redis.js';

/** Job hash fields that hold a clock reading (milliseconds): compared as present, not by value. */
const CLOCK_FIELDS = new Set(['processedOn', 'finishedOn', 'retriedOn']);
/** Sorted sets scored by the time a job got there (not `delayed`, whose score is compared). */
const CLOCK_SCORED = new Set(['failed', 'completed']);

/**
 * Everything Redis holds for one Bull queue (`<prefix>:<queue>:*`), keyed by the part after
 * the queue name, values read by type. Clock fields of job hashes, and the scores of the
 * failed and completed sets, become `<ms>`.
 */
export async function queueSnapshot(redis: Redis, prefix: string, queue: string): Promise<Record<string, unknown>> {
  const head = `${prefix}:${queue}:`;
  const out: Record<string, unknown> = {};
  for (const key of await scanKeys(redis, `${head}*`)) {
    const type = await redis.type(key);
    let value: unknown;
    if (type === 'string') value = await redis.get(key);
    else if (type === 'list') value = await redis.lrange(key, 0, -1);
    else if (type === 'set') value = (await redis.smembers(key)).sort();
    else if (type === 'zset') {
      const entries = await redis.zrange(key, 0, -1, 'WITHSCORES');
      const clock = CLOCK_SCORED.has(key.slice(head.length));
      value = clock ? entries.map((e, i) => (i % 2 === 1 ? '<ms>' : e)) : entries;
    } else if (type === 'hash') {
      const hash = await redis.hgetall(key);
      for (const field of Object.keys(hash))
        if (CLOCK_FIELDS.has(field) && /^\d+$/.test(hash[field]!)) hash[field] = '<ms>';
      value = hash;
    } else value = `<${type}>`;
    out[key.slice(head.length)] = value;
  }
  return out;
}

/**
 * Records what is published on `<prefix>:*` channels, channel names relative to the prefix and
 * queue tokens (UUIDs after `@`) as `<token>`. `settle()` publishes a marker and waits for it:
 * Redis delivers messages in the order it ran the publishes, so everything published before
 * has been received once the marker is.
 */
export class ChannelRecorder {
  readonly messages: [string, string][] = [];
  private readonly sub: Redis;
  private markers = 0;
  private seen = 0;

  constructor(
    url: string,
    private readonly prefix: string,
  ) {
    this.sub = new Redis(url, { maxRetriesPerRequest: 1 });
    this.sub.on('pmessage', (_pattern: string, channel: string, message: string) => {
      if (channel === `${this.prefix}:parity-marker`) {
        this.seen++;
        return;
      }
      const relative = channel.slice(this.prefix.length + 1).replace(/@[0-9a-f-]{36}$/, '@<token>');
      this.messages.push([relative, message]);
    });
  }

  async start(): Promise<this> {
    await this.sub.psubscribe(`${this.prefix}:*`);
    return this;
  }

  /** Waits (bounded) until every message published so far has arrived, then returns and clears them. */
  async settle(publisher: Redis): Promise<[string, string][]> {
    const want = ++this.markers;
    await publisher.publish(`${this.prefix}:parity-marker`, String(want));
    for (let i = 0; i < 200 && this.seen < want; i++) await new Promise((r) => setTimeout(r, 25));
    if (this.seen < want) throw new Error('the marker message never arrived');
    return this.messages.splice(0);
  }

  async close(): Promise<void> {
    await this.sub.quit().catch(() => this.sub.disconnect());
  }
}
