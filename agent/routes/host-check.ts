import { isIPv6 } from 'node:net';

/**
 * Builds the `Host` header check (docs/api.md): the header must name one of the bound addresses, as
 * an IP literal with or without the port, IPv6 with or without brackets. Anything else (names, other
 * addresses, other ports) is refused, which blocks DNS rebinding and stray proxies (docs/security.md threat 5).
 *
 * @param bindHosts bare IP literals the credentials endpoint listens on.
 * @param port the credentials port.
 * @returns a predicate over the raw `Host` header value.
 */
export function createHostCheck(
  bindHosts: readonly string[],
  port: number,
): (host: string | undefined) => boolean {
  const allowed = new Set<string>();
  for (const raw of bindHosts) {
    const host = canonicalHost(raw);
    const literal = isIPv6(host) ? `[${host}]` : host;
    allowed.add(literal).add(`${literal}:${port}`);
    if (isIPv6(host)) allowed.add(host);
  }
  return (header) => {
    if (header === undefined) return false;
    if (allowed.has(header)) return true;
    // Slow path: other spellings of the same IPv6 address (case, zero compression).
    const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(header) ?? (isIPv6(header) ? [header, header] : null);
    if (match === null || (match[2] !== undefined && Number(match[2]) !== port)) return false;
    const host = match[1] ?? '';
    return isIPv6(host) && allowed.has(canonicalHost(host));
  };
}

function canonicalHost(ip: string): string {
  return isIPv6(ip) ? new URL(`http://[${ip}]`).hostname.slice(1, -1) : ip;
}
