import { Module } from '@nestjs/common';
import { RequestQueueModule, requestQueueOptionsFromEnv } from '../lib/index.js';

/** The worker process: no controllers, no HTTP listener; it consumes and replays. */
@Module({
  imports: [
    RequestQueueModule.forRootAsync({
      useFactory: () => ({ ...requestQueueOptionsFromEnv(), worker: { enabled: true } }),
    }),
  ],
})
export class WorkerModule {}
