import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubernetesKeyFetcher } from '../../agent/auth/kubernetes-key-source.js';
import { createClusterKeys } from '../../test-support/cluster-keys.js';
import { listenOnLoopback } from '../../test-support/loopback.js';

const keys = await createClusterKeys();
let dir: string;
let server: Server;
let port: number;

/** A self-signed certificate for 127.0.0.1, standing in for the cluster CA and the API server. */
function selfSigned(name: string): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=kube-apiserver',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, `${name}.key`),
      '-out',
      join(dir, `${name}.crt`),
    ],
    { stdio: 'ignore' },
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kube-tls-'));
  selfSigned('server');
  selfSigned('other');
  await writeFile(join(dir, 'token'), 'sa-token');
  server = createServer(
    { key: await readFile(join(dir, 'server.key')), cert: await readFile(join(dir, 'server.crt')) },
    (req, res) => {
      res.writeHead(req.headers.authorization === 'Bearer sa-token' ? 200 : 401, {
        'content-type': 'application/json',
      });
      res.end(
        JSON.stringify(
          req.url === '/openid/v1/jwks' ? keys.jwks : { issuer: 'https://kubernetes.default.svc' },
        ),
      );
    },
  );
  port = await listenOnLoopback(server);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('Kubernetes key source over TLS', () => {
  it('trusts the API server through the service-account CA bundle', async () => {
    const fetcher = createKubernetesKeyFetcher({
      serviceHost: '127.0.0.1',
      servicePort: String(port),
      tokenPath: join(dir, 'token'),
      caPath: join(dir, 'server.crt'),
    });
    expect(await fetcher()).toEqual({ document: keys.jwks, issuer: 'https://kubernetes.default.svc' });
  });

  it('refuses an API server whose certificate the CA bundle does not vouch for', async () => {
    const fetcher = createKubernetesKeyFetcher({
      serviceHost: '127.0.0.1',
      servicePort: String(port),
      tokenPath: join(dir, 'token'),
      caPath: join(dir, 'other.crt'),
    });
    await expect(fetcher()).rejects.toThrow();
  });
});
