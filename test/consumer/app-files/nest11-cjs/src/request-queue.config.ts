import {
  mergeRequestQueueOptions,
  requestQueueOptionsFromEnv,
  type RequestQueueModuleOptions,
} from 'nestjs-request-queue';

/** The request queue's options: the API, the worker and the request-queue command all read them. */
export default function requestQueueConfig(): RequestQueueModuleOptions {
  return mergeRequestQueueOptions(
    {
      driver: 'redis', // or 'database' with database: { url: 'mysql://…' }
      baseUrl: `http://127.0.0.1:${process.env.PORT ?? 3000}`, // where the worker replays requests: this API
    },
    requestQueueOptionsFromEnv(), // REQUEST_QUEUE_SECRET, REDIS_URL, DATABASE_URL, … when they are set
  );
}
