/**
 * A flood from another process (autocannon at 127.0.0.1) against the built agent with the default
 * rate limit (docs/security.md threat 9): the flooding address is throttled, a forged
 * token costs one signature check and no upstream call, and a pod at another address keeps being
 * served throughout.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterKeys } from '../../test-support/cluster-keys.js';
import {
  LOCAL_AUDIENCE,
  LOCAL_ISSUER,
  type LocalAgent,
  startLocalAgent,
} from '../../test-support/local-agent.js';

const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
const FLOOD_SECONDS = 3;

interface FloodResult {
  readonly requests: { readonly total: number };
  readonly statusCodeStats: Readonly<Record<string, { readonly count: number }>>;
  readonly errors: number;
}

let local: LocalAgent;
beforeAll(async () => {
  local = await startLocalAgent(); // default --rate-limit 50 (burst 100)
}, 60_000);
afterAll(async () => {
  await local?.stop();
});

/** Runs autocannon in its own process for FLOOD_SECONDS with `authorization`, from 127.0.0.1. */
function flood(authorization: string): Promise<FloodResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        AUTOCANNON,
        '-j',
        '-c',
        '50',
        '-d',
        String(FLOOD_SECONDS),
        '-H',
        `authorization=${authorization}`,
        local.agent.url,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', () => {
      try {
        resolve(JSON.parse(out) as FloodResult);
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** A pod's GET from its own address (127.0.0.x); resolves to the status and the milliseconds taken. */
function podRequest(token: string, localAddress: string): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(
      local.agent.url,
      { headers: { authorization: token }, localAddress, agent: false, timeout: 10_000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Date.now() - started }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('pod request timed out')));
    req.on('error', reject).end();
  });
}

/** Polls a pod every 250 ms while `during` runs. */
async function servedDuring<T>(token: string, localAddress: string, during: Promise<T>) {
  const answers: { status: number; ms: number }[] = [];
  let done = false;
  const result = during.finally(() => {
    done = true;
  });
  while (!done) {
    answers.push(await podRequest(token, localAddress));
    await sleep(250);
  }
  return { result: await result, answers };
}

function metricValue(text: string, name: string, label: string): number {
  const match = new RegExp(`^${name}\\{${label}\\} (\\d+)`, 'm').exec(text);
  return Number(match?.[1] ?? 0);
}

describe('a flood from another process on the node', () => {
  it('throttles a forged-token flood, checks its signature once, calls no upstream, and keeps serving a pod', async () => {
    const attacker = await createClusterKeys({ kid: 'local-key-1' });
    const forged = await attacker.mintToken({
      issuer: LOCAL_ISSUER,
      audience: LOCAL_AUDIENCE,
      namespace: 'default',
      serviceAccount: 's3-access-sa',
      podName: 'forged',
    });
    const pod = await local.token({ podName: 'victim-pod' });
    expect((await podRequest(pod, '127.0.0.5')).status).toBe(200);
    const upstreamBefore = local.eksAuth.calls.total;
    const linesBefore = local.agent.lines.length;

    const { result, answers } = await servedDuring(pod, '127.0.0.5', flood(forged));

    expect(answers.length).toBeGreaterThanOrEqual(2);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    // Generous: the machine has 2 cores and the flood and other test files share them.
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(5_000);
    const codes = Object.keys(result.statusCodeStats);
    expect(codes.every((c) => c === '401' || c === '429')).toBe(true);
    expect(result.statusCodeStats['429']?.count ?? 0).toBeGreaterThan(
      result.statusCodeStats['401']?.count ?? 0,
    );
    // Burst 100 plus 50/s: at most ~100 + 50 × (duration + slack) reach the verifier.
    expect(result.statusCodeStats['401']?.count ?? 0).toBeLessThanOrEqual(100 + 50 * (FLOOD_SECONDS + 2));
    expect(local.eksAuth.calls.total).toBe(upstreamBefore);
    // Throttled refusals are not logged at info: the log grows with admitted requests only.
    const admitted = (result.statusCodeStats['401']?.count ?? 0) + answers.length;
    expect(local.agent.lines.length - linesBefore).toBeLessThanOrEqual(admitted + 10);
    const metrics = await local.agent.metrics();
    expect(metricValue(metrics, 'pod_identity_token_validations_total', 'result="invalid"')).toBe(1);
    expect(metrics).not.toMatch(/pod_identity_requests_total\{code="5\d\d"\}/);
  }, 30_000);

  it('throttles a flood of one good token after its burst, with one upstream call, while another pod is served', async () => {
    const greedy = await local.token({ podName: 'greedy-pod' });
    const pod = await local.token({ podName: 'quiet-pod' });
    await sleep(2_100); // let 127.0.0.1's bucket refill after the previous flood
    const upstreamBefore = local.eksAuth.calls.total;

    const { result, answers } = await servedDuring(pod, '127.0.0.6', flood(greedy));

    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(Object.keys(result.statusCodeStats).sort()).toEqual(['200', '429']);
    expect(result.statusCodeStats['200']?.count ?? 0).toBeGreaterThanOrEqual(100);
    expect(result.statusCodeStats['200']?.count ?? 0).toBeLessThanOrEqual(100 + 50 * (FLOOD_SECONDS + 2));
    // greedy-pod and quiet-pod: one exchange each.
    expect(local.eksAuth.calls.total - upstreamBefore).toBe(2);
    expect(local.agent.child.exitCode).toBeNull();
  }, 30_000);
});
