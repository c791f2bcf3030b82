import { runRequestQueueWorker } from 'nestjs-request-queue';
import { AppModule } from './app.module.js';

// The worker: `node dist/worker.js` (or `nest start --entryFile worker`). No HTTP listener;
// it replays queued requests against the API and exits 0 on SIGTERM once its jobs are done.
void runRequestQueueWorker(AppModule);
