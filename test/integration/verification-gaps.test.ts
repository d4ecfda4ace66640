/**
 * Verification rules checked against the built agent as a pod would meet them (security.md threats
 * 1, 2, 6 and 10): exact audience, an EKS Auth answer about another service account never served,
 * `Cache-Control: no-store` on credentials, and a token refused only for its not-before accepted
 * once that has come.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AUDIENCE, type LocalAgent, startLocalAgent } from '../../test-support/local-agent.js';

let local: LocalAgent;
beforeAll(async () => {
  local = await startLocalAgent();
}, 60_000);
afterAll(async () => {
  await local?.stop();
});

async function ask(token: string) {
  const response = await fetch(local.agent.url, { headers: { authorization: token } });
  const body = (await response.json()) as { code?: string };
  return { status: response.status, code: body.code, cacheControl: response.headers.get('cache-control') };
}

describe('the built agent verifying tokens', () => {
  it('refuses a token for our audience and another one, without asking the credential service', async () => {
    const before = local.eksAuth.calls.total;
    const token = await local.token({
      audience: [LOCAL_AUDIENCE, 'https://kubernetes.default.svc'],
      podName: 'two-audiences',
    });
    expect(await ask(token)).toMatchObject({ status: 401, code: 'InvalidToken' });
    expect(local.eksAuth.calls.total).toBe(before);
  });

  it('never serves or caches credentials the credential service says are for another service account', async () => {
    local.eksAuth.setFault('wrong-subject');
    try {
      const token = await local.token({ podName: 'mixed-up' });
      expect(await ask(token)).toMatchObject({ status: 503, code: 'UpstreamUnavailable' });
      local.eksAuth.setFault('none');
      const before = local.eksAuth.calls.total;
      expect(await ask(token)).toMatchObject({ status: 200 });
      expect(local.eksAuth.calls.total).toBe(before + 1);
    } finally {
      local.eksAuth.setFault('none');
    }
  }, 30_000);

  it('warned once at start-up that --endpoint is plain http, allowed by --allow-plain-http', () => {
    const warnings = local.agent.lines
      .map((line) => JSON.parse(line) as { level?: string; flag?: string; msg?: string })
      .filter((line) => line.msg?.startsWith('plain-http URL'));
    expect(warnings).toEqual([expect.objectContaining({ level: 'warn', flag: '--endpoint' })]);
  });

  it('answers credentials with Cache-Control: no-store', async () => {
    expect(await ask(await local.token())).toMatchObject({ status: 200, cacheControl: 'no-store' });
  });

  it('serves a token refused for its not-before as soon as that has come', async () => {
    const now = Math.floor(Date.now() / 1000);
    // 60 s leeway: not valid for about 3 s more.
    const token = await local.token({ podName: 'early', iat: now, nbf: now + 63, exp: now + 3600 });
    expect(await ask(token)).toMatchObject({ status: 401, code: 'ExpiredToken' });
    await sleep(4_500);
    expect(await ask(token)).toMatchObject({ status: 200 });
  }, 20_000);
});
