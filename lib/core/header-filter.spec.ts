import { describe, expect, it } from 'vitest';
import { filterReplayHeaders } from './header-filter.js';

describe('filterReplayHeaders', () => {
  it('keeps Authorization, Accept*, Content-Type and custom X- headers', () => {
    const out = filterReplayHeaders(
      {
        Authorization: 'Bearer abc',
        accept: 'application/json',
        'accept-language': 'zh-TW',
        'content-type': 'application/json',
        'x-tenant': 'acme',
        'x-multi': ['a', 'b'],
      },
      'x-request-queue-replay',
    );
    expect(out).toEqual({
      authorization: 'Bearer abc',
      accept: 'application/json',
      'accept-language': 'zh-TW',
      'content-type': 'application/json',
      'x-tenant': 'acme',
      'x-multi': 'a, b',
    });
  });

  it('drops hop-by-hop headers, Host, Content-Length, cookies, the marker and unknown headers', () => {
    const out = filterReplayHeaders(
      {
        host: 'api.example',
        'content-length': '12',
        connection: 'keep-alive, x-secret-hop',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        upgrade: 'h2c',
        te: 'trailers',
        'proxy-authorization': 'Basic x',
        'x-secret-hop': 'named in Connection',
        'x-request-queue-replay': 'forged',
        'x-correlation-id': 'abc',
        cookie: 'session=1',
        'sec-fetch-mode': 'cors',
        undefinedValue: undefined,
      },
      'x-request-queue-replay',
    );
    expect(out).toEqual({});
  });
});
