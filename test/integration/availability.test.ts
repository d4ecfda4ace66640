/**
 * Availability under a pod's attacks, against the built agent in a memory cgroup with the
 * DaemonSet's limits (256 MiB, one CPU): thousands of half-sent requests on the credentials, metrics
 * and probe listeners. The agent stays alive, under its limit and never OOM-killed, and a pod at
 * another address keeps being served. Each attacking pod is a loopback source address of its own.
 */
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Cgroup,
  cgroupProblem,
  createCgroup,
  DAEMONSET_CPU_QUOTA_US,
  DAEMONSET_MEMORY_BYTES,
} from '../../test-support/cgroup.js';
import { runHalfSentFlood } from '../../test-support/half-sent-flood.js';
import { type LocalAgent, startLocalAgent } from '../../test-support/local-agent.js';
import { needs } from '../../test-support/needs.js';

const ATTACK_MS = 12_000;

/** One GET from `localAddress`; resolves with the status and how long it took, or 0 on a failure. */
function get(
  url: string,
  localAddress: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const req = request(url, { headers, localAddress, agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Date.now() - started }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, ms: Date.now() - started }));
    req.end();
  });
}

/** Asks every `everyMs` until `until` resolves; returns every answer. */
async function keepAsking(
  ask: () => Promise<{ status: number; ms: number }>,
  until: Promise<void>,
  everyMs = 250,
) {
  const answers: { status: number; ms: number }[] = [];
  let over = false;
  void until.then(() => {
    over = true;
  });
  while (!over) {
    answers.push(await ask());
    await sleep(everyMs);
  }
  return answers;
}

describe.skipIf(!needs(cgroupProblem(), 'the availability attacks in a memory cgroup'))(
  'the built agent in a 256 MiB cgroup under a pod attack',
  () => {
    let cgroup: Cgroup;
    let local: LocalAgent;
    let token: string;
    beforeAll(async () => {
      cgroup = createCgroup('agent', {
        memoryBytes: DAEMONSET_MEMORY_BYTES,
        cpuQuotaUs: DAEMONSET_CPU_QUOTA_US,
      });
      local = await startLocalAgent(['--rate-limit', '0'], { commandPrefix: cgroup.commandPrefix });
      token = await local.token();
    }, 60_000);
    afterAll(async () => {
      await local?.stop();
      cgroup?.remove();
    });

    it.each([
      ['credentials', () => local.agent.port, 20, 600],
      ['metrics', () => local.agent.metricsPort, 20, 600],
      ['probe', () => local.agent.probePort, 20, 600],
    ])(
      'stays under its memory limit and serves another pod while %s is flooded with half-sent requests',
      async (_listener, port, pods, perPod) => {
        const sources = Array.from({ length: pods }, (_, i) => `127.0.2.${i + 1}`);
        cgroup.resetPeak();
        const attack = runHalfSentFlood({ port: port(), sources, perSource: perPod, durationMs: ATTACK_MS });
        const answers = await keepAsking(
          () => get(local.agent.url, '127.0.3.1', { authorization: token }),
          attack.then(() => undefined),
        );
        const flood = await attack;
        const memory = cgroup.memory();
        process.stderr.write(
          `${_listener}: ${flood.attempts} attempts, peak ${flood.peakOpen} open; cgroup peak ${(memory.peak / 2 ** 20).toFixed(0)} MiB, failcnt ${memory.failures}; good answers ${answers.length} (${answers.filter((a) => a.status !== 200).length} not 200), slowest ${Math.max(...answers.map((a) => a.ms))} ms\n`,
        );
        expect(local.agent.child.exitCode).toBeNull();
        expect(memory.oomKills).toBe(0);
        expect(memory.peak).toBeLessThan(DAEMONSET_MEMORY_BYTES * 0.9);
        expect(answers.length).toBeGreaterThanOrEqual(3);
        expect(answers.every((a) => a.status === 200)).toBe(true);
        // The probes still answer once the flood is over.
        expect((await get(`http://127.0.0.1:${local.agent.probePort}/readyz`, '127.0.0.1')).status).toBe(200);
      },
      ATTACK_MS + 30_000,
    );
  },
);
