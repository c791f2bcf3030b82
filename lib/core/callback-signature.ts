import { Webhook } from 'standardwebhooks';

/**
 * Standard Webhooks signing with the callback token as the key: the key bytes are the
 * token's UTF-8 bytes, so a receiver using the `standardwebhooks` library passes
 * `base64(token)` as its secret.
 */
export function signCallback(token: string, webhookId: string, timestamp: Date, body: string): string {
  return new Webhook(Buffer.from(token, 'utf8').toString('base64')).sign(webhookId, timestamp, body);
}
