/**
 * The manifests' ClusterRole is what the agent needs and no more: against a real kube-apiserver, with
 * a token of a ServiceAccount bound to it, the pod watch, the ServiceAccount watch and TokenReview all
 * work; with any one of those rules dropped, the part that needs it fails with an error naming the
 * verb and the resource it was refused.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAnnotationRoles } from '../../agent/associations/annotation-roles.js';
import { createKubernetesKeyFetcher } from '../../agent/auth/kubernetes-key-source.js';
import { loadKubeConfig } from '../../agent/kube/kube-config.js';
import { createKubeTokenReviewer } from '../../agent/pods/kube-token-reviewer.js';
import { createPodInformer } from '../../agent/pods/pod-informer.js';
import { createPodStore } from '../../agent/pods/pod-store.js';
import { uniqueName } from '../../test-support/control-plane/admin-client.js';
import { createAgentIdentity, manifestClusterRole } from '../../test-support/control-plane/agent-identity.js';
import { controlPlaneProblem } from '../../test-support/control-plane/binaries.js';
import { sharedControlPlane } from '../../test-support/control-plane/shared.js';
import type { ControlPlane } from '../../test-support/control-plane.js';
import { needs } from '../../test-support/needs.js';

const enabled = needs(controlPlaneProblem(), 'the ClusterRole tests against kube-apiserver');

// biome-ignore lint/suspicious/noExplicitAny: rules are untyped YAML.
type Rule = any;
/** One line of text per warning the watched part logged. */
type Lines = string[];

// Only failures count: other tests' ServiceAccounts in the shared cluster may carry annotations the
// watch warns about ("ignoring eks.amazonaws.com/role-arn"), which say nothing about RBAC.
const logger = (lines: Lines) => ({
  info: () => {},
  warn: (obj: { err?: unknown }, msg: string) => {
    if (obj.err !== undefined) lines.push(`${msg}: ${String(obj.err)}`);
  },
});

async function eventually(condition: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What each part of the agent does with the API; resolves an error text, or undefined when it worked. */
const USES: Record<
  string,
  (kubeconfig: string, stops: (() => Promise<void>)[]) => Promise<string | undefined>
> = {
  'the pod watch (--pod-check informer)': async (kubeconfig, stops) => {
    const lines: Lines = [];
    const informer = createPodInformer({
      kubeConfig: loadKubeConfig({ kubeconfig }),
      nodeName: 'node-a',
      store: createPodStore({ onGone: () => {} }),
      logger: logger(lines),
      retryDelayMs: 50,
    });
    stops.push(() => informer.stop());
    informer.start();
    await eventually(() => informer.isSynced() || lines.length > 0);
    return lines[0];
  },
  'the ServiceAccount watch (--role-source annotation)': async (kubeconfig, stops) => {
    const lines: Lines = [];
    const roles = createAnnotationRoles({
      kubeConfig: loadKubeConfig({ kubeconfig }),
      logger: logger(lines),
      retryDelayMs: 50,
    });
    stops.push(() => roles.stop());
    void roles.start();
    await eventually(() => roles.isSynced() || lines.length > 0);
    return lines[0];
  },
  'TokenReview (--pod-check tokenreview)': async (kubeconfig) => {
    const reviewer = createKubeTokenReviewer({
      kubeConfig: loadKubeConfig({ kubeconfig }),
      audience: 'pods.eks.amazonaws.com',
    });
    try {
      await reviewer.review('not-a-token');
      return undefined;
    } catch (error) {
      return String((error as Error).cause);
    }
  },
};

describe.skipIf(!enabled)("the manifests' ClusterRole on kube-apiserver", () => {
  let plane: ControlPlane;
  const rules: Rule[] = manifestClusterRole().rules;
  const stops: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    plane = await sharedControlPlane();
  }, 180_000);
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  it.each(Object.keys(USES))('lets %s work', async (use) => {
    const kubeconfig = await createAgentIdentity(plane);
    expect(await USES[use]?.(kubeconfig, stops)).toBeUndefined();
  });

  it('needs its key-set rule only where the default issuer-discovery binding was removed', async () => {
    // Kubernetes binds system:service-account-issuer-discovery to every ServiceAccount by default, so
    // the API-server key source works without the rule; the rule keeps it working where that was removed.
    const kubeconfig = await createAgentIdentity(plane, {
      name: uniqueName('agent'),
      rules: rules.filter((r) => r.nonResourceURLs === undefined),
    });
    const token = JSON.parse(await readFile(kubeconfig, 'utf8')).users[0].user.token as string;
    const tokenPath = join(plane.dir, `${uniqueName('token')}`);
    await writeFile(tokenPath, token);
    const port = new URL(plane.server).port;
    const fetcher = createKubernetesKeyFetcher({
      serviceHost: '127.0.0.1',
      servicePort: port,
      tokenPath,
      caPath: plane.caFile,
    });
    const { document, issuer } = await fetcher();
    expect(issuer).toBe(plane.issuer);
    expect((document as { keys: unknown[] }).keys).toHaveLength(1);
  });

  const resourceRules = rules.filter((r) => r.resources !== undefined);
  it.each(resourceRules.map((rule) => [`${rule.verbs.join(',')} ${rule.resources.join(',')}`, rule]))(
    'without the rule %s, the part that needs it fails naming what it was refused',
    async (_name, dropped: Rule) => {
      const kubeconfig = await createAgentIdentity(plane, {
        name: uniqueName('agent'),
        rules: rules.filter((r) => r !== dropped),
      });
      const failures: [string, string][] = [];
      for (const [use, run] of Object.entries(USES)) {
        const error = await run(kubeconfig, stops);
        if (error !== undefined) failures.push([use, error]);
      }
      expect(failures).toHaveLength(1);
      const verbs = dropped.verbs.join('|');
      expect(failures[0]?.[1]).toMatch(new RegExp(`cannot (${verbs}) resource "${dropped.resources[0]}"`));
    },
  );
});
