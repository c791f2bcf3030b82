import { afterEach, describe, expect, it, vi } from 'vitest';
import { StderrLogger } from './stderr-logger.js';

describe('StderrLogger', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes every level to stderr and nothing to stdout', () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const logger = new StderrLogger('RequestQueue');
    logger.log('a log line');
    logger.warn('no secret set');
    logger.error('an error');
    expect(out).not.toHaveBeenCalled();
    const written = err.mock.calls.map((c) => String(c[0])).join('');
    expect(written).toContain('a log line');
    expect(written).toContain('no secret set');
    expect(written).toContain('an error');
  });
});
