import { describe, expect, it } from 'vitest';
import { captureRequest, encodeForm, stripCallbackFields } from './request-capture.js';

describe('captureRequest', () => {
  it('removes callback parameters from the query, leaving other bytes alone', () => {
    const c = captureRequest({
      method: 'put',
      url: '/user/1?b=%20x+y&_callback_url=https%3A%2F%2Fa&a=1&_callback_token=t',
      headers: {},
      body: undefined,
    });
    expect(c.method).toBe('PUT');
    expect(c.path).toBe('/user/1?b=%20x+y&a=1');
    expect(c.body).toBeNull();
  });

  it('drops the query mark when only callback parameters were there', () => {
    expect(
      captureRequest({ method: 'PUT', url: '/u?_callback_url=x&_callback_token=y', headers: {}, body: undefined }).path,
    ).toBe('/u');
  });

  it('re-serialises a JSON body without the callback fields', () => {
    const body = { name: 'Ada', headers: { h: 1 }, proxy: 'p', _callback_url: 'u', _callback_token: 't' };
    const c = captureRequest({
      method: 'PUT',
      url: '/u',
      headers: { 'content-type': 'application/json' },
      body,
      rawBody: Buffer.from(JSON.stringify(body)),
    });
    expect(JSON.parse(c.body!.toString())).toEqual({ name: 'Ada', headers: { h: 1 }, proxy: 'p' });
  });

  it('keeps a JSON raw body byte-for-byte when no callback field is in it', () => {
    const raw = Buffer.from('{ "a" : 1,\n "b": [1,2] }');
    const c = captureRequest({
      method: 'PUT',
      url: '/u',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: { a: 1, b: [1, 2] },
      rawBody: raw,
    });
    expect(c.body).toEqual(raw);
  });

  it('strips callback fields from a raw form body byte-for-byte otherwise', () => {
    const raw = Buffer.from('name=Ada+L&_callback_url=https%3A%2F%2Fa&tags%5B%5D=x&_callback_token=t&e=%C3%A9');
    const c = captureRequest({
      method: 'PATCH',
      url: '/u',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: {},
      rawBody: raw,
    });
    expect(c.body!.toString()).toBe('name=Ada+L&tags%5B%5D=x&e=%C3%A9');
  });

  it('encodes a parsed form body when there is no raw body', () => {
    const c = captureRequest({
      method: 'PATCH',
      url: '/u',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: { name: 'Ada L', _callback_url: 'u', _callback_token: 't', user: { role: 'admin' } },
    });
    expect(c.body!.toString()).toBe('name=Ada%20L&user%5Brole%5D=admin');
  });

  it('passes other content types through from the raw body', () => {
    const raw = Buffer.from([0, 1, 2, 255]);
    const c = captureRequest({
      method: 'PUT',
      url: '/u?_callback_url=x&_callback_token=y',
      headers: { 'content-type': 'application/octet-stream' },
      body: raw,
      rawBody: raw,
    });
    expect(c.body).toEqual(raw);
  });
});

describe('stripCallbackFields / encodeForm', () => {
  it('matches encoded names too', () => {
    expect(stripCallbackFields('%5Fcallback%5Furl=x&a=1')).toBe('a=1');
    expect(stripCallbackFields('')).toBe('');
  });
  it('encodes arrays with brackets', () => {
    expect(encodeForm({ a: ['x', 'y'] }).join('&')).toBe('a%5B%5D=x&a%5B%5D=y');
  });
});
