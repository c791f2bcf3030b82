import { HttpException, HttpStatus } from '@nestjs/common';

/** 400: the `X-Correlation-ID` header is malformed. */
export class InvalidCorrelationIdException extends HttpException {
  constructor(message: string) {
    super({ statusCode: 400, error: 'Bad Request', message }, HttpStatus.BAD_REQUEST);
  }
}

/** 409: the correlation id was seen within `correlationTtl`. */
export class CorrelationIdConflictException extends HttpException {
  constructor(correlationId: string, message: string) {
    super({ statusCode: 409, error: 'Conflict', message, correlationId }, HttpStatus.CONFLICT);
  }
}

/** 422: `_callback_url` or `_callback_token` is invalid; `field` names which. */
export class InvalidCallbackException extends HttpException {
  constructor(field: string, message: string, correlationId?: string) {
    super(
      { statusCode: 422, error: 'Unprocessable Entity', message, field, correlationId },
      HttpStatus.UNPROCESSABLE_ENTITY,
    );
  }
}

/**
 * 422 (Idempotency-Key mode): the key was already used for a different request; `field`
 * names the header. Nothing was stored.
 */
export class IdempotencyKeyMismatchException extends HttpException {
  constructor(field: string, message: string, correlationId?: string) {
    super(
      { statusCode: 422, error: 'Unprocessable Entity', message, field, correlationId },
      HttpStatus.UNPROCESSABLE_ENTITY,
    );
  }
}

/** 413: a queued request's body is larger than `limits.maxBodyBytes`; nothing was stored. */
export class QueuedBodyTooLargeException extends HttpException {
  constructor(message: string, correlationId?: string) {
    super(
      { statusCode: 413, error: 'Payload Too Large', message, field: 'body', correlationId },
      HttpStatus.PAYLOAD_TOO_LARGE,
    );
  }
}

/** 431: a queued request's stored headers are larger than `limits.maxHeaderBytes`; nothing was stored. */
export class QueuedHeadersTooLargeException extends HttpException {
  constructor(message: string, correlationId?: string) {
    super({ statusCode: 431, error: 'Request Header Fields Too Large', message, field: 'headers', correlationId }, 431);
  }
}

/** 415: a queued request's body cannot be stored to replay intact (not JSON or form); nothing was stored. */
export class UnsupportedQueuedMediaTypeException extends HttpException {
  constructor(message: string, correlationId?: string) {
    super(
      { statusCode: 415, error: 'Unsupported Media Type', message, field: 'content-type', correlationId },
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    );
  }
}

/** 503: the store is unreachable; nothing was stored. */
export class QueueUnavailableException extends HttpException {
  constructor(message: string, correlationId?: string) {
    super({ statusCode: 503, error: 'Service Unavailable', message, correlationId }, HttpStatus.SERVICE_UNAVAILABLE);
  }
}
