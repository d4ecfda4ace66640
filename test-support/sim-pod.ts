/**
 * A simulated pod: a network namespace joined to the simulated node by a veth pair, with its own
 * IPv4 and IPv6 address and routes to the agent's link-local addresses through the node, so the
 * agent sees the pod's real source address (the way a CNI wires a pod on EKS).
 */
import { createNamespace, inNamespace, ip } from './netns.js';
import type { PodEnvironment } from './pod-clients.js';

/** The agent's addresses inside the node (docs/api.md) and the URIs EKS injects into pods. */
export const AGENT_IPV4 = '169.254.170.23';
export const AGENT_IPV6 = 'fd00:ec2::23';
export const CREDENTIALS_URI = Object.freeze({
  4: `http://${AGENT_IPV4}/v1/credentials`,
  6: `http://[${AGENT_IPV6}]/v1/credentials`,
});

/** Address family a client uses. */
export type Family = 4 | 6;

/** One pod of the simulated node. */
export interface SimPod {
  readonly name: string;
  /** Its network namespace. */
  readonly ns: string;
  /** The pod's own addresses, as the agent sees them. */
  readonly ipv4: string;
  /** Absent when the node has IPv6 off. */
  readonly ipv6: string | undefined;
  /** moto's S3 endpoint as this pod reaches it (the node's end of the veth). */
  motoEndpoint(family: Family): string;
  /** The environment the pod's SDK runs with: the credentials URI of `family` and `tokenFile` (undefined: none). */
  env(family: Family, tokenFile: string | undefined): PodEnvironment;
  /** The command prefix that runs a program in the pod. */
  readonly prefix: readonly string[];
}

/** Options of {@link createSimPod}. */
export interface SimPodOptions {
  readonly nodeNs: string;
  readonly ns: string;
  readonly name: string;
  /** 1..250: picks the pod's subnets 10.200.<index>.0/24 and fd00:200:<index>::/64. */
  readonly index: number;
  /** Wire IPv6 too. Default true. */
  readonly ipv6?: boolean;
  /** Port moto answers on at the node's veth addresses. */
  readonly motoPort: number;
}

/** Creates the pod's namespace and wires it to the node. */
export async function createSimPod(options: SimPodOptions): Promise<SimPod> {
  const { nodeNs, ns, index } = options;
  if (!Number.isInteger(index) || index < 1 || index > 250)
    throw new TypeError('"index" must be an integer from 1 to 250');
  const v6 = options.ipv6 ?? true;
  const hostIf = `veth-p${index}`;
  const node4 = `10.200.${index}.1`;
  const pod4 = `10.200.${index}.2`;
  const node6 = `fd00:200:${index.toString(16)}::1`;
  const pod6 = `fd00:200:${index.toString(16)}::2`;
  await createNamespace(ns);
  await ip(['-n', nodeNs, 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  await ip(['-n', nodeNs, 'addr', 'add', `${node4}/24`, 'dev', hostIf]);
  await ip(['-n', ns, 'addr', 'add', `${pod4}/24`, 'dev', 'eth0']);
  if (v6) {
    // nodad: the addresses are usable at once instead of after duplicate address detection (~1 s).
    await ip(['-n', nodeNs, 'addr', 'add', `${node6}/64`, 'dev', hostIf, 'nodad']);
    await ip(['-n', ns, 'addr', 'add', `${pod6}/64`, 'dev', 'eth0', 'nodad']);
  }
  await ip(['-n', nodeNs, 'link', 'set', hostIf, 'up']);
  await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
  await ip(['-n', ns, 'route', 'add', `${AGENT_IPV4}/32`, 'via', node4]);
  if (v6) await ip(['-n', ns, '-6', 'route', 'add', `${AGENT_IPV6}/128`, 'via', node6]);
  const prefix = inNamespace(ns);
  return {
    name: options.name,
    ns,
    ipv4: pod4,
    ipv6: v6 ? pod6 : undefined,
    prefix,
    motoEndpoint: (family) =>
      family === 4 ? `http://${node4}:${options.motoPort}` : `http://[${node6}]:${options.motoPort}`,
    env: (family, tokenFile) => ({ credentialsUri: CREDENTIALS_URI[family], tokenFile, prefix }),
  };
}
