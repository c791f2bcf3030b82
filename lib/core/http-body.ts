import type { Dispatcher } from 'undici';

/** Largest response body kept for the callback; longer bodies are cut. */
export const MAX_KEPT_BODY_BYTES = 1024 * 1024;

/** Reads at most `limit` bytes of a body, then drops the rest of the stream. */
export async function readLimited(body: Dispatcher.ResponseData['body'], limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    if (size + buf.length > limit) {
      chunks.push(buf.subarray(0, limit - size));
      size = limit;
      body.destroy();
      break;
    }
    chunks.push(buf);
    size += buf.length;
  }
  return Buffer.concat(chunks, size);
}

/** JSON when the response says it is JSON and parses, else the text. */
export function decodeBody(bytes: Buffer, contentType: string | undefined): unknown {
  const text = bytes.toString('utf8');
  if (contentType && /[/+]json\b/i.test(contentType)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** One line for a thrown network error, with its code when it has one. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    if (err.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      return `timed out (${err.message})`;
    }
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
