/**
 * A simulated EKS node, as root, with network namespaces: a "node" namespace where the
 * real `pod-identity-agent init` puts 169.254.170.23/32 and fd00:ec2::23/128 on its dummy interface
 * and the agent serves on port 80, and "pod" namespaces joined to it by veth pairs. moto and the
 * EKS Auth stand-in run in the test process and are bridged into the node: EKS Auth on the node's
 * loopback, moto's S3 on every node address (pods reach it through their gateway).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { type AgentProcess, startAgent } from './agent-process.js';
import { type ClusterKeys, createClusterKeys } from './cluster-keys.js';
import { uniqueName } from './control-plane/admin-client.js';
import { createPodWithToken, type PodWithToken } from './control-plane/pod-token.js';
import type { ControlPlane } from './control-plane.js';
import { type EksAuthService, startEksAuthService } from './eks-auth-service.js';
import {
  type MotoServer,
  type MotoSetup,
  type MotoSetupSpec,
  setupActionCount,
  setupMoto,
  startMoto,
} from './moto.js';
import { createNamespace, deleteNamespace, inNamespace, NAMESPACE_PREFIX, sysctl } from './netns.js';
import { type Bridge, exposeInNamespace, reachIntoNamespace } from './ns-bridge.js';
import { runInitIn } from './sim-node-init.js';
import { AGENT_IPV4, AGENT_IPV6, createSimPod, type SimPod } from './sim-pod.js';
import { NODE_CREDENTIALS, STORY_CLUSTER, STORY_ISSUER, STORY_REGION, storyAgentArgs } from './story.js';

/** Ports inside the node namespace (a fresh namespace has them all free). */
const IN_NODE = Object.freeze({ eksAuth: 8443, moto: 5000, probe: 2703, metrics: 2705 });
const AUDIENCE = 'pods.eks.amazonaws.com';

/** Options of {@link startSimNode}. */
export interface SimNodeOptions {
  /** Pod names; each gets a namespace. At least one. */
  readonly pods: readonly string[];
  /** IAM roles and buckets in moto (IAM enforced after set-up). */
  readonly moto: MotoSetupSpec;
  /**
   * Pod identity associations in the pods' namespace: service account → role name, or role name and
   * a credential lifetime in seconds for that association (may be under 15 min, at least 30 s).
   */
  readonly associations: Readonly<Record<string, string | { role: string; lifetimeSeconds: number }>>;
  /** Turn IPv6 off in the node (sysctl `net.ipv6.conf.all.disable_ipv6=1`) before anything is wired. Default false. */
  readonly ipv6Disabled?: boolean;
  /** Extra agent flags. */
  readonly agentArgs?: readonly string[];
  /**
   * A real control plane (test-support/control-plane.ts): the node, a namespace and the pods exist
   * there, tokens come from its TokenRequest API and the agent verifies them with its keys. Default:
   * a signing key of the node's own, tokens minted locally in namespace `default`.
   */
  readonly cluster?: ControlPlane;
}

/** A running simulated node. */
export interface SimNode {
  /** The node's namespace. */
  readonly ns: string;
  readonly nodeName: string;
  /** The Kubernetes namespace of the pods and associations (`default` without a cluster). */
  readonly namespace: string;
  readonly pods: readonly SimPod[];
  readonly moto: MotoServer;
  readonly setup: MotoSetup;
  readonly eksAuth: EksAuthService;
  readonly keys: ClusterKeys;
  /** The current agent process (changes on restart). */
  readonly agent: AgentProcess;
  /** `init`'s log lines. */
  readonly initLines: readonly string[];
  /**
   * Pod `podName`'s projected token for `serviceAccount` in `namespace`: from the cluster's
   * TokenRequest API when there is one. With `nowMs` (its issue time) it is minted with the node's
   * own key, which the agent and EKS Auth trust next to the cluster's.
   */
  token(serviceAccount: string, podName: string, nowMs?: number): Promise<string>;
  /** Stops the agent (SIGTERM) and starts it again with the same flags. */
  restartAgent(): Promise<AgentProcess>;
  /** Stops everything and deletes the namespaces. Idempotent. */
  stop(): Promise<void>;
}

let nodes = 0;

