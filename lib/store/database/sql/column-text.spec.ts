import { describe, expect, it } from 'vitest';
import { columnText } from './column-text.js';

describe('columnText', () => {
  it('reads what the drivers give for a text column', () => {
    expect(columnText('{"a":1}')).toBe('{"a":1}');
    expect(columnText(Buffer.from('bytes'))).toBe('bytes');
    expect(columnText(42)).toBe('42');
  });

  it('refuses anything else with a clear error', () => {
    expect(() => columnText(null)).toThrow('expected a text column value, got null');
    expect(() => columnText({})).toThrow('expected a text column value, got object');
  });
});
