/**
 * Every command-line flag, with its environment variable, default and help text: the single table
 * that `parseConfig`, `--help` and `docs/configuration.md` are built from.
 */

/** The subcommands of `pod-identity-agent`. */
export type Command = 'server' | 'init' | 'webhook' | 'version';

/** How a flag's text value is read. */
export type FlagKind = 'string' | 'path' | 'url' | 'port' | 'count' | 'duration' | 'bool' | 'list' | 'enum';

/** One flag. */
export interface FlagSpec {
  /** Name without dashes, e.g. `bind-hosts`. */
  readonly name: string;
  /** Environment variable read when the flag is absent. */
  readonly env: string;
  readonly kind: FlagKind;
  /** Allowed values for `enum`. */
  readonly values?: readonly string[];
  /** Default per command, as text in the flag's own syntax; absent means "unset". */
  readonly defaults?: Partial<Record<Command, string>>;
  readonly commands: readonly Command[];
  readonly help: string;
}

/** Environment variable prefix of every flag. */
export const ENV_PREFIX = 'POD_IDENTITY_AGENT_';

/** Default credentials listeners: the link-local addresses EKS pods are told to call (docs/api.md). */
export const DEFAULT_BIND_HOSTS = '169.254.170.23,[fd00:ec2::23]';
/** Default audience of pod identity tokens. */
export const DEFAULT_AUDIENCE = 'pods.eks.amazonaws.com';
/**
 * Default minimum lifetime left on served credentials: botocore refreshes credentials with less than
 * 15 minutes left, so serving less would make every request a refresh.
 */
export const DEFAULT_MIN_REMAINING = '15m';
/** Default bound on cached identities. */
export const DEFAULT_MAX_CACHE_SIZE = '10000';
/** Default per-source-address rate, requests per second (burst is twice this). Enough for 250 pods on a node. */
export const DEFAULT_RATE_LIMIT = '50';
/** Default `--upstream-miss-rate`: new upstream calls per second for cache misses, node-wide. */
export const DEFAULT_UPSTREAM_MISS_RATE = '20';
/** Default drain time on SIGTERM. The DaemonSet's terminationGracePeriodSeconds is set above it. */
export const DEFAULT_SHUTDOWN_GRACE = '20s';

const SERVER: readonly Command[] = ['server'];
const SERVER_WEBHOOK: readonly Command[] = ['server', 'webhook'];

function flag(spec: Omit<FlagSpec, 'env'> & { env?: string }): FlagSpec {
  return { ...spec, env: spec.env ?? ENV_PREFIX + spec.name.toUpperCase().replaceAll('-', '_') };
}

