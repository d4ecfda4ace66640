/** One address on the interface, as `ip -j addr` reports it. */
export interface LinkAddress {
  readonly family: 'inet' | 'inet6';
  /** Bare IP literal. */
  readonly local: string;
  readonly prefixlen: number;
}

/** What `init` needs to know about its interface. */
export interface LinkState {
  /** `linkinfo.info_kind` from `ip -d`, e.g. `dummy`; undefined for physical devices. */
  readonly kind: string | undefined;
  /** Administratively up (the `UP` flag). */
  readonly up: boolean;
  readonly addresses: readonly LinkAddress[];
}

interface IpAddrJson {
  readonly flags?: readonly string[];
  readonly linkinfo?: { readonly info_kind?: string };
  readonly addr_info?: readonly { family?: string; local?: string; prefixlen?: number }[];
}

/**
 * Reads the output of `ip -d -j addr show dev NAME` (a one-element JSON array).
 * Throws a `SyntaxError`/`TypeError` on output that is not that shape.
 */
export function fromIpAddrJson(stdout: string): LinkState {
  const parsed: unknown = JSON.parse(stdout);
  if (!Array.isArray(parsed) || parsed.length !== 1 || typeof parsed[0] !== 'object' || parsed[0] === null) {
    throw new TypeError('ip -j addr show did not print exactly one interface');
  }
  const link = parsed[0] as IpAddrJson;
  const addresses: LinkAddress[] = [];
  for (const a of link.addr_info ?? []) {
    if ((a.family === 'inet' || a.family === 'inet6') && typeof a.local === 'string') {
      addresses.push({ family: a.family, local: a.local, prefixlen: a.prefixlen ?? 0 });
    }
  }
  return { kind: link.linkinfo?.info_kind, up: (link.flags ?? []).includes('UP'), addresses };
}

/** True when `state` already holds `host` with exactly `prefixlen`. IPv6 is compared in canonical form. */
export function hasAddress(state: LinkState, host: string, prefixlen: number): boolean {
  const wanted = canonicalIp(host);
  return state.addresses.some((a) => canonicalIp(a.local) === wanted && a.prefixlen === prefixlen);
}

/** `fd00:0ec2:0::23` and `FD00:EC2::23` are one address; the URL parser prints IPv6 in RFC 5952 form. */
function canonicalIp(ip: string): string {
  return ip.includes(':') ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}
