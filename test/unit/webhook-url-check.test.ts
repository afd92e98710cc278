import { checkWebhookUrl, classifyAddress, type Resolver } from '../../activities/webhooks/check-url';
import { describeTransportError } from '../../activities/webhooks/post-webhook';

const resolvesTo =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('webhook URL checks', () => {
  test.each([
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.254', 'cgnat'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['192.0.2.10', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['255.255.255.255', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['172.32.0.1', 'public'],
    ['100.128.0.1', 'public'],
  ])('when the address is %s, then it is classified %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });

  test('when a URL is not http(s) or carries credentials, then it is refused in both modes', async () => {
    for (const livemode of [true, false]) {
      expect(await checkWebhookUrl('ftp://example.com/hook', livemode)).toMatchObject({ ok: false, code: 'url_invalid' });
      expect(await checkWebhookUrl('not a url', livemode)).toMatchObject({ ok: false, code: 'url_invalid' });
      expect(await checkWebhookUrl('https://user:pw@example.com/', livemode)).toMatchObject({ ok: false, code: 'url_invalid' });
    }
  });

  test('when in test mode with private targets allowed by the operator, then localhost and private addresses pass', async () => {
    const saved = process.env.SETTLE_TEST_MODE_PRIVATE_WEBHOOKS;
    process.env.SETTLE_TEST_MODE_PRIVATE_WEBHOOKS = 'true';
    try {
      expect(await checkWebhookUrl('http://localhost:3000/hook', false)).toMatchObject({ ok: true });
      expect(await checkWebhookUrl('http://127.0.0.1:3000/hook', false)).toMatchObject({ ok: true });
    } finally {
      process.env.SETTLE_TEST_MODE_PRIVATE_WEBHOOKS = saved;
    }
  });

  test('when in test mode without that permission, then private targets are refused as in live mode', async () => {
    const saved = process.env.SETTLE_TEST_MODE_PRIVATE_WEBHOOKS;
    delete process.env.SETTLE_TEST_MODE_PRIVATE_WEBHOOKS;
    try {
      expect(await checkWebhookUrl('http://127.0.0.1:3000/hook', false)).toMatchObject({ ok: false, code: 'url_not_public' });
      expect(await checkWebhookUrl('http://169.254.169.254/latest', false)).toMatchObject({ ok: false, code: 'url_not_public' });
    } finally {
      process.env.SETTLE_TEST_MODE_PRIVATE_WEBHOOKS = saved;
    }
  });

  test('when in live mode the host is a private literal or a loopback name, then it is refused without resolving', async () => {
    const neverCalled: Resolver = async () => {
      throw new Error('resolver called');
    };
    for (const url of [
      'http://127.0.0.1/',
      'http://[::1]:8080/',
      'http://0x7f000001/',
      'http://10.0.0.5/',
      'http://localhost/',
      'http://api.localhost/',
    ]) {
      expect(await checkWebhookUrl(url, true, neverCalled)).toMatchObject({ ok: false, code: 'url_not_public' });
    }
  });

  test('when in live mode any resolved address is not public, then the URL is refused', async () => {
    expect(await checkWebhookUrl('https://hooks.example.com/', true, resolvesTo('93.184.216.34', '10.0.0.1'))).toMatchObject({
      ok: false,
      code: 'url_not_public',
    });
    expect(
      await checkWebhookUrl('https://hooks.example.com/', true, resolvesTo('93.184.216.34', '2606:2800:220:1::')),
    ).toMatchObject({ ok: true });
  });

  test('when a name resolves to a private address, then the refusal names neither the address nor its network', async () => {
    for (const address of ['10.20.30.40', '169.254.169.254', 'fd00::abcd', '127.0.0.1']) {
      const check = await checkWebhookUrl('https://internal.example.com/', true, resolvesTo('93.184.216.34', address));
      expect(check).toEqual({
        ok: false,
        code: 'url_not_public',
        reason: 'internal.example.com resolves to an address that is not public',
      });
    }
  });

  test('when a transport error is recorded, then its wording carries the code but no address', () => {
    expect(describeTransportError('ECONNREFUSED')).toBe('ECONNREFUSED: connection refused');
    expect(describeTransportError('EADDRNOTPUBLIC')).toBe('EADDRNOTPUBLIC: host does not resolve to public addresses only');
    expect(describeTransportError('ESOMETHINGNEW')).toBe('ESOMETHINGNEW: request failed');
    expect(describeTransportError(undefined)).toBe('error: request failed');
  });

  test('when in live mode the host does not resolve, then the URL is refused', async () => {
    const failing: Resolver = async () => {
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    };
    expect(await checkWebhookUrl('https://nowhere.invalid/', true, failing)).toMatchObject({
      ok: false,
      code: 'url_unresolvable',
    });
  });
});
