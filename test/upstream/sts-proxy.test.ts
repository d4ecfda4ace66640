/** The STS client through a real forward proxy (tinyproxy on loopback), and around it with NO_PROXY. */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStsApi } from '../../agent/exchange/sts-client.js';
import { listenOnLoopback } from '../../test-support/loopback.js';
import { needs } from '../../test-support/needs.js';
import {
  PROXY_OUTGOING_ADDRESS,
  startTinyproxy,
  type Tinyproxy,
  tinyproxyProblem,
} from '../../test-support/tinyproxy.js';

const ANSWER = `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>ASIAPROXYTEST0000001</AccessKeyId>
      <SecretAccessKey>secret</SecretAccessKey>
      <SessionToken>session</SessionToken>
      <Expiration>2030-01-01T00:00:00Z</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/App/s</Arn>
      <AssumedRoleId>AROAPROXYTEST:s</AssumedRoleId>
    </AssumedRoleUser>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>proxy-test</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`;

describe.skipIf(!needs(tinyproxyProblem(), 'the proxy tests'))('the STS client behind an HTTP proxy', () => {
  let proxy: Tinyproxy;
  let sts: Server;
  let endpoint: URL;
  const sources: string[] = [];

  beforeAll(async () => {
    proxy = await startTinyproxy();
    sts = createServer((req, res) => {
      sources.push(req.socket.remoteAddress ?? '');
      req.resume().on('end', () => res.setHeader('content-type', 'text/xml').end(ANSWER));
    });
    endpoint = new URL(`http://127.0.0.1:${await listenOnLoopback(sts)}`);
  });
  afterAll(async () => {
    await proxy?.stop();
    sts?.closeAllConnections();
    await new Promise((resolve) => sts?.close(resolve));
  });

  async function assumeRole(noProxy: readonly string[]): Promise<string | undefined> {
    const api = createStsApi({
      region: 'us-west-2',
      endpoint,
      route: { httpProxy: new URL(proxy.url), noProxy },
    });
    try {
      const out = await api.assumeRoleWithWebIdentity({
        RoleArn: 'arn:aws:iam::123456789012:role/App',
        RoleSessionName: 's',
        WebIdentityToken: 'token',
      });
      return out.Credentials?.AccessKeyId;
    } finally {
      api.destroy();
    }
  }

  it('sends the call through HTTP_PROXY, tunnelled with CONNECT', async () => {
    const before = sources.length;
    expect(await assumeRole([])).toBe('ASIAPROXYTEST0000001');
    expect(sources.slice(before)).toEqual([PROXY_OUTGOING_ADDRESS]);
    expect(proxy.connects()).toContain(endpoint.host);
  });

  it('goes direct when NO_PROXY names the endpoint', async () => {
    const before = { sources: sources.length, connects: proxy.connects().length };
    expect(await assumeRole(['127.0.0.1'])).toBe('ASIAPROXYTEST0000001');
    expect(sources.slice(before.sources)).toEqual(['127.0.0.1']);
    expect(proxy.connects()).toHaveLength(before.connects);
  });
});
