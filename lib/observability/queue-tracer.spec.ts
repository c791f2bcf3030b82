import { describe, expect, it } from 'vitest';
import { noTracer, passThroughTracer, w3cFields } from './queue-tracer.js';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const message = { queue: 'q', correlationId: 'c', method: 'PUT' };

describe('w3cFields', () => {
  it('keeps a well-formed traceparent and its tracestate, as the client sent them', () => {
    expect(w3cFields({ traceparent: TRACEPARENT })).toEqual({ traceparent: TRACEPARENT });
    expect(w3cFields({ traceparent: [TRACEPARENT], tracestate: 'a=1' })).toEqual({
      traceparent: TRACEPARENT,
      tracestate: 'a=1',
    });
  });

  it('drops a traceparent that is malformed, all-zero, or of the forbidden version ff', () => {
    expect(w3cFields(undefined)).toBeUndefined();
    expect(w3cFields({})).toBeUndefined();
    expect(w3cFields({ traceparent: 'nonsense', tracestate: 'a=1' })).toBeUndefined();
    expect(w3cFields({ traceparent: `00-${'0'.repeat(32)}-b7ad6b7169203331-01` })).toBeUndefined();
    expect(w3cFields({ traceparent: `00-0af7651916cd43dd8448eb211c80319c-${'0'.repeat(16)}-01` })).toBeUndefined();
    expect(w3cFields({ traceparent: TRACEPARENT.replace(/^00/, 'ff') })).toBeUndefined();
    expect(w3cFields({ traceparent: `${TRACEPARENT}\r\nx-evil: 1` })).toBeUndefined();
  });
});

describe('tracers without OpenTelemetry', () => {
  it('passThroughTracer carries the W3C fields it was given and runs the hop as is', () => {
    const span = passThroughTracer.start('send', message, { traceparent: TRACEPARENT, authorization: 'x' });
    expect(span.carrier).toEqual({ traceparent: TRACEPARENT });
    expect(span.run(() => 42)).toBe(42);
    span.end({ error: 'ignored' });
  });

  it('noTracer (tracing: false) carries nothing', () => {
    expect(noTracer.start('process', message, { traceparent: TRACEPARENT }).carrier).toBeUndefined();
  });
});
