// Errors that more than one layer throws or catches (the options, the stores, the core, the
// Nest glue and the command line), in the core so that every layer can import them without
// importing another layer. The package exports both.

/** A setting that cannot work; the message says which and why. */
export class RequestQueueConfigError extends Error {
  override readonly name = 'RequestQueueConfigError';
}

/** The store's server cannot be reached; the request was not stored (HTTP 503). */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
