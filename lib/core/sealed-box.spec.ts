import { describe, expect, it } from 'vitest';
import { SealedBox, SealedBoxError } from './sealed-box.js';
import { deriveKeys } from './secret-keys.js';

describe('SealedBox', () => {
  const box = new SealedBox(deriveKeys('secret-one'));

  it('round-trips a value and never shows it in clear', () => {
    const sealed = box.seal({ authorization: 'Bearer very-secret', n: 1 });
    expect(sealed).not.toContain('very-secret');
    expect(box.open(sealed)).toEqual({ authorization: 'Bearer very-secret', n: 1 });
  });

  it('uses a fresh IV every time', () => {
    expect(box.seal('same')).not.toBe(box.seal('same'));
  });

  it('refuses a tampered payload', () => {
    const sealed = box.seal({ a: 1 });
    const [v, id, data] = sealed.split('.');
    const bytes = Buffer.from(data!, 'base64url');
    bytes[14] = bytes[14]! ^ 1;
    expect(() => box.open(`${v}.${id}.${bytes.toString('base64url')}`)).toThrow(SealedBoxError);
    expect(() => box.open('garbage')).toThrow(/known format/);
  });

  it('opens payloads sealed with a previous secret after rotation', () => {
    const old = new SealedBox(deriveKeys('secret-old')).seal({ x: 'y' });
    const rotated = new SealedBox(deriveKeys('secret-new', ['secret-old']));
    expect(rotated.open(old)).toEqual({ x: 'y' });
    expect(() => new SealedBox(deriveKeys('secret-new')).open(old)).toThrow(/unknown key/);
  });
});
