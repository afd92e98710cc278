import { BlockList, isIP, type LookupFunction } from 'node:net';
import { lookup as dnsLookup } from 'node:dns';

/**
 * Where a webhook may be sent. Live mode refuses every address that is not on the public
 * internet, so an endpoint URL cannot be used to reach Settle's own network (SSRF). Test mode
 * allows anything, localhost included, for local development.
 */
export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unique-local'
  | 'cgnat'
  | 'multicast'
  | 'documentation'
  | 'reserved';

const V4_RANGES: Array<[string, number, AddressClass]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'cgnat'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

const V6_RANGES: Array<[string, number, AddressClass]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'reserved'], // IPv4-compatible (deprecated)
  ['64:ff9b:1::', 48, 'reserved'],
  ['100::', 64, 'reserved'],
  ['2001::', 32, 'reserved'], // Teredo tunnels reach arbitrary IPv4 hosts
  ['2001:db8::', 32, 'documentation'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'private'], // deprecated site-local
  ['ff00::', 8, 'multicast'],
];

function blockLists(ranges: Array<[string, number, AddressClass]>, family: 'ipv4' | 'ipv6') {
  return ranges.map(([net, bits, cls]) => {
    const list = new BlockList();
    list.addSubnet(net, bits, family);
    return { list, cls };
  });
}
const V4_LISTS = blockLists(V4_RANGES, 'ipv4');
const V6_LISTS = blockLists(V6_RANGES, 'ipv6');

/** The eight 16-bit groups of an IPv6 address (zone id dropped, embedded dotted quad expanded). */
function ipv6Groups(ip: string): number[] {
  let text = ip.split('%')[0]!.toLowerCase();
  const quad = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (quad) {
    const b = quad[1]!.split('.').map(Number);
    text = `${text.slice(0, -quad[1]!.length)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (s: string) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  return [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
}

function v4FromGroups(hi: number, lo: number): string {
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

/** Classifies one IP address; IPv6 forms that carry an IPv4 address are judged by that address. */
export function classifyAddress(ip: string): AddressClass {
  const family = isIP(ip.split('%')[0]!);
  if (family === 4) return V4_LISTS.find((r) => r.list.check(ip, 'ipv4'))?.cls ?? 'public';
  if (family !== 6) return 'reserved';
  const g = ipv6Groups(ip);
  const bare = g.map((x) => x.toString(16)).join(':');
  const prefix96 = g.slice(0, 6).join(',');
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach the embedded IPv4 address.
  if (prefix96 === '0,0,0,0,0,65535' || prefix96 === String([0x64, 0xff9b, 0, 0, 0, 0])) {
    return classifyAddress(v4FromGroups(g[6]!, g[7]!));
  }
  // 6to4 (2002:AABB:CCDD::/48) embeds the relay's IPv4 address.
  if (g[0] === 0x2002) return classifyAddress(v4FromGroups(g[1]!, g[2]!));
  return V6_LISTS.find((r) => r.list.check(bare, 'ipv6'))?.cls ?? 'public';
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; code: string; reason: string };

export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))),
  );

/** The syntactic part: an absolute http(s) URL without embedded credentials. */
export function parseWebhookUrl(raw: string): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, code: 'url_invalid', reason: 'is not an absolute URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { ok: false, code: 'url_invalid', reason: 'must use http or https' };
  if (url.username || url.password) return { ok: false, code: 'url_invalid', reason: 'must not contain credentials' };
  if (!url.hostname) return { ok: false, code: 'url_invalid', reason: 'has no host' };
  return { ok: true, url };
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Rejects any address outside the public internet; every resolved address must pass, not just one.
 * A name's verdict never says which address or kind of network it resolved to: that would map
 * Settle's internal DNS for anyone who can save a URL. An IP literal is the caller's own input.
 */
function judgeAddresses(host: string, addresses: string[]): UrlCheck | undefined {
  if (!addresses.length) return { ok: false, code: 'url_unresolvable', reason: `${host} has no addresses` };
  for (const address of addresses) {
    const cls = classifyAddress(address);
    if (cls === 'public') continue;
    const reason = isIP(host) ? `${host} is a ${cls} address` : `${host} resolves to an address that is not public`;
    return { ok: false, code: 'url_not_public', reason };
  }
  return undefined;
}

/**
 * Checks a webhook URL the way a delivery would reach it: in live mode the host is resolved and
 * every address must be public. Called when an endpoint is saved and again before each attempt,
 * since DNS can change in between (rebinding).
 */
export async function checkWebhookUrl(raw: string, livemode: boolean, resolve: Resolver = systemResolver): Promise<UrlCheck> {
  const parsed = parseWebhookUrl(raw);
  if (!parsed.ok || (!livemode && privateTargetsAllowedInTestMode())) return parsed;
  const host = hostOf(parsed.url);
  if (isIP(host)) return judgeAddresses(host, [host]) ?? parsed;
  if (host === 'localhost' || host.endsWith('.localhost'))
    return { ok: false, code: 'url_not_public', reason: `${host} is a loopback name` };
  let addresses: string[];
  try {
    addresses = (await resolve(host)).map((a) => a.address);
  } catch (err) {
    return {
      ok: false,
      code: 'url_unresolvable',
      reason: `${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    };
  }
  return judgeAddresses(host, addresses) ?? parsed;
}

/**
 * Whether test-mode webhooks may target private and loopback addresses (localhost development).
 * Off unless the operator sets SETTLE_TEST_MODE_PRIVATE_WEBHOOKS=true (`npm start` and the tests
 * do): anyone holding a test key could otherwise probe the worker's network.
 */
export function privateTargetsAllowedInTestMode(): boolean {
  return process.env.SETTLE_TEST_MODE_PRIVATE_WEBHOOKS === 'true';
}

/**
 * A socket `lookup` for deliveries to public-only targets: the connection goes only to addresses that were
 * checked in the same resolution, closing the gap between checkWebhookUrl and connect.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const verdict = judgeAddresses(
      hostname,
      addresses.map((a) => a.address),
    );
    if (verdict && !verdict.ok) {
      const blocked = Object.assign(new Error(verdict.reason), { code: 'EADDRNOTPUBLIC' });
      return callback(blocked, '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: typeof addresses) => void)(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};
