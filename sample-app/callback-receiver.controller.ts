import { Controller, HttpCode, Logger, Post, Req, UnauthorizedException, type RawBodyRequest } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';

/** The token the README's curl examples send as `_callback_token`. */
export const DEMO_CALLBACK_TOKEN = process.env.SAMPLE_CALLBACK_TOKEN ?? 'demo-callback-token-0123456789';

interface ReceivedRequest {
  headers: Record<string, string | string[] | undefined>;
  rawBody?: Buffer;
  body: unknown;
}

/** Receives callbacks, checks their Standard Webhooks signature, and logs them. */
@Controller('callback_receiver')
export class CallbackReceiverController {
  private readonly logger = new Logger('CallbackReceiver');
  private readonly webhook = new Webhook(Buffer.from(DEMO_CALLBACK_TOKEN).toString('base64'));

  @Post()
  @HttpCode(204)
  receive(@Req() req: RawBodyRequest<ReceivedRequest>): void {
    const body = req.rawBody?.toString('utf8') ?? JSON.stringify(req.body);
    try {
      this.webhook.verify(body, req.headers as Record<string, string>);
    } catch {
      throw new UnauthorizedException('bad callback signature');
    }
    this.logger.log(`${String(req.headers['webhook-id'])} ${body}`);
  }
}
