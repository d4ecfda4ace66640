/**
 * What a kubelet would hold for one pod, made through the real API: a ServiceAccount (created if
 * missing), a Pod "scheduled" on a node, and a projected token from the TokenRequest API bound to
 * that pod (audience `pods.eks.amazonaws.com` unless given).
 */
import { type AdminClient, uniqueName } from './admin-client.js';

/** Options of {@link createPodWithToken}. */
export interface PodWithTokenOptions {
  readonly namespace: string;
  readonly nodeName: string;
  /** Default `app`. */
  readonly serviceAccount?: string;
  /** Default a unique `pod-…` name. */
  readonly podName?: string;
  readonly audience?: string;
}

/** A pod and its token. */
export interface PodWithToken {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly podName: string;
  readonly podUid: string;
  readonly token: string;
  /** Requests another token for the same pod (a kubelet's rotation). */
  newToken(): Promise<string>;
}

/** Creates (or reuses) the ServiceAccount, creates the Pod, requests its token. */
export async function createPodWithToken(
  admin: AdminClient,
  options: PodWithTokenOptions,
): Promise<PodWithToken> {
  const { namespace, nodeName } = options;
  const serviceAccount = options.serviceAccount ?? 'app';
  const podName = options.podName ?? uniqueName('pod');
  const existing = await admin.send(
    'GET',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}`,
  );
  if (existing.status === 404) await admin.createServiceAccount(namespace, serviceAccount);
  const pod = await admin.createPod(namespace, podName, { serviceAccountName: serviceAccount, nodeName });
  const podUid = pod.metadata.uid as string;
  const newToken = () =>
    admin.requestToken(namespace, serviceAccount, {
      pod: { name: podName, uid: podUid },
      ...(options.audience === undefined ? {} : { audience: options.audience }),
    });
  return { namespace, serviceAccount, podName, podUid, token: await newToken(), newToken };
}
