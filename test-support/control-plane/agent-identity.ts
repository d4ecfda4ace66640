/**
 * The agent's own identity in a test cluster, as the manifests give it: the DaemonSet's
 * ServiceAccount (kube-system/pod-identity-agent) bound to the manifests' ClusterRole, and a
 * kubeconfig holding a TokenRequest token of that ServiceAccount (not the admin's certificate).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ControlPlane } from '../control-plane.js';
import { PROJECT_ROOT } from './binaries.js';

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML here.
type Json = any;

/**
 * The ClusterRole in manifests/base/rbac.yaml, parsed, with the rules the annotation-roles component
 * adds (the ServiceAccount read of --role-source annotation|both): everything any overlay grants.
 */
export function manifestClusterRole(): Json {
  const text = readFileSync(join(PROJECT_ROOT, 'manifests', 'base', 'rbac.yaml'), 'utf8');
  const role = parseAllDocuments(text)
    .map((d) => d.toJS())
    .find((o: Json) => o.kind === 'ClusterRole');
  if (role === undefined) throw new Error('manifests/base/rbac.yaml has no ClusterRole');
  return { ...role, rules: [...role.rules, ...componentRules('annotation-roles')] };
}

/** The rules a component's JSON patch adds to the agent's ClusterRole (`op: add` at `/rules/-`). */
function componentRules(component: string): Json[] {
  const file = join(PROJECT_ROOT, 'manifests', 'components', component, 'kustomization.yaml');
  const kustomization = parseAllDocuments(readFileSync(file, 'utf8'))[0]?.toJS() as Json;
  return (kustomization.patches as Json[])
    .filter((p) => p.target?.kind === 'ClusterRole')
    .flatMap((p) => parseAllDocuments(p.patch)[0]?.toJS() as Json[])
    .filter((op) => op.op === 'add' && op.path === '/rules/-')
    .map((op) => op.value);
}

/** Options of {@link createAgentIdentity}. */
export interface AgentIdentityOptions {
  /** Name of the ServiceAccount, ClusterRole and binding. Default `pod-identity-agent` (the manifests'). */
  readonly name?: string;
  /** The role's rules. Default the manifests' ClusterRole rules. */
  readonly rules?: readonly Json[];
}

/**
 * Creates the ServiceAccount in kube-system, the ClusterRole and its binding (each reused if it
 * exists), and writes `<dir>/<name>.kubeconfig` with a one-hour token of that ServiceAccount.
 */
export async function createAgentIdentity(
  plane: ControlPlane,
  options: AgentIdentityOptions = {},
): Promise<string> {
  const name = options.name ?? 'pod-identity-agent';
  const rules = options.rules ?? manifestClusterRole().rules;
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  const create = async (path: string, body: Json) => {
    const answer = await plane.admin.send('POST', path, body);
    if (answer.status !== 201 && answer.status !== 409)
      throw new Error(`POST ${path}: HTTP ${answer.status}`);
  };
  await create('/api/v1/namespaces/kube-system/serviceaccounts', { metadata: { name } });
  await create(`${rbac}/clusterroles`, { metadata: { name }, rules });
  await create(`${rbac}/clusterrolebindings`, {
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ kind: 'ServiceAccount', name, namespace: 'kube-system' }],
  });
  // Audience: the API server's own (the default), as for the token kubelet mounts for the DaemonSet.
  const token = await plane.admin.requestToken('kube-system', name, { audience: plane.issuer });
  return plane.writeTokenKubeconfig(join(plane.dir, `${name}.kubeconfig`), token);
}
