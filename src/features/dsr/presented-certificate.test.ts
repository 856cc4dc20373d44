import { describe, expect, it } from 'vitest';
import { proxyList } from './dsr-from-config.js';
import { fromTrustedProxy } from './presented-certificate.js';

describe('dsr.trustedProxies', () => {
  const proxies = proxyList(['10.0.0.0/8', '192.0.2.1', '2001:db8::/32', '::1/128']);

  it('matches addresses and CIDRs of both families, IPv4-mapped IPv6 as IPv4', () => {
    expect(fromTrustedProxy('10.200.3.4', proxies)).toBe(true);
    expect(fromTrustedProxy('::ffff:10.1.2.3', proxies)).toBe(true);
    expect(fromTrustedProxy('192.0.2.1', proxies)).toBe(true);
    expect(fromTrustedProxy('2001:db8:1::5', proxies)).toBe(true);
    expect(fromTrustedProxy('::1', proxies)).toBe(true);
  });

  it('matches nothing else, and no address at all', () => {
    expect(fromTrustedProxy('11.0.0.1', proxies)).toBe(false);
    expect(fromTrustedProxy('192.0.2.2', proxies)).toBe(false);
    expect(fromTrustedProxy('::ffff:192.0.2.2', proxies)).toBe(false);
    expect(fromTrustedProxy('2001:db9::1', proxies)).toBe(false);
    expect(fromTrustedProxy(undefined, proxies)).toBe(false);
    expect(fromTrustedProxy('127.0.0.1', proxyList([]))).toBe(false);
  });

  it('refuses at start what is not an address or CIDR, naming the option', () => {
    for (const entry of ['10.0.0.0/33', 'example.com', '10.0.0.0/', '::1/129', '10.0.0.0/8/1'])
      expect(() => proxyList([entry]), entry).toThrow(/dsr\.trustedProxies/);
  });
});
