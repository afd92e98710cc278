import { ipAllowed } from '../../api/auth';

describe('IP allowlist', () => {
  test('when the list is empty, then every address is allowed', () => {
    expect(ipAllowed('203.0.113.7', [])).toBe(true);
  });

  test('when entries are single addresses or CIDRs of either family, then membership is exact', () => {
    const list = ['203.0.113.0/24', '198.51.100.7', '2001:db8::/32'];
    expect(ipAllowed('203.0.113.200', list)).toBe(true);
    expect(ipAllowed('203.0.114.1', list)).toBe(false);
    expect(ipAllowed('198.51.100.7', list)).toBe(true);
    expect(ipAllowed('198.51.100.8', list)).toBe(false);
    expect(ipAllowed('2001:db8::1', list)).toBe(true);
    expect(ipAllowed('2001:db9::1', list)).toBe(false);
  });

  test('when an IPv4 client arrives as an IPv4-mapped IPv6 address, then its IPv4 entry matches', () => {
    expect(ipAllowed('::ffff:127.0.0.1', ['127.0.0.1/32'])).toBe(true);
  });
});
