import { describe, expect, it } from 'vitest';
import { StoreOutageTracker } from './store-outage.js';

describe('StoreOutageTracker', () => {
  it('reports each distinct cause once per outage, and again after the store worked', () => {
    const reports: string[] = [];
    const tracker = new StoreOutageTracker((cause) => reports.push(cause));
    for (let i = 0; i < 50; i++) tracker.failed('Redis is unreachable: connect ECONNREFUSED 127.0.0.1:6379');
    tracker.failed('the database did not answer within 2000 ms');
    tracker.failed('Redis is unreachable: connect ECONNREFUSED 127.0.0.1:6379');
    expect(reports).toEqual([
      'Redis is unreachable: connect ECONNREFUSED 127.0.0.1:6379',
      'the database did not answer within 2000 ms',
    ]);
    tracker.worked();
    tracker.failed('Redis is unreachable: connect ECONNREFUSED 127.0.0.1:6379');
    expect(reports).toHaveLength(3);
  });

  it('reports at most 20 causes in one outage, and survives a reporter that throws', () => {
    let calls = 0;
    const tracker = new StoreOutageTracker(() => {
      calls++;
      throw new Error('logger down');
    });
    for (let i = 0; i < 100; i++) tracker.failed(`cause ${i}`);
    expect(calls).toBe(20);
  });
});
