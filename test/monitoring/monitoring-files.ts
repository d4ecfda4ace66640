import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The rule file the chart and manifests/monitoring ship (Prometheus rule file format). */
export const RULES_FILE = fileURLToPath(
  new URL('../../charts/pod-identity-agent/files/pod-identity-agent.rules.yaml', import.meta.url),
);
/** The Grafana dashboard the chart and manifests/monitoring ship. */
export const DASHBOARD_FILE = fileURLToPath(
  new URL('../../manifests/monitoring/dashboard.json', import.meta.url),
);

/** One rule of a group: a recording rule (`record`) or an alert (`alert`). */
export interface Rule {
  readonly record?: string;
  readonly alert?: string;
  readonly expr: string;
  readonly annotations?: Record<string, string>;
}

/** The groups of {@link RULES_FILE}. */
export function ruleGroups(): { name: string; rules: Rule[] }[] {
  return (parse(readFileSync(RULES_FILE, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups;
}

/** Every alerting rule of {@link RULES_FILE}. */
export function alertRules(): (Rule & { alert: string; annotations: Record<string, string> })[] {
  return ruleGroups()
    .flatMap((g) => g.rules)
    .filter((r): r is Rule & { alert: string; annotations: Record<string, string> } => r.alert !== undefined);
}

/** A panel target of the dashboard: its panel's title and its PromQL. */
export interface PanelQuery {
  readonly panel: string;
  readonly expr: string;
}

/** Every PromQL query of the dashboard's panels. */
export function dashboardQueries(): PanelQuery[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as {
    panels: { title: string; type: string; targets?: { expr: string }[] }[];
  };
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
}

/** The anchors GitHub gives the headings of a Markdown document. */
export function githubAnchors(markdown: string): string[] {
  return [...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
    (m[1] as string)
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-'),
  );
}
