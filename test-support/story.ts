/**
 * The project's one-machine story (the demo and the integration tests): moto as AWS (STS, IAM, S3,
 * IAM enforced after set-up), role `S3AccessRole` allowed only on `my-bucket`, a cluster signing key
 * and its JWKS, an EKS Auth-compatible service mapping `default/s3-access-sa` to the role, and the
 * agent started exactly as docs/configuration.md shows.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { type AgentProcess, startAgent } from './agent-process.js';
import { type ClusterKeys, createClusterKeys } from './cluster-keys.js';
import { type EksAuthService, startEksAuthService } from './eks-auth-service.js';
import { createS3Role, type MotoServer, S3_ROLE_SETUP_ACTIONS, startMoto } from './moto.js';

/** Issuer of the story's cluster. */
export const STORY_ISSUER = 'https://oidc.story.example/id/DEMO';
export const STORY_CLUSTER = 'demo';
export const STORY_REGION = 'us-east-1';
/** The node's own AWS credentials (only the EKS Auth stand-in knows them). */
export const NODE_CREDENTIALS = Object.freeze({
  accessKeyId: 'AKIANODESTORY0000001',
  secretAccessKey: 'node-secret-key-for-the-story-0000000000',
});

/** A running story. */
export interface Story {
  readonly moto: MotoServer;
  readonly keys: ClusterKeys;
  readonly jwksFile: string;
  readonly eksAuth: EksAuthService;
  readonly agent: AgentProcess;
  readonly roleArn: string;
  /** Mints the projected token of a pod (default `default/s3-access-sa`, pod `s3-access-pod`). */
  podToken(pod?: {
    namespace?: string;
    serviceAccount?: string;
    podName?: string;
    nowMs?: number;
  }): Promise<string>;
  /** Restarts the agent with the same flags (and extra ones). */
  restartAgent(extraArgs?: readonly string[]): Promise<AgentProcess>;
  stop(): Promise<void>;
}

/**
 * A real cluster for the story instead of its own signing key (see test-support/control-plane.ts):
 * the agent finds the keys by OIDC discovery from `issuer`, trusting `caFile`; EKS Auth verifies
 * with `jwks` (read on every call: push a rotated key into it); `podToken` asks the real API.
 */
export interface StoryCluster {
  readonly issuer: string;
  readonly caFile: string;
  readonly jwks: JSONWebKeySet;
  readonly podToken: Story['podToken'];
}

/** The agent's flags for the story (docs/configuration.md). */
export function storyAgentArgs(eksAuthEndpoint: string, jwksFile: string): string[] {
  return [
    '--exchange',
    'eks-auth',
    '--cluster-name',
    STORY_CLUSTER,
    '--region',
    STORY_REGION,
    '--endpoint',
    eksAuthEndpoint,
    '--allow-plain-http',
    '--issuer',
    STORY_ISSUER,
    '--audience',
    'pods.eks.amazonaws.com',
    '--jwks-file',
    jwksFile,
  ];
}

/** Starts everything; `onStep` hears each step in plain words. */
export async function startStory(
  options: {
    onStep?: (text: string) => void;
    agentArgs?: readonly string[];
    port?: number;
    host?: string;
    cluster?: StoryCluster;
  } = {},
): Promise<Story> {
  const step = options.onStep ?? (() => {});
  step('Starting moto (AWS STS, IAM and S3 stand-in) on loopback, IAM enforced after set-up');
  const moto = await startMoto({ authActions: S3_ROLE_SETUP_ACTIONS });
  const cleanups: (() => Promise<unknown>)[] = [() => moto.stop()];
  try {
    step(
      'Creating IAM role S3AccessRole, allowed only on bucket my-bucket; creating my-bucket and other-bucket',
    );
    const setup = await createS3Role(moto.endpoint);
    step('Creating the cluster signing key and its JWKS');
    const keys = await createClusterKeys({ alg: 'RS256', kid: 'story-key-1' });
    const jwksFile = await keys.writeJwksFile(mkdtempSync(join(tmpdir(), 'story-jwks-')));
    step('Starting the EKS Auth-compatible service: association default/s3-access-sa -> S3AccessRole');
    const cluster = options.cluster;
    const eksAuth = await startEksAuthService({
      jwks: cluster?.jwks ?? keys.jwks,
      issuer: cluster?.issuer ?? STORY_ISSUER,
      clusterName: STORY_CLUSTER,
      associations: [{ namespace: 'default', serviceAccount: 's3-access-sa', roleArn: setup.roleArn }],
      stsEndpoint: moto.endpoint,
      stsCredentials: { accessKeyId: setup.accessKeyId, secretAccessKey: setup.secretAccessKey },
      nodeCredentials: NODE_CREDENTIALS,
      region: STORY_REGION,
      accountId: setup.accountId,
    });
    cleanups.push(() => eksAuth.stop());
    const keyArgs = storyAgentArgs(eksAuth.endpoint, jwksFile);
    // A real cluster: its issuer, and the keys from its OIDC discovery instead of the JWKS file.
    if (cluster !== undefined) keyArgs.splice(keyArgs.indexOf('--issuer'), 2, '--issuer', cluster.issuer);
    if (cluster !== undefined) keyArgs.splice(keyArgs.indexOf('--jwks-file'), 2);
    const args = [...keyArgs, ...(options.agentArgs ?? [])];
    const agentEnv = {
      ...(cluster === undefined ? {} : { NODE_EXTRA_CA_CERTS: cluster.caFile }),
      AWS_ACCESS_KEY_ID: NODE_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: NODE_CREDENTIALS.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    step('Starting the agent on loopback');
    const start = (extra: readonly string[] = []) =>
      startAgent({
        args: [...args, ...extra],
        env: agentEnv,
        ...(options.port === undefined ? {} : { port: options.port }),
        ...(options.host === undefined ? {} : { host: options.host }),
      });
    let agent = await start();
    const story: Story = {
      moto,
      keys,
      jwksFile,
      eksAuth,
      get agent() {
        return agent;
      },
      roleArn: setup.roleArn,
      podToken: (pod = {}) =>
        cluster?.podToken(pod) ??
        keys.mintToken({
          issuer: STORY_ISSUER,
          audience: 'pods.eks.amazonaws.com',
          namespace: pod.namespace ?? 'default',
          serviceAccount: pod.serviceAccount ?? 's3-access-sa',
          podName: pod.podName ?? 's3-access-pod',
          ...(pod.nowMs === undefined ? {} : { now: pod.nowMs }),
        }),
      async restartAgent(extra = []) {
        await agent.stop();
        agent = await start(extra);
        return agent;
      },
      async stop() {
        await agent.stop();
        for (const cleanup of cleanups.reverse()) await cleanup();
      },
    };
    return story;
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await cleanup();
    throw error;
  }
}
