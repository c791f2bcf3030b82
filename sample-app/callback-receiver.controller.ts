import { Controller, HttpCode, Logger, Post, Req, UseGuards } from '@nestjs/common';
import { CallbackSignatureGuard, type CallbackRequest } from '../lib/index.js';

/** The token the README's curl examples send as `_callback_token`. */
export const DEMO_CALLBACK_TOKEN = process.env.SAMPLE_CALLBACK_TOKEN ?? 'demo-callback-token-0123456789';

/**
 * Receives callbacks and logs them. `CallbackSignatureGuard` checks the Standard Webhooks
 * signature (made with the token the request was queued with) and refuses callbacks older
 * than five minutes, so only the worker's own, fresh callbacks get here; anything else is 401.
 * A real receiver would look the token up per request (`token: (req) => …`) and drop
 * duplicates by `webhook-id`.
 */
@Controller('callback_receiver')
@UseGuards(CallbackSignatureGuard.with({ token: DEMO_CALLBACK_TOKEN, toleranceSec: 300 }))
export class CallbackReceiverController {
  private readonly logger = new Logger('CallbackReceiver');

  @Post()
  @HttpCode(204)
  receive(@Req() req: CallbackRequest): void {
    const body = req.rawBody?.toString('utf8') ?? JSON.stringify(req.body);
    this.logger.log(`${String(req.headers['webhook-id'])} ${body}`);
  }
}
