/**
 * Pods without an association cannot spend the account's credential-service quota (security.md
 * threat 9): against the built agent and the EKS Auth stand-in, with the per-address rate limit off
 * so that only the upstream guards stand between the pods and the stand-in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAgent, startLocalAgent } from '../../test-support/local-agent.js';

let local: LocalAgent;
beforeAll(async () => {
  local = await startLocalAgent(['--rate-limit', '0']);
}, 60_000);
afterAll(async () => {
  await local?.stop();
});

async function ask(token: string): Promise<{ status: number; code?: string }> {
  const response = await fetch(local.agent.url, { headers: { authorization: token } });
  const body = (await response.json()) as { code?: string };
  return { status: response.status, ...(body.code === undefined ? {} : { code: body.code }) };
}

describe('the built agent against pods without an association', () => {
  it('asks the credential service no more after the first refusal of a service account hammered by 20 pods', async () => {
    const tokens = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        local.token({ serviceAccount: 'no-role-sa', podName: `no-role-${i}` }),
      ),
    );
    const before = local.eksAuth.calls.total;
    const answers: string[] = [];
    const round = async () =>
      answers.push(...(await Promise.all(tokens.map(async (t) => (await ask(t)).code ?? 'ok'))));
    await round(); // 20 pods asking at once: each is a miss already in flight when the first refusal comes
    const firstRound = local.eksAuth.calls.total - before;
    expect(firstRound).toBeLessThanOrEqual(20);
    for (let i = 1; i < 50; i++) await round();
    expect(answers).toHaveLength(1_000);
    // The stand-in refuses an account without an association as EKS Auth does (AccessDenied).
    expect(new Set(answers)).toEqual(new Set(['AccessDenied']));
    expect(local.eksAuth.calls.total - before).toBe(firstRound);
  }, 60_000);

  it('bounds upstream calls for 600 service accounts by the node-wide miss budget, serving a cached pod throughout', async () => {
    const served = await local.token();
    expect((await ask(served)).status).toBe(200);
    const tokens = await Promise.all(
      Array.from({ length: 600 }, (_, i) => local.token({ serviceAccount: `sa-${i}`, podName: `pod-${i}` })),
    );
    const before = local.eksAuth.calls.total;
    const started = Date.now();
    const codes = new Map<string, number>();
    for (let i = 0; i < tokens.length; i += 50) {
      const batch = await Promise.all(tokens.slice(i, i + 50).map(ask));
      for (const { code } of batch) codes.set(code ?? 'ok', (codes.get(code ?? 'ok') ?? 0) + 1);
      expect((await ask(served)).status).toBe(200);
    }
    const seconds = (Date.now() - started) / 1000;
    const calls = local.eksAuth.calls.total - before;
    // Burst 300 (a booting node's pods), then 20 per second.
    expect(calls).toBeLessThanOrEqual(300 + Math.ceil(20 * seconds));
    expect(calls).toBe(codes.get('AccessDenied'));
    expect(codes.get('Throttled') ?? 0).toBe(600 - calls);
  }, 60_000);

  it('logs refused requests within its line budget during a flood, saying how many lines it dropped', async () => {
    const linesBefore = local.agent.lines.length;
    const started = Date.now();
    for (let batch = 0; batch < 20; batch++)
      await Promise.all(Array.from({ length: 100 }, (_, i) => ask(`not-a-jwt-${batch}-${i}`)));
    const seconds = (Date.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 200));
    const refused = local.agent.lines
      .slice(linesBefore)
      .map((line) => JSON.parse(line) as { msg?: string; droppedLines?: number })
      .filter((line) => line.msg === 'request refused');
    // Burst 100, then 20 lines per second, for 2,000 refusals.
    expect(refused.length).toBeLessThanOrEqual(100 + Math.ceil(20 * seconds) + 1);
    expect(refused.some((line) => (line.droppedLines ?? 0) > 0)).toBe(true);
    expect(await ask(await local.token())).toMatchObject({ status: 200 });
  }, 60_000);
});
