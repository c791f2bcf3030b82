import { Module } from '@nestjs/common';
import { RequestQueueModule } from '../lib/index.js';
import sampleAppOptions from './request-queue.config.js';

/** The worker process: no controllers, no HTTP listener; it consumes and replays. */
@Module({
  imports: [RequestQueueModule.forRootAsync({ useFactory: () => sampleAppOptions() })],
})
export class WorkerModule {}
