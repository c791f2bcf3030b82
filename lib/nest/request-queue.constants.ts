/** Metadata key of `@QueueableRequest()`. */
export const QUEUEABLE_REQUEST = 'request-queue:queueable';
/** Injection token of the resolved options. */
export const RESOLVED_OPTIONS = Symbol('RequestQueueResolvedOptions');
