/**
 * A real Prometheus on loopback scrapes the built agent (against the EKS Auth stand-in) every second
 * and evaluates the shipped rules, while the test drives known traffic: the series it stores carry
 * the counts the traffic implies, every recording rule and alert evaluates without error, and every
 * panel query of the dashboard returns series.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAgent, startLocalAgent } from '../../test-support/local-agent.js';
import { needs } from '../../test-support/needs.js';
import {
  type PrometheusServer,
  prometheusProblem,
  type Sample,
  startPrometheus,
} from '../../test-support/prometheus.js';
import { dashboardQueries, RULES_FILE, ruleGroups } from './monitoring-files.js';

const NODE = 'ip-10-0-1-23.ec2.internal';
const SELECTOR = `job="pod-identity-agent", node="${NODE}"`;

/** Polls `expr` until `done` holds for its samples (at most 30 s); returns the last samples. */
async function until(
  prometheus: PrometheusServer,
  expr: string,
  done: (samples: Sample[]) => boolean,
): Promise<Sample[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const samples = await prometheus.query(expr);
    if (done(samples) || Date.now() > deadline) return samples;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** `{label value: sample value}` of samples keyed by one label. */
const byLabel = (samples: Sample[], label: string) =>
  Object.fromEntries(samples.map((s) => [s.metric[label] ?? '', s.value]));

describe.skipIf(!needs(prometheusProblem(), 'the Prometheus scrape test'))(
  'Prometheus scraping the agent',
  () => {
    let local: LocalAgent;
    let prometheus: PrometheusServer;
    const statuses: number[] = [];

    beforeAll(async () => {
      local = await startLocalAgent();
      prometheus = await startPrometheus({
        targets: [
          {
            job: 'pod-identity-agent',
            address: `127.0.0.1:${local.agent.metricsPort}`,
            labels: { node: NODE },
          },
        ],
        ruleFiles: [RULES_FILE],
      });
      // One scrape before the traffic, so every counter has a sample before it grows.
      await until(prometheus, `up{${SELECTOR}}`, (s) => s[0]?.value === 1);
      const get = async (headers: Record<string, string>) => {
        const response = await fetch(local.agent.url, { headers, signal: AbortSignal.timeout(20_000) });
        await response.arrayBuffer();
        statuses.push(response.status);
      };
      const podA = await local.token({ podName: 'pod-a' });
      for (let i = 0; i < 10; i++) await get({ authorization: podA });
      for (let i = 0; i < 3; i++) await get({});
      local.eksAuth.setFault('unavailable');
      await get({ authorization: await local.token({ podName: 'pod-b' }) });
      local.eksAuth.setFault('none');
    }, 90_000);

    afterAll(async () => {
      await prometheus?.stop();
      await local?.stop();
    });

    it('drove the traffic it meant to: ten answers, three refusals without a token, one upstream failure', () => {
      expect(statuses).toEqual([...Array(10).fill(200), 401, 401, 401, 503]);
    });

    it('stores the request counts by status, labelled with the node', async () => {
      const expr = `pod_identity_requests_total{${SELECTOR}}`;
      const samples = await until(prometheus, expr, (s) => byLabel(s, 'code')['503'] === 1);
      expect(byLabel(samples, 'code')).toEqual({ '200': 10, '401': 3, '503': 1 });
    });

    it('stores one miss per pod and a hit for every later request of the same pod', async () => {
      const expr = `pod_identity_cache_events_total{${SELECTOR}, event=~"hit|miss"}`;
      const samples = await until(prometheus, expr, (s) => byLabel(s, 'event').miss === 2);
      expect(byLabel(samples, 'event')).toEqual({ hit: 9, miss: 2 });
    });

    it('stores one upstream success and the failed attempts the agent itself reports', async () => {
      const own = await local.agent.metrics();
      const reported = Number(
        /pod_identity_upstream_requests_total\{api="AssumeRoleForPodIdentity",outcome="unavailable"\} (\d+)/.exec(
          own,
        )?.[1],
      );
      expect(reported).toBeGreaterThanOrEqual(1);
      const expr = `pod_identity_upstream_requests_total{${SELECTOR}, api="AssumeRoleForPodIdentity"}`;
      const samples = await until(prometheus, expr, (s) => byLabel(s, 'outcome').unavailable === reported);
      expect(byLabel(samples, 'outcome')).toEqual({ success: 1, unavailable: reported });
    });

    it('stores build_info and the runtime series under the agent prefix', async () => {
      const [info] = await prometheus.query(`pod_identity_build_info{${SELECTOR}}`);
      expect(info?.metric).toMatchObject({
        version: expect.stringMatching(/^\d+\.\d+\.\d+/),
        node_version: process.versions.node,
      });
      const [rss] = await prometheus.query(`pod_identity_process_resident_memory_bytes{${SELECTOR}}`);
      expect(rss?.value).toBeGreaterThan(10 * 1024 * 1024);
    });

    it('evaluates every recording rule and alert expression without error', async () => {
      const rules = ruleGroups().flatMap((g) => g.rules);
      for (const rule of rules) await expect(prometheus.query(rule.expr), rule.expr).resolves.toBeDefined();
      const evaluated = async () =>
        (
          await prometheus.api<{
            groups: { rules: { name: string; health: string; lastError?: string }[] }[];
          }>('rules')
        ).groups.flatMap((g) => g.rules);
      const deadline = Date.now() + 30_000;
      let loaded = await evaluated();
      while (loaded.some((r) => r.health === 'unknown') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        loaded = await evaluated();
      }
      expect(loaded.map((r) => r.name).sort()).toEqual(rules.map((r) => r.record ?? r.alert).sort());
      for (const rule of loaded)
        expect({ rule: rule.name, health: rule.health, error: rule.lastError ?? '' }).toEqual({
          rule: rule.name,
          health: 'ok',
          error: '',
        });
    });

    it('finds series for every panel query of the dashboard', async () => {
      const queries = dashboardQueries();
      expect(queries.length).toBeGreaterThan(10);
      for (const { panel, expr } of queries) {
        const promql = expr.replaceAll('$node', '.+').replaceAll('$__rate_interval', '1m');
        const samples = await until(prometheus, promql, (s) => s.length > 0);
        expect(samples.length, `${panel}: ${promql}`).toBeGreaterThan(0);
      }
    });
  },
);
