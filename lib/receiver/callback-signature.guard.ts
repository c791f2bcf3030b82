import {
  Inject,
  Injectable,
  mixin,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
  type Type,
} from '@nestjs/common';
import { CallbackVerificationError, verifyCallback } from './verify-callback.js';

/** What the guard reads of a request (Express and Fastify requests both have it). */
export interface CallbackRequest {
  headers: Record<string, string | string[] | undefined>;
  /** The body bytes as received: create the app with `rawBody: true` so they are kept. */
  rawBody?: Buffer;
  body?: unknown;
}

type Tokens = string | readonly string[] | undefined | null;

export interface CallbackSignatureOptions {
  /**
   * The `_callback_token`(s) the callback may be signed with, or a function that finds them
   * for a request (e.g. by its `x-correlation-id` header). No token means 401.
   */
  token: Tokens | ((request: CallbackRequest) => Tokens | Promise<Tokens>);
  /** How far `webhook-timestamp` may be from now, in seconds [300]. */
  toleranceSec?: number;
}

/**
 * Injection token for the options of `CallbackSignatureGuard` used without `.with()`. A
 * registered symbol, so it is the same token whichever build (CommonJS or ESM) defined it.
 */
export const CALLBACK_SIGNATURE_OPTIONS = Symbol.for('nestjs-request-queue:CallbackSignatureOptions');

/** The body bytes: the raw bytes when kept, else the parsed body serialised again. */
function bodyOf(req: CallbackRequest): string | Buffer | undefined {
  if (req.rawBody) return req.rawBody;
  if (typeof req.body === 'string' || Buffer.isBuffer(req.body)) return req.body;
  // The library sends `JSON.stringify(outcome)`, which parsing and serialising again gives back.
  if (req.body && typeof req.body === 'object') return JSON.stringify(req.body);
  return undefined;
}

async function check(options: CallbackSignatureOptions, context: ExecutionContext): Promise<true> {
  const req = context.switchToHttp().getRequest<CallbackRequest>();
  const tokens = typeof options.token === 'function' ? await options.token(req) : options.token;
  const body = bodyOf(req);
  if (!tokens || tokens.length === 0) throw new UnauthorizedException('callback signature: no token for this callback');
  if (body === undefined) throw new UnauthorizedException('callback signature: no body to verify');
  try {
    verifyCallback(tokens, body, req.headers, { toleranceSec: options.toleranceSec });
  } catch (err) {
    if (err instanceof CallbackVerificationError) throw new UnauthorizedException(`callback signature: ${err.message}`);
    throw err;
  }
  return true;
}

/**
 * Lets a request through only when it is a callback signed with the expected token and
 * recently (Standard Webhooks, see `verifyCallback`); anything else gets 401.
 *
 * - `@UseGuards(CallbackSignatureGuard.with({ token: process.env.CALLBACK_TOKEN }))`, or
 * - `@UseGuards(CallbackSignatureGuard)` with a provider for `CALLBACK_SIGNATURE_OPTIONS`
 *   (a factory can inject whatever finds the token).
 */
@Injectable()
export class CallbackSignatureGuard implements CanActivate {
  constructor(@Inject(CALLBACK_SIGNATURE_OPTIONS) private readonly options: CallbackSignatureOptions) {}

  canActivate(context: ExecutionContext): Promise<boolean> {
    return check(this.options, context);
  }

  /** A guard class with these options built in (no provider needed). */
  static with(options: CallbackSignatureOptions): Type<CanActivate> {
    class ConfiguredCallbackSignatureGuard implements CanActivate {
      canActivate(context: ExecutionContext): Promise<boolean> {
        return check(options, context);
      }
    }
    return mixin(ConfiguredCallbackSignatureGuard);
  }
}
