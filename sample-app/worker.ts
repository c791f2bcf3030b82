import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { RequestQueueLifecycle } from '../lib/index.js';
import { WorkerModule } from './worker.module.js';

/**
 * The worker (`nest start worker`, `npm run start:worker`; in production
 * `node dist-sample/sample-app/worker.js`): replays queued requests, serves no HTTP.
 *
 * SIGTERM / SIGINT: the worker stops taking jobs, finishes those in hand within its grace
 * period, closes its connections, and the process exits 0. `request-queue restart`: the
 * worker does the same by itself, and the app closes so that supervisord, systemd or pm2
 * starts a fresh process.
 */
async function bootstrap(): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule);
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  await app.get(RequestQueueLifecycle).untilWorkerStops();
  await app.close();
  process.exit(0);
}

void bootstrap();
