import { Module } from '@nestjs/common';
import { RequestQueueModule, requestQueueOptionsFromEnv } from '../lib/index.js';

/** The worker process: no controllers, no HTTP listener; it consumes and replays. */
@Module({
  imports: [
    RequestQueueModule.forRootAsync({
      useFactory: () => {
        const options = requestQueueOptionsFromEnv();
        return { ...options, database: { ...options.database, migrationsRun: true }, worker: { enabled: true } };
      },
    }),
  ],
})
export class WorkerModule {}
