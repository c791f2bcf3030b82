import { randomUUID } from 'node:crypto';

/** Longest correlation id accepted, in characters. */
export const MAX_CORRELATION_ID_LENGTH = 128;

/** Visible ASCII only: no spaces, no control characters, no DEL. */
const VALID = /^[\x21-\x7e]+$/;

export type CorrelationIdResult = { ok: true; id: string; generated: boolean } | { ok: false; reason: string };

/**
 * Reads the correlation id header's value (`name` is the header, as configured, for the
 * messages): a missing header yields a new UUID v4, a present one must be 1–128 visible
 * ASCII characters.
 */
export function readCorrelationId(
  header: string | string[] | undefined,
  name = 'X-Correlation-ID',
): CorrelationIdResult {
  if (header === undefined) return { ok: true, id: randomUUID(), generated: true };
  if (Array.isArray(header)) {
    return { ok: false, reason: `${name} must be sent once` };
  }
  if (header.length === 0) return { ok: false, reason: `${name} is empty` };
  if (header.length > MAX_CORRELATION_ID_LENGTH) {
    return {
      ok: false,
      reason: `${name} is longer than ${MAX_CORRELATION_ID_LENGTH} characters`,
    };
  }
  if (!VALID.test(header)) {
    return {
      ok: false,
      reason: `${name} may hold only visible ASCII characters`,
    };
  }
  return { ok: true, id: header, generated: false };
}
