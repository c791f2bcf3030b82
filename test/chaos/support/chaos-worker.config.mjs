// The configuration file of a chaos-suite worker: `request-queue --config <this file> work`.
//
// Besides returning the module options (JSON in CHAOS_WORKER_OPTIONS, the same the test's API
// runs with), it starts the app the worker replays against in the worker's own process, so
// that a replay can take its worker down: `…/poison…` kills this process with SIGKILL (as an
// out-of-memory handler or a native crash would), anything else answers 200 JSON after
// CHAOS_REPLAY_MS (a random 0 to that many ms, so jobs are in flight when a kill lands).
import { createServer } from 'node:http';
import { setTimeout } from 'node:timers';

export default async function chaosWorkerConfig() {
  const options = JSON.parse(process.env.CHAOS_WORKER_OPTIONS ?? '{}');
  const replayMs = Number(process.env.CHAOS_REPLAY_MS ?? '20');
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if ((req.url ?? '').includes('/poison')) {
        process.kill(process.pid, 'SIGKILL');
        return;
      }
      setTimeout(
        () => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ ok: true, pid: process.pid, url: req.url }));
        },
        Math.floor(Math.random() * replayMs),
      );
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref(); // the worker decides when the process ends
  const { port } = server.address();
  return { ...options, baseUrl: `http://127.0.0.1:${port}` };
}
