import 'reflect-metadata';
import { runRequestQueueWorker } from '../lib/index.js';
import { WorkerModule } from './worker.module.js';

/**
 * The worker (`nest start worker`, `npm run start:worker`; in production
 * `node dist-sample/sample-app/worker.js`): replays queued requests, serves no HTTP.
 * `runRequestQueueWorker()` is what an app of your own uses too (see the README).
 *
 * SIGTERM / SIGINT: the worker stops taking jobs, finishes those in hand within its grace
 * period, closes its connections, and the process exits 0. `request-queue restart`: the
 * worker does the same by itself, so that supervisord, systemd or pm2 starts a fresh process.
 */
void runRequestQueueWorker(WorkerModule);
