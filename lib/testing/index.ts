// `nestjs-request-queue/testing`: for an app's own tests, never for production.
export {
  RequestQueueTestingModule,
  TESTING_SECRET,
  type RequestQueueTestingOptions,
} from './request-queue-testing.module.js';
export {
  RequestQueueTester,
  REQUEST_QUEUE_TESTING_OPTIONS,
  type RanJob,
  type RunQueuedOptions,
  type TestingSettings,
} from './request-queue-tester.js';
export type { QueuedRequest } from './queued-request.js';
export type { SentCallback } from './recording-callback-sender.js';
export { MemoryStore, type MemoryStoreOptions } from './memory.store.js';
