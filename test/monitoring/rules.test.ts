import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { needs } from '../../test-support/needs.js';
import { prometheusProblem, promtool } from '../../test-support/prometheus.js';
import { alertRules, githubAnchors, RULES_FILE, ruleGroups } from './monitoring-files.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CASES = fileURLToPath(new URL('./alerts.promtool.yaml', import.meta.url));

interface AlertCase {
  readonly alertname: string;
  readonly exp_alerts: readonly unknown[];
}

describe.skipIf(!needs(prometheusProblem(), 'the promtool rule tests'))('promtool', () => {
  it('accepts the chart rule file and the PrometheusRule of manifests/monitoring', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    const manifest = parse(readFileSync(join(ROOT, 'manifests/monitoring/prometheus-rule.yaml'), 'utf8'));
    writeFileSync(join(dir, 'manifest.rules.yaml'), JSON.stringify(manifest.spec));
    for (const file of [RULES_FILE, join(dir, 'manifest.rules.yaml')]) {
      const run = promtool(['check', 'rules', file]);
      expect(run.output).toContain('SUCCESS');
      expect(run.status, run.output).toBe(0);
    }
  });

  it('passes every unit test of alerts.promtool.yaml', () => {
    const run = promtool(['test', 'rules', CASES]);
    expect(run.status, run.output).toBe(0);
  });
});

describe('alert rules and their unit tests', () => {
  const cases = (
    parse(readFileSync(CASES, 'utf8')) as { tests: { alert_rule_test?: AlertCase[] }[] }
  ).tests.flatMap((t) => t.alert_rule_test ?? []);

  it.each(alertRules().map((r) => r.alert))(
    '%s has a case where it fires and one where it does not',
    (name) => {
      const mine = cases.filter((c) => c.alertname === name);
      expect(mine.some((c) => c.exp_alerts.length > 0)).toBe(true);
      expect(mine.some((c) => c.exp_alerts.length === 0)).toBe(true);
    },
  );

  it('links every alert to a runbook heading that exists in docs/troubleshooting.md', () => {
    const anchors = githubAnchors(readFileSync(join(ROOT, 'docs/troubleshooting.md'), 'utf8'));
    for (const rule of alertRules()) {
      const url = rule.annotations.runbook_url ?? '';
      expect(url, rule.alert).toMatch(/\/docs\/troubleshooting\.md#/);
      expect(anchors, `${rule.alert}: ${url}`).toContain(url.slice(url.indexOf('#') + 1));
    }
  });

  it('ships the same groups in manifests/monitoring/prometheus-rule.yaml as in the chart', () => {
    const manifest = parse(readFileSync(join(ROOT, 'manifests/monitoring/prometheus-rule.yaml'), 'utf8'));
    expect(manifest.kind).toBe('PrometheusRule');
    expect(manifest.spec.groups).toEqual(ruleGroups());
  });

  it('ships the same dashboard in manifests/monitoring/ as in the chart', () => {
    const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
    expect(read('manifests/monitoring/dashboard.json')).toBe(
      read('charts/pod-identity-agent/files/dashboard.json'),
    );
  });
});
