import { describe, expect, it } from 'vitest';
import { checkCallbackUrl, isPublicAddress } from './callback-url.js';

const policy = { allowedHosts: [] as string[], httpsOnly: false };

describe('checkCallbackUrl', () => {
  it.each(['https://hooks.example.com/cb', 'http://93.184.216.34:8080/x?y=1', 'https://[2606:4700:4700::1111]/cb'])(
    'accepts %s',
    (url) => {
      expect(checkCallbackUrl(url, policy).ok).toBe(true);
    },
  );

  it.each([
    ['ftp://example.com/', 'http or https'],
    ['javascript:alert(1)', 'http or https'],
    ['/relative', 'absolute'],
    ['https://user:pw@example.com/', 'user information'],
    ['http://127.0.0.1/', 'private'],
    ['http://2130706433/', 'private'],
    ['http://0x7f000001/', 'private'],
    ['http://0177.0.0.1/', 'private'],
    ['http://127.1/', 'private'],
    ['http://10.1.2.3/', 'private'],
    ['http://172.16.0.1/', 'private'],
    ['http://192.168.1.1/', 'private'],
    ['http://169.254.169.254/latest/meta-data', 'private'],
    ['http://100.64.0.1/', 'private'],
    ['http://224.0.0.1/', 'private'],
    ['http://0.0.0.0/', 'private'],
    ['http://[::1]/', 'private'],
    ['http://[::]/', 'private'],
    ['http://[fc00::1]/', 'private'],
    ['http://[fe80::1]/', 'private'],
    ['http://[::ffff:127.0.0.1]/', 'private'],
    ['http://[::ffff:10.0.0.1]/', 'private'],
    ['http://localhost:4000/', 'localhost'],
    [`https://example.com/${'a'.repeat(2048)}`, '2048'],
  ])('refuses %s', (url, reason) => {
    const r = checkCallbackUrl(url, policy);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(reason);
  });

  it('lets allowedHosts open exceptions by host or host:port', () => {
    expect(checkCallbackUrl('http://127.0.0.1:4000/cb', { ...policy, allowedHosts: ['127.0.0.1:4000'] }).ok).toBe(true);
    expect(checkCallbackUrl('http://127.0.0.1:4001/cb', { ...policy, allowedHosts: ['127.0.0.1:4000'] }).ok).toBe(
      false,
    );
    expect(checkCallbackUrl('http://[::1]:9/cb', { ...policy, allowedHosts: ['[::1]'] }).ok).toBe(true);
    expect(checkCallbackUrl('http://LOCALHOST/cb', { ...policy, allowedHosts: ['localhost:80'] }).ok).toBe(true);
  });

  it('refuses http in https-only mode', () => {
    expect(checkCallbackUrl('http://example.com/', { ...policy, httpsOnly: true }).ok).toBe(false);
  });
});

describe('isPublicAddress', () => {
  it('judges IPv4-mapped IPv6 as the IPv4 address', () => {
    expect(isPublicAddress('::ffff:8.8.8.8')).toBe(true);
    expect(isPublicAddress('::ffff:192.168.0.1')).toBe(false);
  });
  it('refuses what is not an address', () => {
    expect(isPublicAddress('example.com')).toBe(false);
  });
});
