import type { Redis } from 'ioredis';
import { MINUTE_MS, minuteOf, THROUGHPUT_KEEP_MS, type ThroughputPoint } from '../../core/request-status.js';

/** The counters a minute's hash holds per queue (fields `<metric>:<queue>`, see `STATUS_WRITE_LUA`). */
const METRICS = ['completed', 'failed', 'waitMs', 'waited'] as const;

/**
 * The throughput points of the minutes starting at or after `sinceMs` (and no older than
 * the counts are kept), every queue, sorted by minute then queue. One HGETALL per minute,
 * sent together; a minute or queue without work has no point.
 */
export async function readThroughput(
  client: Redis,
  keyOf: (minute: number) => string,
  sinceMs: number,
  now = Date.now(),
): Promise<ThroughputPoint[]> {
  const first = Math.max(Math.ceil(sinceMs / MINUTE_MS) * MINUTE_MS, minuteOf(now - THROUGHPUT_KEEP_MS));
  const minutes: number[] = [];
  for (let m = first; m <= now; m += MINUTE_MS) minutes.push(m);
  const hashes = await Promise.all(minutes.map((m) => client.hgetall(keyOf(m))));
  const points: ThroughputPoint[] = [];
  minutes.forEach((at, i) => {
    const byQueue = new Map<string, ThroughputPoint>();
    for (const [field, value] of Object.entries(hashes[i] ?? {})) {
      const cut = field.indexOf(':');
      const metric = field.slice(0, cut) as (typeof METRICS)[number];
      if (cut <= 0 || !METRICS.includes(metric)) continue;
      const queue = field.slice(cut + 1);
      let point = byQueue.get(queue);
      if (!point) {
        point = { at, queue, completed: 0, failed: 0, waitMs: 0, waited: 0 };
        byQueue.set(queue, point);
      }
      point[metric] = Number(value);
    }
    points.push(...[...byQueue.values()].sort((a, b) => (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0)));
  });
  return points;
}
