import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createDiscoveryKeyFetcher,
  createFileKeyFetcher,
  createKeyFetcher,
  createUriKeyFetcher,
  discoveryUrl,
} from '../../agent/auth/key-sources.js';
import { createKubernetesKeyFetcher } from '../../agent/auth/kubernetes-key-source.js';
import { createClusterKeys } from '../../test-support/cluster-keys.js';
import { freePort, listenOnLoopback } from '../../test-support/loopback.js';

const keys = await createClusterKeys();

type Handler = (
  path: string,
  headers: IncomingHttpHeaders,
) => { status?: number; body?: unknown; raw?: string; hang?: boolean; location?: string };

let server: Server;
let base: URL;
let handler: Handler;
let seen: Array<{ path: string; headers: IncomingHttpHeaders }>;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'key-sources-'));
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    const answer = handler(req.url ?? '', req.headers);
    if (answer.hang) return;
    res.writeHead(answer.status ?? 200, {
      'content-type': 'application/json',
      ...(answer.location === undefined ? {} : { location: answer.location }),
    });
    res.end(answer.raw ?? JSON.stringify(answer.body ?? {}));
  });
  base = new URL(`http://127.0.0.1:${await listenOnLoopback(server)}`);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
});

describe('file key source', () => {
  it('reads a JWKS file written by the cluster keys', async () => {
    const path = await keys.writeJwksFile(dir);
    expect((await createFileKeyFetcher(path)()).document).toEqual(keys.jwks);
  });

  it.each([
    ['a missing file', 'missing.json', undefined],
    ['a file that is not JSON', 'junk.json', 'not json'],
  ])('rejects %s', async (_, name, content) => {
    if (content !== undefined) await writeFile(join(dir, name), content);
    await expect(createFileKeyFetcher(join(dir, name))()).rejects.toThrow();
  });
});

describe('URI key source', () => {
  it('GETs the JWKS', async () => {
    handler = () => ({ body: keys.jwks });
    expect((await createUriKeyFetcher(new URL('/keys', base))()).document).toEqual(keys.jwks);
    expect(seen.map((s) => s.path)).toEqual(['/keys']);
  });

  it.each<[string, ReturnType<Handler>]>([
    ['a server error', { status: 500 }],
    ['a redirect (never followed)', { status: 302, location: 'http://169.254.169.254/' }],
    ['a body that is not JSON', { raw: '<html>' }],
    ['a body over 1 MiB', { raw: `"${'x'.repeat(1024 * 1024 + 1)}"` }],
  ])('rejects %s', async (_, answer) => {
    handler = () => answer;
    await expect(createUriKeyFetcher(new URL('/keys', base))()).rejects.toThrow();
  });

  it('gives up after the timeout', async () => {
    handler = () => ({ hang: true });
    const started = Date.now();
    await expect(createUriKeyFetcher(new URL('/keys', base), { timeoutMs: 100 })()).rejects.toThrow(
      /timed out/,
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('rejects an unreachable endpoint', async () => {
    const port = await freePort();
    await expect(createUriKeyFetcher(new URL(`http://127.0.0.1:${port}/keys`))()).rejects.toThrow();
  });
});

describe('OIDC discovery key source', () => {
  it.each(['', '/id/ABCDEF'])('follows jwks_uri of the issuer "<server>%s"', async (path) => {
    const issuer = new URL(`${base.origin}${path}`);
    handler = (p) =>
      p === `${path}/.well-known/openid-configuration`
        ? { body: { issuer: issuer.href.replace(/\/$/, ''), jwks_uri: `${base.origin}/openid/v1/jwks` } }
        : p === '/openid/v1/jwks'
          ? { body: keys.jwks }
          : { status: 404 };
    const result = await createDiscoveryKeyFetcher(issuer)();
    expect(result.document).toEqual(keys.jwks);
    expect(result.issuer).toBe(issuer.href.replace(/\/$/, ''));
    expect(seen.map((s) => s.path)).toEqual([`${path}/.well-known/openid-configuration`, '/openid/v1/jwks']);
  });

  it.each<[string, unknown]>([
    ['names another issuer', { issuer: 'https://evil.example', jwks_uri: 'https://evil.example/keys' }],
    ['has no jwks_uri', { issuer: 'ISSUER' }],
    ['has a non-http jwks_uri', { issuer: 'ISSUER', jwks_uri: 'file:///etc/passwd' }],
  ])('rejects a discovery document that %s', async (_, document) => {
    handler = () => ({ body: JSON.parse(JSON.stringify(document).replaceAll('ISSUER', base.origin)) });
    await expect(createDiscoveryKeyFetcher(base)()).rejects.toThrow();
  });

  it('builds the discovery URL under the issuer path', () => {
    expect(discoveryUrl('https://oidc.example/id/X/').href).toBe(
      'https://oidc.example/id/X/.well-known/openid-configuration',
    );
  });
});

// Reading keys from a real API server: test/auth/kubernetes-key-source-tls.test.ts.
describe('Kubernetes key source', () => {
  it('refuses to start outside a cluster', () => {
    expect(() => createKubernetesKeyFetcher({})).toThrow(/KUBERNETES_SERVICE_HOST/);
  });
});

describe('createKeyFetcher', () => {
  it('builds file, URI and discovery fetchers from the config', async () => {
    handler = (p) =>
      p === '/.well-known/openid-configuration'
        ? { body: { issuer: base.origin, jwks_uri: `${base.origin}/jwks` } }
        : { body: keys.jwks };
    const path = await keys.writeJwksFile(dir);
    for (const fetcher of [
      createKeyFetcher({ kind: 'file', path }),
      createKeyFetcher({ kind: 'uri', uri: new URL('/jwks', base) }),
      createKeyFetcher({ kind: 'discovery', issuer: base }),
    ])
      expect((await fetcher()).document).toEqual(keys.jwks);
  });
});
