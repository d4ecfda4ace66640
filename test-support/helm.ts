/**
 * Helm, as pinned in tools/helm/go.mod and built by tools/helm/build.sh (CI: .ci/setup.d/40-helm.sh)
 * into the tool cache, run on the project's chart.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** The chart's folder. */
export const CHART = fileURLToPath(new URL('../charts/pod-identity-agent', import.meta.url));

/** The Helm version pinned in tools/helm/go.mod. */
export function helmVersion(): string {
  const mod = readFileSync(new URL('../tools/helm/go.mod', import.meta.url), 'utf8');
  const version = /^\s*helm\.sh\/helm\/v3 (v\S+)/m.exec(mod)?.[1];
  if (version === undefined) throw new Error('tools/helm/go.mod does not require helm.sh/helm/v3');
  return version;
}

/** Where tools/helm/build.sh puts the binary (`POD_IDENTITY_AGENT_CACHE` overrides the cache root). */
export const HELM = join(
  process.env.POD_IDENTITY_AGENT_CACHE || join(homedir(), '.cache', 'pod-identity-agent'),
  'helm',
  helmVersion(),
  'helm',
);

/** Why Helm cannot run here, or undefined when it can. */
export function helmProblem(): string | undefined {
  if (!existsSync(HELM)) return `${HELM} is missing (build it with tools/helm/build.sh)`;
  const probe = spawnSync(HELM, ['version', '--short'], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : `${HELM} does not run: ${probe.error?.message ?? probe.stderr}`;
}

/** Runs `helm <args>`; returns its exit status and output (stdout, then stderr). */
export function helm(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(HELM, args, {
    encoding: 'utf8',
    timeout: 60_000,
    // No user configuration, cache or plugins of the machine's own Helm.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HELM_CONFIG_HOME: tmpdir(), HELM_CACHE_HOME: tmpdir() },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Writes `values` to a file for `-f` (JSON is YAML). */
export function valuesFile(values: object): string {
  const file = join(mkdtempSync(join(tmpdir(), 'helm-values-')), 'values.json');
  writeFileSync(file, JSON.stringify(values));
  return file;
}

/** `helm template pod-identity-agent <chart> --namespace kube-system -f <values>`, as Helm answered. */
export function runHelmTemplate(values: object = {}): ReturnType<typeof helm> {
  return helm([
    'template',
    'pod-identity-agent',
    CHART,
    '--namespace',
    'kube-system',
    '-f',
    valuesFile(values),
  ]);
}

/**
 * {@link runHelmTemplate}, parsed (empty
 * documents dropped). Throws with Helm's error when rendering fails.
 */
export function helmTemplate(values: object = {}): Record<string, unknown>[] {
  const run = runHelmTemplate(values);
  if (run.status !== 0) throw new Error(`helm template failed: ${run.stderr}`);
  const docs = parseAllDocuments(run.stdout);
  // Duplicate keys and other YAML errors: the API server would reject or silently merge them.
  const errors = docs.flatMap((doc) => doc.errors.map((e) => e.message));
  if (errors.length > 0) throw new Error(`helm template rendered invalid YAML: ${errors.join('; ')}`);
  return docs
    .map((doc) => doc.toJS() as Record<string, unknown> | null)
    .filter((o): o is Record<string, unknown> => o !== null);
}
