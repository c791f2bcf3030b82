export { RequestQueueBullModule } from './request-queue-bull.module.js';
