import type { Socket } from 'node:net';
import { checkInteger } from '../checks/option-checks.js';
import { normaliseAddress } from './rate-limiter.js';

/** Caps on the connections a listener holds open at once. */
export interface ConnectionLimits {
  /** Most open connections in total, over every server sharing the limiter. */
  readonly maxConnections: number;
  /** Most open connections from one source address (IPv4-mapped IPv6 folded to IPv4). */
  readonly maxPerSource: number;
}

/** Counts open connections per source address and in total, and refuses those over a cap. */
export interface ConnectionLimiter {
  /**
   * Admits `socket` and counts it until it closes, or returns false (the caller destroys it) when its
   * source address is at its cap, or the total is at its cap and no source holds more than it does.
   */
  admit(socket: Socket): boolean;
  /** Connections open now. */
  readonly open: number;
  /** Source addresses with a connection open now. */
  readonly sources: number;
}

/**
 * Creates a connection limiter. Once the total is reached, a connection from a source holding fewer
 * connections than the busiest source takes the place of that source's oldest one: many pods flooding
 * together fill the total, but a pod asking for its credentials still gets in. Every address counts
 * alike, node-local ones included: host-network pods share the node's address and so share one
 * per-source allowance (docs/security.md).
 *
 * @throws TypeError naming the option when a cap is not a positive integer.
 */
export function createConnectionLimiter(limits: ConnectionLimits): ConnectionLimiter {
  const maxConnections = checkInteger('maxConnections', limits.maxConnections);
  const maxPerSource = checkInteger('maxPerSource', limits.maxPerSource);
  /** Open sockets per source, oldest first (a Set keeps insertion order). */
  const bySource = new Map<string, Set<Socket>>();
  let open = 0;

  /** The source with the most open connections (scanned only when the total is reached). */
  const busiest = (): Set<Socket> | undefined => {
    let most: Set<Socket> | undefined;
    for (const sockets of bySource.values())
      if (most === undefined || sockets.size > most.size) most = sockets;
    return most;
  };

  return {
    admit(socket) {
      const source = normaliseAddress(socket.remoteAddress);
      const held = bySource.get(source);
      const count = held?.size ?? 0;
      if (count >= maxPerSource) return false;
      if (open >= maxConnections) {
        const victims = busiest();
        if (victims === undefined || victims.size <= count + 1) return false;
        const oldest = victims.values().next().value as Socket;
        victims.delete(oldest);
        open -= 1;
        oldest.destroy();
      }
      const sockets = held ?? new Set<Socket>();
      if (held === undefined) bySource.set(source, sockets);
      sockets.add(socket);
      open += 1;
      socket.once('close', () => {
        if (!sockets.delete(socket)) return; // already evicted and uncounted
        open -= 1;
        if (sockets.size === 0 && bySource.get(source) === sockets) bySource.delete(source);
      });
      return true;
    },
    get open() {
      return open;
    },
    get sources() {
      return bySource.size;
    },
  };
}
