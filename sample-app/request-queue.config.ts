import { requestQueueOptionsFromEnv, type RequestQueueModuleOptions } from '../lib/index.js';

/**
 * The sample app's request queue options: the environment variables (see the README), over
 * the demo's defaults, which need no server: the database driver on an embedded SQLite file
 * whose tables are created at startup, replays against `127.0.0.1:$PORT`, and callbacks
 * allowed to the app's own `/callback_receiver` on loopback (refused by default).
 *
 * The dashboard is on when `REQUEST_QUEUE_DASHBOARD_USER` and `REQUEST_QUEUE_DASHBOARD_PASSWORD`
 * are set (basic auth; `REQUEST_QUEUE_DASHBOARD_PATH` moves it from `/request-queue/dashboard`):
 * `requestQueueOptionsFromEnv()` reads them, and the options below keep them.
 *
 * The API (`app.module.ts`), the worker (`worker.module.ts`) and the `request-queue`
 * command (`npm run request-queue -- work`, which passes `--config` with this file's
 * compiled form) all run with these options.
 */
export default function sampleAppOptions(env: NodeJS.ProcessEnv = process.env): RequestQueueModuleOptions {
  const port = env.PORT ?? '3000';
  const options = requestQueueOptionsFromEnv(env);
  const driver = options.driver ?? 'database';
  return {
    ...options,
    driver,
    baseUrl: options.baseUrl ?? `http://127.0.0.1:${port}`,
    database:
      driver === 'database'
        ? { url: 'sqlite:./var/request-queue.sqlite', ...options.database, migrationsRun: true }
        : options.database,
    callback: {
      ...options.callback,
      allowedHosts: options.callback?.allowedHosts ?? [`127.0.0.1:${port}`, `localhost:${port}`],
    },
  };
}
