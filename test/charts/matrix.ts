/** The chart values the matrix tests read back (the rest pass through to Helm unchecked). */
export interface ChartValues {
  readonly exchange?: string;
  readonly associations?: readonly Record<string, unknown>[];
  readonly proxy?: { readonly httpProxy?: string; readonly httpsProxy?: string; readonly noProxy?: string };
  readonly webhook?: {
    readonly enabled?: boolean;
    readonly roleSource?: string;
    readonly [key: string]: unknown;
  };
  readonly monitoring?: {
    readonly prometheusRule?: { readonly enabled?: boolean };
    readonly [key: string]: unknown;
  };
  readonly [key: string]: unknown;
}

const ASSOCIATIONS = [
  {
    namespace: 'default',
    serviceAccount: 's3-access-sa',
    roleArn: 'arn:aws:iam::123456789012:role/S3AccessRole',
  },
  {
    namespace: 'payments',
    serviceAccount: 'api',
    roleArn: 'arn:aws:iam::123456789012:role/PaymentsApi',
    targetRoleArn: 'arn:aws:iam::210987654321:role/Ledger',
  },
];
/** What every install sets (the chart's defaults leave them empty). */
const EKS = { cluster: { name: 'my-cluster', region: 'us-west-2' } };
const GENERIC = {
  exchange: 'sts-assume-role',
  cluster: { name: 'lab', region: 'eu-west-1', arn: 'arn:aws:eks:eu-west-1:123456789012:cluster/lab' },
  associations: ASSOCIATIONS,
};

/** Named value sets: each one renders, and its flags go through the agent's parser. */
export const MATRIX: Readonly<Record<string, ChartValues>> = {
  'EKS with its cluster set': EKS,
  generic: GENERIC,
  'web identity': {
    ...GENERIC,
    exchange: 'sts-web-identity',
    cluster: { ...GENERIC.cluster, region: 'eusc-de-east-1' },
  },
  'annotation roles': { ...GENERIC, agent: { roleSource: 'both', extraArgs: ['--allow-annotation-roles'] } },
  'token review pod check': { ...EKS, agent: { podCheck: 'tokenreview' } },
  'no pod check and no declared port': { ...EKS, agent: { podCheck: 'off', declarePort: false } },
  'webhook with cert-manager': { ...GENERIC, webhook: { enabled: true } },
  'webhook with a manual certificate and annotation roles': {
    ...GENERIC,
    webhook: {
      enabled: true,
      certManager: false,
      caBundle: 'LS0tLS1CRUdJTg==',
      roleSource: 'both',
      replicas: 3,
    },
  },
  'monitoring on': {
    ...GENERIC,
    webhook: { enabled: true },
    monitoring: {
      podMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
      prometheusRule: { enabled: true },
      dashboard: { enabled: true },
    },
  },
  'proxy and extra settings': {
    ...EKS,
    proxy: {
      httpProxy: 'http://proxy.corp.example:3128',
      httpsProxy: 'http://proxy.corp.example:3128',
      noProxy: '169.254.169.254,10.0.0.0/8,.svc',
    },
    extraEnv: [{ name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' }],
    agent: { extraArgs: ['--max-cache-size=2000'], logLevel: 'debug' },
    image: { repository: 'registry.example/pia', tag: '0.1.0', digest: `sha256:${'a'.repeat(64)}` },
    imagePullSecrets: [{ name: 'registry' }],
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: 'eks.amazonaws.com/compute-type', operator: 'NotIn', values: ['fargate'] },
              ],
            },
          ],
        },
      },
    },
    priorityClassName: 'node-critical-custom',
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
    podLabels: { team: 'platform', 'app.kubernetes.io/name': 'not-the-selector' },
    podAnnotations: { 'example.com/owner': 'platform' },
    resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '320Mi' } },
  },
};
