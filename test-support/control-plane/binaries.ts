/**
 * Where `tools/build-control-plane.sh` puts kube-apiserver and etcd: a cache outside the work tree,
 * keyed by the versions pinned in `tools/k8s/go.mod` and `tools/etcd/go.mod`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Project root, from test-support/control-plane/ or dist/test-support/control-plane/. */
export const PROJECT_ROOT = fileURLToPath(
  new URL(import.meta.url.includes('/dist/test-support/') ? '../../../' : '../../', import.meta.url),
);

/** The script that builds both binaries if missing (a second run costs nothing). */
export const BUILD_SCRIPT = join(PROJECT_ROOT, 'tools', 'build-control-plane.sh');

/** Paths and versions of the two binaries. */
export interface ControlPlaneBinaries {
  readonly kubernetesVersion: string;
  readonly etcdVersion: string;
  readonly kubeApiserver: string;
  readonly etcd: string;
}

function pinned(goMod: string, module: string): string {
  const text = readFileSync(join(PROJECT_ROOT, goMod), 'utf8');
  const escaped = module.replaceAll('.', '\\.');
  const found = new RegExp(`^\\s*${escaped} (v[^\\s]+)`, 'm').exec(text);
  if (found === null) throw new Error(`${goMod} does not require ${module}`);
  return found[1] as string;
}

/** The pinned versions and where their binaries are cached (`POD_IDENTITY_AGENT_CACHE` overrides the root). */
export function controlPlaneBinaries(): ControlPlaneBinaries {
  const cache = process.env.POD_IDENTITY_AGENT_CACHE || join(homedir(), '.cache', 'pod-identity-agent');
  const kubernetesVersion = pinned('tools/k8s/go.mod', 'k8s.io/kubernetes');
  const etcdVersion = pinned('tools/etcd/go.mod', 'go.etcd.io/etcd/server/v3');
  return {
    kubernetesVersion,
    etcdVersion,
    kubeApiserver: join(cache, 'k8s', kubernetesVersion, 'kube-apiserver'),
    etcd: join(cache, 'etcd', etcdVersion, 'etcd'),
  };
}

/** Why the control plane cannot start here (for `needs()`), or undefined when both binaries are built. */
export function controlPlaneProblem(): string | undefined {
  const b = controlPlaneBinaries();
  const missing = [b.kubeApiserver, b.etcd].filter((path) => !existsSync(path));
  if (missing.length === 0) return undefined;
  return `${missing.join(' and ')} not built (run tools/build-control-plane.sh)`;
}
