/**
 * The built agent's own calls (EKS Auth, and the key set from --jwks-uri over https with
 * AWS_CA_BUNDLE) through a real forward proxy, tinyproxy, started on loopback: the stand-ins see the
 * calls arrive from the proxy's outgoing address, and NO_PROXY sends them direct again.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, startAgent } from '../../test-support/agent-process.js';
import { type ClusterKeys, createClusterKeys } from '../../test-support/cluster-keys.js';
import { type EksAuthService, startEksAuthService } from '../../test-support/eks-auth-service.js';
import { listenOnLoopback } from '../../test-support/loopback.js';
import { needs } from '../../test-support/needs.js';
import { makeSelfSignedCert } from '../../test-support/self-signed-cert.js';
import {
  PROXY_OUTGOING_ADDRESS,
  startTinyproxy,
  type Tinyproxy,
  tinyproxyProblem,
} from '../../test-support/tinyproxy.js';

const ISSUER = 'https://oidc.proxy.example/id/PROXY';
const NODE = {
  accessKeyId: 'AKIANODEPROXY0000001',
  secretAccessKey: 'node-secret-key-for-the-proxy-test-00000',
};

describe.skipIf(!needs(tinyproxyProblem(), 'the proxy tests'))('the agent behind an HTTP proxy', () => {
  let dir: string;
  let keys: ClusterKeys;
  let proxy: Tinyproxy;
  let eksAuth: EksAuthService;
  let jwksServer: Server;
  let jwksUri: string;
  let caBundle: string;
  const jwksSources: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pia-proxy-'));
    keys = await createClusterKeys({ alg: 'ES256', kid: 'proxy-key' });
    const cert = await makeSelfSignedCert(dir, 'jwks', '127.0.0.1');
    caBundle = cert.certFile;
    jwksServer = createServer(
      { cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) },
      (req, res) => {
        jwksSources.push(req.socket.remoteAddress ?? '');
        res.setHeader('content-type', 'application/json').end(JSON.stringify(keys.jwks));
      },
    );
    jwksUri = `https://127.0.0.1:${await listenOnLoopback(jwksServer)}/openid/v1/jwks`;
    eksAuth = await startEksAuthService({
      jwks: keys.jwks,
      issuer: ISSUER,
      clusterName: 'demo',
      associations: [
        { namespace: 'default', serviceAccount: 'app', roleArn: 'arn:aws:iam::123456789012:role/App' },
      ],
      nodeCredentials: NODE,
      mint: 'local',
    });
    proxy = await startTinyproxy();
  }, 60_000);

  afterAll(async () => {
    await proxy?.stop();
    await eksAuth?.stop();
    jwksServer?.closeAllConnections();
    await new Promise((resolve) => jwksServer?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the agent with the proxy variables and `extraEnv`, fetches credentials once, stops it. */
  async function fetchThroughAgent(extraEnv: Record<string, string>): Promise<number> {
    const agent: AgentProcess = await startAgent({
      args: [
        ...['--exchange=eks-auth', '--cluster-name=demo', `--issuer=${ISSUER}`, `--jwks-uri=${jwksUri}`],
        // The EKS Auth stand-in (AWS_ENDPOINT_URL_EKS_AUTH) is plain http.
        '--allow-plain-http',
      ],
      env: {
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_EKS_AUTH: eksAuth.endpoint,
        AWS_ACCESS_KEY_ID: NODE.accessKeyId,
        AWS_SECRET_ACCESS_KEY: NODE.secretAccessKey,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CA_BUNDLE: caBundle,
        HTTPS_PROXY: proxy.url,
        HTTP_PROXY: proxy.url,
        ...extraEnv,
      },
    });
    try {
      const token = await keys.mintToken({
        issuer: ISSUER,
        audience: 'pods.eks.amazonaws.com',
        namespace: 'default',
        serviceAccount: 'app',
        podName: 'app-1',
      });
      const response = await fetch(agent.url, { headers: { authorization: token } });
      await response.arrayBuffer();
      return response.status;
    } finally {
      await agent.stop();
    }
  }

  it('sends EKS Auth calls and the https key-set fetch through the proxy, trusting AWS_CA_BUNDLE', async () => {
    const before = { eks: eksAuth.sources.length, jwks: jwksSources.length };
    expect(await fetchThroughAgent({})).toBe(200);
    const eksSources = eksAuth.sources.slice(before.eks);
    const keySources = jwksSources.slice(before.jwks);
    expect(eksSources.length).toBeGreaterThan(0);
    expect(keySources.length).toBeGreaterThan(0);
    expect(new Set([...eksSources, ...keySources])).toEqual(new Set([PROXY_OUTGOING_ADDRESS]));
    const connects = proxy.connects();
    expect(connects).toContain(new URL(eksAuth.endpoint).host);
    expect(connects).toContain(new URL(jwksUri).host);
  }, 60_000);

  it('goes direct for hosts NO_PROXY names', async () => {
    const before = {
      eks: eksAuth.sources.length,
      jwks: jwksSources.length,
      connects: proxy.connects().length,
    };
    expect(await fetchThroughAgent({ NO_PROXY: 'localhost,127.0.0.1' })).toBe(200);
    const sources = [...eksAuth.sources.slice(before.eks), ...jwksSources.slice(before.jwks)];
    expect(sources.length).toBeGreaterThan(1);
    expect(new Set(sources)).toEqual(new Set(['127.0.0.1']));
    expect(proxy.connects().length).toBe(before.connects);
  }, 60_000);
});