/** Builds the node, its pods, moto, the EKS Auth stand-in and the agent; undoes everything on failure. */
export async function startSimNode(options: SimNodeOptions): Promise<SimNode> {
  if (options.pods.length === 0) throw new TypeError('"pods" must name at least one pod');
  const base = `${NAMESPACE_PREFIX}${process.pid}-${++nodes}`;
  const ns = `${base}-node`;
  const cluster = options.cluster;
  const nodeName = cluster === undefined ? `sim-node-${nodes}` : uniqueName('sim-node');
  const v6 = options.ipv6Disabled !== true;
  const cleanups: (() => Promise<unknown>)[] = [];
  const undo = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    await createNamespace(ns);
    cleanups.push(() => deleteNamespace(ns));
    if (!v6) {
      await sysctl(ns, 'net.ipv6.conf.all.disable_ipv6', '1');
      await sysctl(ns, 'net.ipv6.conf.default.disable_ipv6', '1');
    }
    const pods: SimPod[] = [];
    for (const [i, name] of options.pods.entries()) {
      const podNs = `${base}-p${i + 1}`;
      cleanups.push(() => deleteNamespace(podNs));
      pods.push(
        await createSimPod({ nodeNs: ns, ns: podNs, name, index: i + 1, ipv6: v6, motoPort: IN_NODE.moto }),
      );
    }
    const initLines = await runInitIn(ns);

    const moto = await startMoto({ authActions: setupActionCount(options.moto) });
    cleanups.push(() => moto.stop());
    const setup = await setupMoto(moto.endpoint, options.moto);
    const keys = await createClusterKeys({ alg: 'RS256', kid: `${nodeName}-key` });
    const jwksDir = mkdtempSync(join(tmpdir(), 'sim-node-jwks-'));
    // With a cluster, its keys and the node's own: tokens with a chosen issue time are minted locally.
    const jwks: JSONWebKeySet =
      cluster === undefined
        ? keys.jwks
        : {
            keys: [
              ...((await cluster.admin.call('GET', '/openid/v1/jwks')) as unknown as JSONWebKeySet).keys,
              ...keys.jwks.keys,
            ],
          };
    const issuer = cluster?.issuer ?? STORY_ISSUER;
    // The agent in the node cannot reach the apiserver on the host's loopback: it gets the keys as a file.
    const jwksFile = join(jwksDir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify(jwks));
    const namespace = cluster === undefined ? 'default' : await cluster.admin.createNamespace();
    if (cluster !== undefined) await cluster.admin.createNode(nodeName);
    const realPods = new Map<string, Promise<PodWithToken>>();
    const accounts = new Map<string, Promise<unknown>>();
    const realToken = async (serviceAccount: string, podName: string): Promise<string> => {
      const known = realPods.get(podName);
      if (known !== undefined) return (await known).newToken();
      // Concurrent first pods of one account would each try to create it: create it once, first.
      const admin = (cluster as ControlPlane).admin;
      if (!accounts.has(serviceAccount))
        accounts.set(serviceAccount, admin.createServiceAccount(namespace, serviceAccount));
      await accounts.get(serviceAccount);
      const created = createPodWithToken(admin, { namespace, nodeName, serviceAccount, podName });
      realPods.set(podName, created);
      return (await created).token;
    };
    const associations = Object.entries(options.associations).map(([serviceAccount, spec]) => {
      const { role, lifetimeSeconds } =
        typeof spec === 'string' ? { role: spec, lifetimeSeconds: undefined } : spec;
      const roleArn = setup.roles[role];
      if (roleArn === undefined) throw new TypeError(`association ${serviceAccount}: no role ${role}`);
      return { namespace, serviceAccount, roleArn, ...(lifetimeSeconds ? { lifetimeSeconds } : {}) };
    });
    const eksAuth = await startEksAuthService({
      jwks,
      issuer,
      clusterName: STORY_CLUSTER,
      associations,
      stsEndpoint: moto.endpoint,
      stsCredentials: { accessKeyId: setup.accessKeyId, secretAccessKey: setup.secretAccessKey },
      nodeCredentials: NODE_CREDENTIALS,
      region: STORY_REGION,
      accountId: setup.accountId,
    });
    cleanups.push(() => eksAuth.stop());

    const bridges: Bridge[] = [
      await exposeInNamespace(
        ns,
        { host: '127.0.0.1', port: IN_NODE.eksAuth },
        { host: '127.0.0.1', port: eksAuth.port },
      ),
      await exposeInNamespace(
        ns,
        { host: v6 ? '::' : '0.0.0.0', port: IN_NODE.moto },
        { host: '127.0.0.1', port: moto.port },
      ),
    ];
    cleanups.push(async () => Promise.all(bridges.map((b) => b.close())));
    const probe = await reachIntoNamespace(ns, { host: '127.0.0.1', port: IN_NODE.probe });
    bridges.push(probe);
    const metrics = await reachIntoNamespace(ns, { host: '127.0.0.1', port: IN_NODE.metrics });
    bridges.push(metrics);

    const start = () =>
      startAgent({
        args: [
          ...storyAgentArgs(`http://127.0.0.1:${IN_NODE.eksAuth}`, jwksFile).map((a) =>
            a === STORY_ISSUER ? issuer : a,
          ),
          '--node-name',
          nodeName,
          ...(options.agentArgs ?? []),
        ],
        env: {
          AWS_ACCESS_KEY_ID: NODE_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: NODE_CREDENTIALS.secretAccessKey,
          AWS_EC2_METADATA_DISABLED: 'true',
        },
        host: `${AGENT_IPV4},[${AGENT_IPV6}]`,
        port: 80,
        commandPrefix: inNamespace(ns),
        probePort: IN_NODE.probe,
        metricsPort: IN_NODE.metrics,
        probeBase: `http://127.0.0.1:${probe.localPort}`,
        metricsBase: `http://127.0.0.1:${metrics.localPort}`,
        readyTimeoutMs: 30_000,
      });
    const mintLocally = (serviceAccount: string, podName: string, nowMs?: number) =>
      keys.mintToken({
        issuer,
        audience: AUDIENCE,
        namespace,
        serviceAccount,
        podName,
        nodeName,
        ...(nowMs === undefined ? {} : { now: nowMs }),
      });
    let agent = await start();
    cleanups.push(() => agent.stop());

    return {
      ns,
      nodeName,
      namespace,
      pods,
      moto,
      setup,
      eksAuth,
      keys,
      initLines,
      get agent() {
        return agent;
      },
      token: (serviceAccount, podName, nowMs) => {
        if (cluster === undefined) return mintLocally(serviceAccount, podName, nowMs);
        // A real API server issues tokens now: one with another issue time is minted with the node's key.
        if (nowMs !== undefined) return mintLocally(serviceAccount, podName, nowMs);
        return realToken(serviceAccount, podName);
      },
      async restartAgent() {
        await agent.stop();
        agent = await start();
        return agent;
      },
      stop: undo,
    };
  } catch (error) {
    await undo();
    throw error;
  }
}
