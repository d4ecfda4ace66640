/**
 * The built agent against the EKS Auth stand-in minting credentials locally (no moto, no network):
 * a cluster signing key and its JWKS file, the stand-in mapping `default/s3-access-sa` to a role, and
 * the agent process. For the hostile-input, flood and leak tests, which need a real process but not S3.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AgentProcess, type StartAgentOptions, startAgent } from './agent-process.js';
import { type ClusterKeys, createClusterKeys, type TokenClaims } from './cluster-keys.js';
import { type EksAuthService, startEksAuthService } from './eks-auth-service.js';

export const LOCAL_ISSUER = 'https://oidc.local.example/id/LOCAL';
export const LOCAL_AUDIENCE = 'pods.eks.amazonaws.com';
export const LOCAL_ROLE_ARN = 'arn:aws:iam::123456789012:role/S3AccessRole';
/** The node's own AWS credentials (the agent signs EKS Auth calls with them). */
export const LOCAL_NODE_CREDENTIALS = Object.freeze({
  accessKeyId: 'AKIALOCALNODE0000001',
  secretAccessKey: 'LocalNodeSecretKey0000000000000000000000',
});

/** A running local agent. */
export interface LocalAgent {
  readonly keys: ClusterKeys;
  readonly eksAuth: EksAuthService;
  readonly agent: AgentProcess;
  /** `127.0.0.1:<port>`, the Host header the agent accepts. */
  readonly host: string;
  /** Mints a token of `default/s3-access-sa` (claims overridable). */
  token(claims?: Partial<TokenClaims>): Promise<string>;
  stop(): Promise<void>;
}

/** Starts the stand-in and the agent with `agentArgs` appended to the flags of docs/configuration.md's example. */
export async function startLocalAgent(
  agentArgs: readonly string[] = [],
  launch: Pick<StartAgentOptions, 'commandPrefix'> = {},
): Promise<LocalAgent> {
  const keys = await createClusterKeys({ alg: 'RS256', kid: 'local-key-1' });
  const jwksFile = await keys.writeJwksFile(mkdtempSync(join(tmpdir(), 'local-jwks-')));
  const eksAuth = await startEksAuthService({
    jwks: keys.jwks,
    issuer: LOCAL_ISSUER,
    clusterName: 'demo',
    associations: [{ namespace: 'default', serviceAccount: 's3-access-sa', roleArn: LOCAL_ROLE_ARN }],
    nodeCredentials: LOCAL_NODE_CREDENTIALS,
    mint: 'local',
  });
  try {
    const agent = await startAgent({
      ...launch,
      args: [
        '--exchange',
        'eks-auth',
        '--cluster-name',
        'demo',
        '--region',
        'us-east-1',
        '--endpoint',
        eksAuth.endpoint,
        '--allow-plain-http',
        '--issuer',
        LOCAL_ISSUER,
        '--audience',
        LOCAL_AUDIENCE,
        '--jwks-file',
        jwksFile,
        ...agentArgs,
      ],
      env: {
        AWS_ACCESS_KEY_ID: LOCAL_NODE_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_NODE_CREDENTIALS.secretAccessKey,
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    });
    return {
      keys,
      eksAuth,
      agent,
      host: `127.0.0.1:${agent.port}`,
      token: (claims = {}) =>
        keys.mintToken({
          issuer: LOCAL_ISSUER,
          audience: LOCAL_AUDIENCE,
          namespace: 'default',
          serviceAccount: 's3-access-sa',
          podName: 's3-access-pod',
          ...claims,
        }),
      async stop() {
        await agent.stop();
        await eksAuth.stop();
      },
    };
  } catch (error) {
    await eksAuth.stop();
    throw error;
  }
}
