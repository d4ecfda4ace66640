import { isIP } from 'node:net';

/**
 * The request's source address in the form Kubernetes writes pod IPs: an IPv4-mapped IPv6 address
 * (`::ffff:10.0.0.1`, what a dual-stack socket reports) becomes plain IPv4, IPv6 is lower-cased.
 * Undefined when the socket gave no address.
 */
export function toPodAddress(address: string | undefined): string | undefined {
  if (address === undefined || address.length === 0) return undefined;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  return isIP(address) === 6 ? address.toLowerCase() : address;
}

/** True when `address` (as the socket reports it) is one of the pod's `ips`. */
export function isPodAddress(address: string | undefined, ips: readonly string[]): boolean {
  const source = toPodAddress(address);
  return source !== undefined && ips.some((ip) => toPodAddress(ip) === source);
}
