import { describe, expect, it } from 'vitest';
import { readCallbackParams } from './callback-params.js';

const policy = { allowedHosts: [] as string[], httpsOnly: false };
const token = 'tok_0123456789abcdef';

describe('readCallbackParams', () => {
  it('is none without either field', () => {
    expect(readCallbackParams({ name: 'x' }, {}, policy)).toEqual({ kind: 'none' });
    expect(readCallbackParams(undefined, undefined, policy)).toEqual({ kind: 'none' });
  });

  it('reads from the body first, then the query', () => {
    expect(readCallbackParams({ _callback_url: 'https://a.example/cb', _callback_token: token }, {}, policy)).toEqual({
      kind: 'valid',
      url: 'https://a.example/cb',
      token,
    });
    expect(
      readCallbackParams({}, { _callback_url: 'https://b.example/cb', _callback_token: token }, policy),
    ).toMatchObject({
      kind: 'valid',
      url: 'https://b.example/cb',
    });
  });

  it.each([
    [{ _callback_url: 'https://a.example/' }, '_callback_token', 'required'],
    [{ _callback_token: token }, '_callback_url', 'required'],
    [{ _callback_url: ['https://a.example/'], _callback_token: token }, '_callback_url', 'string'],
    [{ _callback_url: 'https://a.example/', _callback_token: { x: 1 } }, '_callback_token', 'string'],
    [{ _callback_url: 'https://a.example/', _callback_token: 'short' }, '_callback_token', '16 to 256'],
    [{ _callback_url: 'https://a.example/', _callback_token: 'has space in it 123' }, '_callback_token', 'visible'],
    [{ _callback_url: 'https://a.example/', _callback_token: 'x'.repeat(257) }, '_callback_token', '16 to 256'],
    [{ _callback_url: 'http://10.0.0.1/', _callback_token: token }, '_callback_url', 'private'],
  ])('refuses %j naming %s', (body, field, words) => {
    const r = readCallbackParams(body, {}, policy);
    expect(r).toMatchObject({ kind: 'invalid', field });
    expect(r.kind === 'invalid' && r.message).toContain(words);
  });

  it('remembers a valid URL per policy only: another policy judges it again', () => {
    const body = { _callback_url: 'http://Hooks.Example/cb', _callback_token: token };
    const open = { allowedHosts: [] as string[], httpsOnly: false };
    const strict = { allowedHosts: [] as string[], httpsOnly: true };
    expect(readCallbackParams(body, {}, open)).toEqual({ kind: 'valid', url: 'http://hooks.example/cb', token });
    expect(readCallbackParams(body, {}, open)).toEqual({ kind: 'valid', url: 'http://hooks.example/cb', token });
    expect(readCallbackParams(body, {}, strict)).toMatchObject({
      kind: 'invalid',
      message: '_callback_url must use https',
    });
    const local = { _callback_url: 'http://127.0.0.1/cb', _callback_token: token };
    expect(readCallbackParams(local, {}, open)).toMatchObject({ kind: 'invalid' });
    expect(readCallbackParams(local, {}, open)).toMatchObject({ kind: 'invalid' });
  });
});
