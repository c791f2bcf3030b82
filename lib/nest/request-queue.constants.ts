/** Metadata key of `@QueueableRequest()`. */
export const QUEUEABLE_REQUEST = 'request-queue:queueable';
/**
 * Injection token of the resolved options. A registered symbol, so it is the same token
 * whichever build (CommonJS or ESM) defined it.
 */
export const RESOLVED_OPTIONS = Symbol.for('nestjs-request-queue:RequestQueueResolvedOptions');
