// The API side of test/store/sqlite-two-processes.spec.ts, in a process of its own: opens the
// compiled DatabaseStore (SQLITE_BUILD: the test build's `out` folder) on the SQLite file
// SQLITE_FILE and enqueues SQLITE_JOBS replay jobs, SQLITE_PARALLEL at a time, as an API under
// load does, while a worker in the test's process drains the same file. Prints one JSON line:
// the correlation ids it enqueued and the longest event-loop stall it saw (ms).
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const compiled = (path) => import(pathToFileURL(join(process.env.SQLITE_BUILD, path)).href);
const { DatabaseStore } = await compiled('lib/store/database/database.store.js');
const { resolveDatabaseOptions } = await compiled('lib/store/database/database-store.options.js');

async function main() {
  const jobs = Number(process.env.SQLITE_JOBS);
  const parallel = Number(process.env.SQLITE_PARALLEL ?? 4);
  const store = new DatabaseStore(
    resolveDatabaseOptions({ url: `sqlite:${process.env.SQLITE_FILE}`, migrationsRun: true }, 30_000, true),
  );
  await store.init();
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const ids = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < jobs) {
        next++;
        const correlationId = randomUUID();
        const payload = {
          v: 1,
          kind: 'replay',
          correlationId,
          method: 'PUT',
          path: '/user/1',
          callbackUrl: 'https://receiver.example/callback',
          queuedAt: Date.now(),
          tries: 3,
          backoff: { type: 'exponential', delay: 1000 },
          timeout: 30_000,
          sealed: randomBytes(300).toString('base64url'),
        };
        if ((await store.enqueue({ queue: 'api:request', payload, delayMs: 0 }, correlationId, 600_000)) !== null)
          ids.push(correlationId);
      }
    }),
  );
  delay.disable();
  await store.close();
  process.stdout.write(
    `${JSON.stringify({ ids, maxStallMs: delay.max / 1e6, p99StallMs: delay.percentile(99) / 1e6 })}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
