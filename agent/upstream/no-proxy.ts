import { isIP } from 'node:net';

/**
 * Whether `url` is reached directly rather than through the proxy, by the `NO_PROXY` rules curl and
 * Go share: `*` matches everything; `example.com` and `.example.com` match the host and its
 * subdomains; an IP literal (IPv6 bare or in brackets) matches itself; `host:port` matches only that
 * port; `10.0.0.0/8`-style CIDR entries match addresses in the block. Entries are lower case.
 */
export function bypassesProxy(url: URL, noProxy: readonly string[]): boolean {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
  return noProxy.some((entry) => matches(entry, host, port));
}

function matches(entry: string, host: string, port: string): boolean {
  if (entry === '*') return true;
  const [name, entryPort] = splitPort(entry);
  if (entryPort !== undefined && entryPort !== port) return false;
  if (name.includes('/')) return inCidr(host, name);
  if (isIP(name) !== 0) return name === host;
  const domain = name.replace(/^\*?\./, '');
  return host === domain || host.endsWith(`.${domain}`);
}

/** `[::1]:8080` → `::1`, `8080`; `host:80` → `host`, `80`; a bare IPv6 address has no port. */
function splitPort(entry: string): [string, string | undefined] {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed !== null) return [bracketed[1] as string, bracketed[2]];
  const hostPort = /^([^:]+):(\d+)$/.exec(entry);
  return hostPort === null ? [entry, undefined] : [hostPort[1] as string, hostPort[2]];
}

/** IPv4 CIDR only (IPv6 blocks are rare in NO_PROXY and never match here). */
function inCidr(host: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (isIP(host) !== 4 || isIP(base ?? '') !== 4 || !Number.isInteger(bits) || bits < 0 || bits > 32)
    return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (toNumber(host) & mask) >>> 0 === (toNumber(base as string) & mask) >>> 0;
}

function toNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);
}
