import { randomUUID } from 'node:crypto';
import { sealJob, type PlainJob } from '../lib/core/job-seal.js';
import { SealedBox } from '../lib/core/sealed-box.js';
import { deriveKeys } from '../lib/core/secret-keys.js';

/**
 * µs of CPU per `sealJob` of the benchmark's queued request (its headers, its body, the
 * callback token; AES-256-GCM, as every 202 does): the median of 7 blocks of 20 000 after a
 * warm-up, in a process of its own (run by interceptor.bench.ts; in the bench's own process,
 * with autocannon loaded, the same loop measured slower). `npm run bench` prints it next to
 * the floors: the least of the library's own work that a 202 cannot skip (stored requests
 * hold no secrets in clear). Prints `{"sealUs": …}`.
 */
function sealCostUs(): number {
  const box = new SealedBox(deriveKeys('bench-secret'));
  const headers = { 'content-type': 'application/json', host: '127.0.0.1', 'user-agent': 'autocannon' };
  const body = Buffer.from(JSON.stringify({ name: 'Ada', email: 'ada@example.com' }));
  const ids = Array.from({ length: 1024 }, () => randomUUID());
  const plain = (correlationId: string): PlainJob<'replay'> => ({
    v: 1,
    kind: 'replay',
    correlationId,
    method: 'PUT',
    path: '/queued/1',
    callbackUrl: 'https://hooks.example.com/cb',
    queuedAt: Date.now(),
    tries: 3,
    backoff: { type: 'exponential', delay: 1000 },
    timeout: 30_000,
  });
  const block = (n: number): number => {
    const t0 = process.cpuUsage();
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const secret = { headers, body, callbackToken: 'bench-callback-token-0123456789' };
      bytes += sealJob(box, plain(ids[i & 1023]!), secret).sealed.length;
    }
    const spent = process.cpuUsage(t0);
    if (bytes === 0) throw new Error('nothing sealed');
    return (spent.user + spent.system) / n;
  };
  block(20_000); // warm-up: the JIT, the cipher's first keys
  block(20_000);
  const us = Array.from({ length: 7 }, () => block(20_000)).sort((a, b) => a - b);
  return us[3]!;
}

console.log(JSON.stringify({ sealUs: sealCostUs() }));