/** The flag table. */
export const FLAGS: readonly FlagSpec[] = Object.freeze([
  flag({
    name: 'bind-hosts',
    kind: 'list',
    commands: ['server', 'init'],
    defaults: { server: DEFAULT_BIND_HOSTS, init: DEFAULT_BIND_HOSTS },
    help: 'Comma-separated IP addresses the credentials endpoint listens on (IPv6 in brackets or bare). Also the only accepted Host header values.',
  }),
  flag({
    name: 'port',
    kind: 'port',
    commands: SERVER_WEBHOOK,
    defaults: { server: '80', webhook: '8443' },
    help: 'TCP port of the credentials endpoint (server) or of the HTTPS admission endpoint (webhook).',
  }),
  flag({
    name: 'probe-address',
    kind: 'string',
    commands: SERVER_WEBHOOK,
    defaults: { server: '127.0.0.1', webhook: '0.0.0.0' },
    help: 'Address of the /healthz and /readyz server.',
  }),
  flag({
    name: 'probe-port',
    kind: 'port',
    commands: SERVER_WEBHOOK,
    defaults: { server: '2703', webhook: '2703' },
    help: 'Port of the /healthz and /readyz server.',
  }),
  flag({
    name: 'metrics-address',
    kind: 'string',
    commands: SERVER_WEBHOOK,
    defaults: { server: '127.0.0.1', webhook: '0.0.0.0' },
    help: 'Address of the Prometheus /metrics server. The server defaults to loopback: it runs on the host network, where 0.0.0.0 is every address of the node; the DaemonSet passes the node IP.',
  }),
  flag({
    name: 'metrics-port',
    kind: 'port',
    commands: SERVER_WEBHOOK,
    defaults: { server: '2705', webhook: '2705' },
    help: 'Port of the Prometheus /metrics server; 0 turns it off.',
  }),
  flag({
    name: 'exchange',
    kind: 'enum',
    values: ['eks-auth', 'sts-assume-role', 'sts-web-identity'],
    commands: SERVER,
    defaults: { server: 'eks-auth' },
    help: 'How tokens become credentials: EKS Auth AssumeRoleForPodIdentity, sts:AssumeRole with session tags, or sts:AssumeRoleWithWebIdentity.',
  }),
  flag({
    name: 'cluster-name',
    kind: 'string',
    commands: SERVER,
    help: 'Name of the cluster (EKS Auth path parameter; session name and tags in STS modes). Required.',
  }),
  flag({
    name: 'cluster-arn',
    kind: 'string',
    commands: SERVER,
    help: 'Cluster ARN for the eks-cluster-arn session tag (STS modes).',
  }),
  flag({
    name: 'region',
    kind: 'string',
    commands: SERVER_WEBHOOK,
    help: 'AWS region of EKS Auth and STS (server: required); the webhook gives it to pods as AWS_REGION and AWS_DEFAULT_REGION. Falls back to AWS_REGION, then AWS_DEFAULT_REGION.',
  }),
  flag({
    name: 'endpoint',
    kind: 'url',
    commands: SERVER,
    help: 'EKS Auth endpoint URL. Default https://eks-auth.{region}.api.aws.',
  }),
  flag({
    name: 'sts-endpoint',
    kind: 'url',
    commands: SERVER,
    help: 'STS endpoint URL. Default: the regional STS endpoint.',
  }),
  flag({
    name: 'associations',
    kind: 'path',
    commands: SERVER_WEBHOOK,
    help: 'YAML or JSON file mapping namespace + service account to role ARNs (`associations:` entries of namespace, serviceAccount and roleArn; "*" matches any service account; docs/any-cluster.md). Required for STS exchanges and the webhook; reloaded on change.',
  }),
  flag({
    name: 'role-source',
    kind: 'enum',
    values: ['file', 'annotation', 'both'],
    commands: SERVER_WEBHOOK,
    defaults: { server: 'file', webhook: 'file' },
    help: 'Where STS modes find a service account role: the associations file, the eks.amazonaws.com/role-arn annotation, or both (file wins).',
  }),
  flag({
    name: 'allow-annotation-roles',
    kind: 'bool',
    commands: SERVER,
    defaults: { server: 'false' },
    help: 'Allow annotation roles with sts-assume-role (the roles must check the session tags in their trust policy).',
  }),
  flag({
    name: 'issuer',
    kind: 'string',
    commands: SERVER,
    help: 'Exact expected token issuer. Alone, its OIDC discovery document gives the key set.',
  }),
  flag({
    name: 'audience',
    kind: 'string',
    commands: SERVER_WEBHOOK,
    defaults: { server: DEFAULT_AUDIENCE, webhook: DEFAULT_AUDIENCE },
    help: 'Exact audience required in pod tokens (webhook: the audience of the projected token it injects).',
  }),
  flag({
    name: 'jwks-file',
    kind: 'path',
    commands: SERVER,
    help: 'Static JSON Web Key Set file with the token signing keys. Needs --issuer.',
  }),
  flag({
    name: 'jwks-uri',
    kind: 'url',
    commands: SERVER,
    help: 'Remote JSON Web Key Set URL with the token signing keys. Needs --issuer.',
  }),
  flag({
    name: 'allow-plain-http',
    kind: 'bool',
    commands: SERVER,
    defaults: { server: 'false' },
    help: 'Allow plain-http --endpoint, --sts-endpoint, --jwks-uri, discovery --issuer and AWS_ENDPOINT_URL* (local stand-ins only; each is logged as a warning).',
  }),
  flag({
    name: 'kubeconfig',
    kind: 'path',
    env: 'KUBECONFIG',
    commands: SERVER_WEBHOOK,
    help: 'Kubeconfig for the Kubernetes API (key set, pod check, annotations). Default: in-cluster service account.',
  }),
  flag({
    name: 'node-name',
    kind: 'string',
    commands: SERVER,
    help: "This node's name; tokens bound to another node are refused.",
  }),
  flag({
    name: 'pod-check',
    kind: 'enum',
    values: ['informer', 'tokenreview', 'off'],
    commands: SERVER,
    help: "How to confirm the token's pod is alive: watch this node's pods (TokenReview for pods not seen yet), TokenReview per token (answers reused 30 s), or off. Default informer in a cluster (with --node-name), else off.",
  }),
  flag({
    name: 'require-pod-ip',
    kind: 'bool',
    commands: SERVER,
    defaults: { server: 'false' },
    help: "Require the request's source address to be the token's pod IP (pods not on the host network). Needs --pod-check informer.",
  }),
  flag({
    name: 'pod-watch-stale-after',
    kind: 'duration',
    commands: SERVER,
    defaults: { server: '60s' },
    help: 'With --pod-check informer: how long the pod watch may keep failing before /readyz turns 503 (pods deleted meanwhile may still be served).',
  }),
  flag({
    name: 'refusal-memory',
    kind: 'duration',
    commands: SERVER,
    defaults: { server: '30s' },
    help: 'How long a service account the credential service refused (NoAssociation, AccessDenied) is answered without asking again; 0s turns it off.',
  }),
  flag({
    name: 'upstream-miss-rate',
    kind: 'count',
    commands: SERVER,
    defaults: { server: DEFAULT_UPSTREAM_MISS_RATE },
    help: "New upstream calls per second for cache misses, node-wide, beyond a burst of 300 (or five seconds' worth, if more) that covers a node booting its pods; past it a miss is answered Throttled. Refreshes of credentials in use do not count.",
  }),
  flag({
    name: 'rate-limit',
    kind: 'count',
    commands: SERVER,
    defaults: { server: DEFAULT_RATE_LIMIT },
    help: 'Requests per second per source address (burst twice that); 0 turns it off.',
  }),
  flag({
    name: 'min-remaining',
    kind: 'duration',
    commands: SERVER,
    defaults: { server: DEFAULT_MIN_REMAINING },
    help: 'Never serve credentials with less lifetime left; refresh first.',
  }),
  flag({
    name: 'max-cache-size',
    kind: 'count',
    commands: SERVER,
    defaults: { server: DEFAULT_MAX_CACHE_SIZE },
    help: 'Most identities kept in the credential cache (least recently used are evicted).',
  }),
  flag({
    name: 'shutdown-grace',
    kind: 'duration',
    commands: SERVER_WEBHOOK,
    defaults: { server: DEFAULT_SHUTDOWN_GRACE, webhook: DEFAULT_SHUTDOWN_GRACE },
    help: 'On SIGTERM, how long in-flight requests may take before the process exits.',
  }),
  flag({
    name: 'log-level',
    kind: 'enum',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    commands: SERVER_WEBHOOK,
    defaults: { server: 'info', webhook: 'info' },
    help: 'Log level of the JSON logs.',
  }),
  flag({
    name: 'interface',
    kind: 'string',
    commands: ['init'],
    defaults: { init: 'pod-id-link0' },
    help: 'Dummy interface that init creates to hold the link-local addresses.',
  }),
  flag({
    name: 'tls-cert-file',
    kind: 'path',
    commands: ['webhook'],
    help: 'PEM certificate chain of the webhook; reloaded on change.',
  }),
  flag({
    name: 'tls-key-file',
    kind: 'path',
    commands: ['webhook'],
    help: 'PEM private key of the webhook; reloaded on change.',
  }),
  flag({
    name: 'token-expiration',
    kind: 'duration',
    commands: ['webhook'],
    defaults: { webhook: '24h' },
    help: 'expirationSeconds of the projected token the webhook injects (at least 10m).',
  }),
  flag({
    name: 'credentials-uri',
    kind: 'url',
    commands: ['webhook'],
    defaults: { webhook: 'http://169.254.170.23/v1/credentials' },
    help: 'AWS_CONTAINER_CREDENTIALS_FULL_URI given to pods (http://[fd00:ec2::23]/v1/credentials on IPv6 clusters).',
  }),
  flag({
    name: 'no-proxy-append',
    kind: 'bool',
    commands: ['webhook'],
    defaults: { webhook: 'false' },
    help: "Append 169.254.170.23 and [fd00:ec2::23] to a container's existing literal NO_PROXY/no_proxy value.",
  }),
]);
