/** Shared pods, associations and options for the webhook tests. */
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { Association, AssociationResolver } from '../../agent/associations/association.js';
import type { MutationOptions } from '../../agent/webhook/mutate-pod.js';

/** A resolver over a fixed list: exact service account beats `*` (the role's documented rule). */
export class ListResolver implements AssociationResolver {
  readonly calls: [string, string][] = [];
  constructor(public associations: Association[]) {}
  resolve(namespace: string, serviceAccount: string): Association | undefined {
    this.calls.push([namespace, serviceAccount]);
    const inNs = this.associations.filter((a) => a.namespace === namespace);
    return (
      inNs.find((a) => a.serviceAccount === serviceAccount) ?? inNs.find((a) => a.serviceAccount === '*')
    );
  }
}

export const ROLE = 'arn:aws:iam::123456789012:role/S3AccessRole';
export const BATCH_ROLE = 'arn:aws:iam::123456789012:role/BatchRole';

export function resolver(): ListResolver {
  return new ListResolver([
    { namespace: 'default', serviceAccount: 's3-access-sa', roleArn: ROLE },
    { namespace: 'default', serviceAccount: 'default', roleArn: ROLE },
    { namespace: 'batch', serviceAccount: '*', roleArn: BATCH_ROLE },
  ]);
}

export const URI = 'http://169.254.170.23/v1/credentials';
export const TOKEN_FILE = '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token';
export const MOUNT_PATH = '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount';

export function options(extra: Partial<MutationOptions> = {}): MutationOptions {
  return {
    resolver: resolver(),
    audience: 'pods.eks.amazonaws.com',
    tokenExpirationSeconds: 86400,
    credentialsUri: URI,
    ...extra,
  };
}

export const VOLUME = {
  name: 'eks-pod-identity-token',
  projected: {
    defaultMode: 420,
    sources: [
      {
        serviceAccountToken: {
          audience: 'pods.eks.amazonaws.com',
          expirationSeconds: 86400,
          path: 'eks-pod-identity-token',
        },
      },
    ],
  },
};
export const MOUNT = { name: 'eks-pod-identity-token', mountPath: MOUNT_PATH, readOnly: true };
export const ENV = [
  { name: 'AWS_CONTAINER_CREDENTIALS_FULL_URI', value: URI },
  { name: 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE', value: TOKEN_FILE },
  { name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' },
];

/** A minimal pod as the API server hands it to admission (no namespace on create). */
export function pod(spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): IPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'app', ...metadata },
    spec: { containers: [{ name: 'app', image: 'public.ecr.aws/aws-cli/aws-cli' }], ...spec },
  } as IPod;
}
