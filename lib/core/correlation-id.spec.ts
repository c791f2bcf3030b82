import { describe, expect, it } from 'vitest';
import { readCorrelationId } from './correlation-id.js';

describe('readCorrelationId', () => {
  it('generates a UUID v4 when the header is missing', () => {
    const r = readCorrelationId(undefined);
    expect(r.ok && r.generated).toBe(true);
    expect(r.ok && r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('accepts up to 128 visible characters', () => {
    expect(readCorrelationId('abc-123_X:/.')).toEqual({ ok: true, id: 'abc-123_X:/.', generated: false });
    expect(readCorrelationId('a'.repeat(128)).ok).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['a'.repeat(129), 'longer than 128'],
    ['a b', 'visible ASCII'],
    ['a\tb', 'visible ASCII'],
    ['a\u0000b', 'visible ASCII'],
    ['é', 'visible ASCII'],
  ])('refuses %j', (value, reason) => {
    const r = readCorrelationId(value);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(reason);
  });

  it('refuses a repeated header', () => {
    expect(readCorrelationId(['a', 'b']).ok).toBe(false);
  });
});

describe('readCorrelationId with a configured header name', () => {
  it('names that header in its reasons', () => {
    const r = readCorrelationId('a b', 'Idempotency-Key');
    expect(!r.ok && r.reason).toBe('Idempotency-Key may hold only visible ASCII characters');
    const twice = readCorrelationId(['a', 'b'], 'X-Request-Queue-ID');
    expect(!twice.ok && twice.reason).toBe('X-Request-Queue-ID must be sent once');
  });
});
