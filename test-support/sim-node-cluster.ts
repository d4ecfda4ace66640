/**
 * The run's real kube-apiserver as the token source of a simulated node: a Node object for it, and
 * pods created on that node whose projected tokens come from the TokenRequest API. Without the
 * control plane binaries (outside CI) the node keeps its simulated kubelet and this says why.
 */
import type { JSONWebKeySet } from 'jose';
import { KubeApiError, uniqueName } from './control-plane/admin-client.js';
import { controlPlaneProblem } from './control-plane/binaries.js';
import { createPodWithToken, type PodWithToken } from './control-plane/pod-token.js';
import { sharedControlPlane } from './control-plane/shared.js';
import { needs } from './needs.js';
import type { SimNodeCluster } from './sim-node.js';

/** The shared control plane as a {@link SimNodeCluster}, or undefined (simulated tokens) when it cannot run here. */
export async function realClusterForSimNode(what: string): Promise<SimNodeCluster | undefined> {
  if (!needs(controlPlaneProblem(), `real TokenRequest tokens for ${what} (simulated tokens instead)`))
    return undefined;
  const plane = await sharedControlPlane();
  const nodeName = uniqueName('sim-node');
  await plane.admin.createNode(nodeName);
  const jwks = (await plane.admin.call('GET', '/openid/v1/jwks')) as unknown as JSONWebKeySet;
  const pods = new Map<string, Promise<PodWithToken>>();
  const accounts = new Map<string, Promise<PodWithToken>>();
  return {
    issuer: plane.issuer,
    jwks,
    nodeName,
    async podToken(serviceAccount, podName) {
      const key = `${serviceAccount}/${podName}`;
      const known = pods.get(key);
      if (known !== undefined) return (await known).newToken();
      // Made once per account first: concurrent pods of a new account would each try to create it.
      let account = accounts.get(serviceAccount);
      if (account === undefined) {
        const holder = () =>
          createPodWithToken(plane.admin, {
            namespace: 'default',
            serviceAccount,
            podName: uniqueName('sa-holder'),
            nodeName,
          });
        // Another test file may create the same account at the same moment (409): then it exists.
        account = holder().catch((error: unknown) => {
          if (error instanceof KubeApiError && error.status === 409) return holder();
          throw error;
        });
        accounts.set(serviceAccount, account);
      }
      await account;
      const created = createPodWithToken(plane.admin, {
        namespace: 'default',
        serviceAccount,
        podName: uniqueName(podName),
        nodeName,
      });
      pods.set(key, created);
      return (await created).token;
    },
  };
}
