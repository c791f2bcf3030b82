import type { FlowRequest } from '../flow/flow-options.js';
import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { of, type Observable } from 'rxjs';
import type { GateDecision, RouteQueueOptions } from '../core/request-gate.js';
import type { IncomingRequest } from '../core/request-capture.js';
import { RequestQueueRuntime } from '../runtime.js';
import { QUEUEABLE_REQUEST } from './request-queue.constants.js';
import {
  CorrelationIdConflictException,
  IdempotencyKeyMismatchException,
  InvalidCallbackException,
  InvalidCorrelationIdException,
  QueuedBodyTooLargeException,
  QueuedHeadersTooLargeException,
  QueueUnavailableException,
  UnsupportedQueuedMediaTypeException,
} from './request-queue.exceptions.js';

/** Seconds a 202 asks the client to wait before its first look at the status resource. */
const ACCEPTED_RETRY_AFTER_SEC = 1;

/** The fields Express and Fastify requests share that the gate reads. */
interface AdapterRequest extends Omit<IncomingRequest, 'url'> {
  url: string;
  originalUrl?: string;
  query?: Record<string, unknown>;
}

/**
 * Thin Nest glue over `RequestGate`: reads the route's options, asks the gate, and turns
 * its decision into a 202, an exception, or the handler's own answer.
 *
 * Without `RequestQueueModule` (a controller's unit test compiles only the controller, as
 * the spec `nest g controller` writes does) there is no runtime: the interceptor is then a
 * pass-through, so `@QueueableRequest()` never breaks a test module, and says so once if
 * a request reaches it.
 */
@Injectable()
export class RequestQueueInterceptor implements NestInterceptor {
  private readonly routes = new WeakMap<object, RouteQueueOptions>();
  private warnedNoModule = false;

  constructor(
    @Optional() @Inject(RequestQueueRuntime) private readonly runtime: RequestQueueRuntime | undefined,
    private readonly reflector: Reflector,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() !== 'http') return next.handle();
    if (!this.runtime) {
      if (!this.warnedNoModule) {
        this.warnedNoModule = true;
        new Logger('RequestQueue').warn(
          '@QueueableRequest() without RequestQueueModule: requests run synchronously (import RequestQueueModule.forRoot() in your app module)',
        );
      }
      return next.handle();
    }
    const http = context.switchToHttp();
    const req = http.getRequest<AdapterRequest>();
    const res = http.getResponse<unknown>();
    const incoming: IncomingRequest = {
      method: req.method,
      url: req.originalUrl ?? req.url,
      headers: req.headers,
      body: req.body,
      rawBody: req.rawBody,
    };
    const decision = await this.runtime.gate.admit(
      incoming,
      req.query,
      this.routeOptions(context),
      req as unknown as FlowRequest, // flow keys read the adapter's request (params, user)
    );
    const adapter = this.adapterHost.httpAdapter;
    if (decision.correlationId) adapter.setHeader(res, this.runtime.options.correlationHeader, decision.correlationId);
    switch (decision.type) {
      case 'queued':
        adapter.status(res, 202);
        adapter.setHeader(res, 'Location', decision.statusUrl);
        adapter.setHeader(res, 'Retry-After', String(ACCEPTED_RETRY_AFTER_SEC));
        if (decision.respondAsync) adapter.setHeader(res, 'Preference-Applied', 'respond-async');
        return of({ correlationId: decision.correlationId, status: 'queued', statusUrl: decision.statusUrl });
      case 'reject':
        throw toException(decision);
      default:
        return next.handle();
    }
  }

  private routeOptions(context: ExecutionContext): RouteQueueOptions {
    const handler = context.getHandler();
    let options = this.routes.get(handler);
    if (!options) {
      const onClass = this.reflector.get<RouteQueueOptions | undefined>(QUEUEABLE_REQUEST, context.getClass());
      const onHandler = this.reflector.get<RouteQueueOptions | undefined>(QUEUEABLE_REQUEST, handler);
      // flowScope: the route's throttle/funnel count, named the same in every process.
      options = { flowScope: `${context.getClass().name}.${handler.name}`, ...onClass, ...onHandler };
      this.routes.set(handler, options);
    }
    return options;
  }
}

function toException(decision: Extract<GateDecision, { type: 'reject' }>): Error {
  switch (decision.reason) {
    case 'bad-correlation-id':
      return new InvalidCorrelationIdException(decision.message);
    case 'bad-callback':
      return new InvalidCallbackException(decision.field ?? '', decision.message, decision.correlationId);
    case 'conflict':
      return new CorrelationIdConflictException(decision.correlationId ?? '', decision.message);
    case 'idempotency-mismatch':
      return new IdempotencyKeyMismatchException(decision.field ?? '', decision.message, decision.correlationId);
    case 'unavailable':
      return new QueueUnavailableException(decision.message, decision.correlationId);
    case 'body-too-large':
      return new QueuedBodyTooLargeException(decision.message, decision.correlationId);
    case 'headers-too-large':
      return new QueuedHeadersTooLargeException(decision.message, decision.correlationId);
    case 'unsupported-media-type':
      return new UnsupportedQueuedMediaTypeException(decision.message, decision.correlationId);
  }
}
