import { isIP } from 'node:net';
import { ConfigError } from '../errors.js';
import { parseDuration } from './duration.js';
import { type Command, FLAGS, type FlagSpec } from './flags.js';
import type { KeySource } from './key-source.js';
import { plainHttpProblems, plainHttpSources } from './plain-http.js';
import {
  bindHostProblems,
  clusterProblems,
  jwksFileProblems,
  portProblems,
  type ReadText,
} from './startup-checks.js';
import { readUpstreamEnv, type UpstreamNetwork } from './upstream-env.js';

/** Which exchange turns tokens into credentials. */
export type ExchangeKind = 'eks-auth' | 'sts-assume-role' | 'sts-web-identity';

/** Settings shared by the servers that have probes and metrics. */
export interface CommonConfig {
  readonly probeAddress: string;
  readonly probePort: number;
  readonly metricsAddress: string;
  /** 0 turns the metrics server off. */
  readonly metricsPort: number;
  readonly logLevel: string;
  /** Milliseconds. */
  readonly shutdownGraceMs: number;
  readonly kubeconfig: string | undefined;
  readonly associationsFile: string | undefined;
  readonly roleSource: 'file' | 'annotation' | 'both';
  readonly audience: string;
}

/** `pod-identity-agent server`. */
export interface ServerConfig extends CommonConfig {
  readonly command: 'server';
  /** Bare IP literals (IPv6 without brackets). */
  readonly bindHosts: readonly string[];
  readonly port: number;
  readonly exchange: ExchangeKind;
  readonly clusterName: string;
  readonly clusterArn: string | undefined;
  readonly region: string;
  /** `--endpoint`, else `AWS_ENDPOINT_URL_EKS_AUTH`, else `AWS_ENDPOINT_URL`. */
  readonly endpoint: URL | undefined;
  /** `--sts-endpoint`, else `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`. */
  readonly stsEndpoint: URL | undefined;
  /** Proxies, FIPS and CA bundle of the agent's own AWS and key-set calls (environment only). */
  readonly upstream: UpstreamNetwork;
  /**
   * Flags or variables that set a plain-http URL the agent calls (`--endpoint`, `AWS_ENDPOINT_URL`...);
   * non-empty only with `--allow-plain-http`, else each is a start-up problem.
   */
  readonly plainHttp: readonly string[];
  readonly allowAnnotationRoles: boolean;
  /** Exact `iss`; undefined only with the Kubernetes key source, which discovers it. */
  readonly issuer: string | undefined;
  readonly keySource: KeySource;
  readonly nodeName: string | undefined;
  readonly podCheck: 'informer' | 'tokenreview' | 'off';
  readonly requirePodIp: boolean;
  /** `--pod-watch-stale-after`, milliseconds. */
  readonly podWatchStaleAfterMs: number;
  /** `--refusal-memory`, milliseconds; 0 = off. */
  readonly refusalMemoryMs: number;
  /** `--upstream-miss-rate`: new upstream calls per second for cache misses, node-wide. */
  readonly upstreamMissRate: number;
  /** Requests per second per source address; 0 is off. */
  readonly rateLimit: number;
  /** Milliseconds. */
  readonly minRemainingMs: number;
  readonly maxCacheSize: number;
}

/** `pod-identity-agent init`. */
export interface InitConfig {
  readonly command: 'init';
  readonly bindHosts: readonly string[];
  readonly interfaceName: string;
}

/** `pod-identity-agent webhook`. */
export interface WebhookConfig extends CommonConfig {
  readonly command: 'webhook';
  readonly port: number;
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
  /** Milliseconds. */
  readonly tokenExpirationMs: number;
  readonly credentialsUri: URL;
  /** Append the link-local addresses to containers' existing `NO_PROXY`. */
  readonly noProxyAppend: boolean;
  /** Injected as `AWS_REGION`/`AWS_DEFAULT_REGION`; undefined: those two are not injected. */
  readonly region: string | undefined;
}

/** What `parseConfig` returns. */
export type Config =
  | ServerConfig
  | InitConfig
  | WebhookConfig
  | { readonly command: 'version' }
  | { readonly command: 'help'; readonly topic: Command | undefined };

const COMMANDS: readonly Command[] = ['server', 'init', 'webhook', 'version'];
type Value = string | number | boolean | URL | readonly string[] | undefined;

/** Options of {@link parseConfig}. */
export interface ParseOptions {
  /**
   * Reads files the configuration names, to refuse unusable ones at start (`--jwks-file`). main.ts
   * passes the real file system; without it (unit tests) file contents are not checked.
   */
  readonly readText?: ReadText | undefined;
}

/**
 * Turns the command line and environment into a frozen, typed configuration, or throws one
 * `ConfigError` listing every problem. Flags win over environment variables, which win over defaults.
 */
export function parseConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  options: ParseOptions = {},
): Config {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    return { command: 'help', topic: COMMANDS.find((c) => c === rest[0]) };
  }
  if (first === '--version') return { command: 'version' };
  const command = COMMANDS.find((c) => c === first);
  if (command === undefined)
    throw new ConfigError([`unknown command "${first}" (expected ${COMMANDS.join(', ')})`]);
  if (rest.includes('--help') || rest.includes('-h')) return { command: 'help', topic: command };
  if (command === 'version') return { command };

  const problems: string[] = [];
  const raw = readArgs(command, rest, problems);
  const values = new Map<string, Value>();
  for (const spec of FLAGS.filter((f) => f.commands.includes(command))) {
    const text = raw.get(spec.name) ?? env[spec.env] ?? spec.defaults?.[command];
    values.set(spec.name, text === undefined ? undefined : convert(spec, text, problems));
  }
  const config = build(command, values, env, problems, options);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

function readArgs(command: Command, args: readonly string[], problems: string[]): Map<string, string> {
  const raw = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('--')) {
      problems.push(`unexpected argument "${arg}"`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = FLAGS.find((f) => f.name === name && f.commands.includes(command));
    if (spec === undefined) {
      problems.push(`unknown flag --${name} for "${command}"`);
      continue;
    }
    let text = eq === -1 ? undefined : arg.slice(eq + 1);
    if (text === undefined) {
      const next = args[i + 1];
      if (spec.kind === 'bool' && (next === undefined || next.startsWith('--'))) text = 'true';
      else if (next === undefined) {
        problems.push(`--${name} needs a value`);
        continue;
      } else {
        text = next;
        i++;
      }
    }
    if (raw.has(name)) problems.push(`--${name} is given more than once`);
    raw.set(name, text);
  }
  return raw;
}

function convert(spec: FlagSpec, text: string, problems: string[]): Value {
  const bad = (what: string): undefined => {
    problems.push(`--${spec.name} (${spec.env}) ${what}, got "${text}"`);
    return undefined;
  };
  switch (spec.kind) {
    case 'string':
    case 'path':
      return text.length > 0 ? text : bad('must not be empty');
    case 'url':
      return URL.canParse(text) && /^https?:$/.test(new URL(text).protocol)
        ? new URL(text)
        : bad('must be an http(s) URL');
    case 'port':
      return /^\d{1,5}$/.test(text) && Number(text) <= 65535
        ? Number(text)
        : bad('must be a port number 0-65535');
    case 'count':
      return /^\d{1,9}$/.test(text) ? Number(text) : bad('must be a non-negative integer');
    case 'duration':
      return parseDuration(text) ?? bad('must be a duration such as 90s, 15m or 3h');
    case 'bool':
      return text === 'true' ? true : text === 'false' ? false : bad('must be true or false');
    case 'enum':
      return spec.values?.includes(text) ? text : bad(`must be one of ${spec.values?.join(', ')}`);
    case 'list': {
      const hosts = text.split(',').map((h) => h.trim().replace(/^\[(.*)\]$/, '$1'));
      return hosts.every((h) => isIP(h) !== 0) ? hosts : bad('must be comma-separated IP addresses');
    }
  }
}

/** Reads the converted flag values by name. */
interface Values {
  str(name: string): string | undefined;
  num(name: string): number;
  url(name: string): URL | undefined;
  flag(name: string): boolean;
  hosts(): readonly string[];
}

function valuesOf(v: ReadonlyMap<string, Value>): Values {
  return {
    str: (name) => v.get(name) as string | undefined,
    num: (name) => v.get(name) as number,
    url: (name) => v.get(name) as URL | undefined,
    flag: (name) => v.get(name) === true,
    hosts: () => (v.get('bind-hosts') as readonly string[] | undefined) ?? [],
  };
}

type Env = Readonly<Record<string, string | undefined>>;

function build(
  command: Exclude<Command, 'version'>,
  v: Map<string, Value>,
  env: Env,
  problems: string[],
  options: ParseOptions,
): Exclude<Config, { command: 'version' | 'help' }> {
  const values = valuesOf(v);
  switch (command) {
    case 'init':
      return buildInit(values, problems);
    case 'webhook':
      return buildWebhook(values, env, problems);
    case 'server':
      return buildServer(values, env, problems, options);
  }
}

function buildInit({ str, hosts }: Values, problems: string[]): InitConfig {
  const interfaceName = str('interface') ?? '';
  if (
    interfaceName !== '' &&
    (!/^[A-Za-z0-9_.-]{1,15}$/.test(interfaceName) || /^\.\.?$/.test(interfaceName))
  )
    problems.push(`--interface must be 1-15 letters, digits, "_", "." or "-", got "${interfaceName}"`);
  problems.push(...bindHostProblems(hosts()));
  return { command: 'init', bindHosts: hosts(), interfaceName };
}

/** The settings `server` and `webhook` share; every default comes from the flag table. */
function buildCommon({ str, num }: Values): CommonConfig {
  return {
    probeAddress: str('probe-address') ?? '',
    probePort: num('probe-port'),
    metricsAddress: str('metrics-address') ?? '',
    metricsPort: num('metrics-port'),
    logLevel: str('log-level') ?? '',
    shutdownGraceMs: num('shutdown-grace'),
    kubeconfig: str('kubeconfig'),
    associationsFile: str('associations'),
    roleSource: str('role-source') as CommonConfig['roleSource'],
    audience: str('audience') ?? '',
  };
}

function buildWebhook(values: Values, env: Env, problems: string[]): WebhookConfig {
  const { str, num, url, flag } = values;
  const common = buildCommon(values);
  const tlsCertFile = str('tls-cert-file');
  const tlsKeyFile = str('tls-key-file');
  if (tlsCertFile === undefined || tlsKeyFile === undefined)
    problems.push('webhook needs --tls-cert-file and --tls-key-file');
  if (common.associationsFile === undefined && common.roleSource === 'file')
    problems.push('webhook needs --associations (or --role-source annotation)');
  const tokenExpirationMs = num('token-expiration');
  if (tokenExpirationMs < 600_000) problems.push('--token-expiration must be at least 10m');
  problems.push(...portProblems({ ...common, port: num('port') }, 'webhook'));
  const region = str('region') ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  problems.push(...clusterProblems(undefined, region));
  return {
    ...common,
    command: 'webhook',
    port: num('port'),
    tlsCertFile: tlsCertFile ?? '',
    tlsKeyFile: tlsKeyFile ?? '',
    tokenExpirationMs,
    credentialsUri: url('credentials-uri') as URL,
    noProxyAppend: flag('no-proxy-append'),
    region,
  };
}

/** Where the token signing keys come from: `--jwks-file`, `--jwks-uri`, `--issuer` discovery, or the API server. */
function buildKeySource({ str, url }: Values, problems: string[], options: ParseOptions): KeySource {
  const issuer = str('issuer');
  if (issuer !== undefined && !/^https?:\/\/[^\s]+$/.test(issuer))
    problems.push(`--issuer must be an http(s) URL, got "${issuer}"`);
  const jwksFile = str('jwks-file');
  const jwksUri = url('jwks-uri');
  if (jwksFile !== undefined && jwksUri !== undefined)
    problems.push('--jwks-file and --jwks-uri cannot be used together');
  if ((jwksFile !== undefined || jwksUri !== undefined) && issuer === undefined)
    problems.push('--jwks-file and --jwks-uri need --issuer');
  if (jwksFile !== undefined && options.readText !== undefined)
    problems.push(...jwksFileProblems(jwksFile, options.readText));
  if (jwksFile !== undefined) return { kind: 'file', path: jwksFile };
  if (jwksUri !== undefined) return { kind: 'uri', uri: jwksUri };
  if (issuer !== undefined && URL.canParse(issuer)) return { kind: 'discovery', issuer: new URL(issuer) };
  return { kind: 'kubernetes' };
}

/** Checks that the role sources fit the exchange (undefined: a value already refused). */
function checkRoleSources(
  exchange: ExchangeKind | undefined,
  common: CommonConfig,
  allowAnnotationRoles: boolean,
  problems: string[],
): void {
  const { roleSource, associationsFile } = common;
  const sts = exchange !== undefined && exchange !== 'eks-auth';
  if (sts && associationsFile === undefined && roleSource !== 'annotation')
    problems.push(`--exchange ${exchange} needs --associations`);
  if (exchange === 'eks-auth' && (associationsFile !== undefined || roleSource !== 'file'))
    problems.push(
      '--associations and --role-source apply only to the sts-* exchanges; EKS Auth owns associations on EKS',
    );
  if (exchange === 'sts-assume-role' && roleSource !== 'file' && !allowAnnotationRoles)
    problems.push(
      '--role-source annotation|both with sts-assume-role needs --allow-annotation-roles (see docs/any-cluster.md)',
    );
}

function buildServer(values: Values, env: Env, problems: string[], options: ParseOptions): ServerConfig {
  const { str, num, url, flag, hosts } = values;
  const common = buildCommon(values);
  // Undefined when --exchange was given a value it does not know (that problem names the value).
  const exchange = str('exchange') as ExchangeKind | undefined;
  const clusterName = str('cluster-name');
  // A flag whose value was refused already has its problem; "required" would only repeat it.
  const reported = (name: string) => problems.some((p) => p.startsWith(`--${name} `));
  if (clusterName === undefined && !reported('cluster-name'))
    problems.push('--cluster-name (POD_IDENTITY_AGENT_CLUSTER_NAME) is required');
  const region = str('region') ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  if (region === undefined && !reported('region'))
    problems.push('--region (POD_IDENTITY_AGENT_REGION) is required (or AWS_REGION)');
  problems.push(...clusterProblems(clusterName, region));
  const bindHosts = hosts();
  if (bindHosts.length === 0 && !reported('bind-hosts'))
    problems.push('--bind-hosts must name at least one address');
  problems.push(...bindHostProblems(bindHosts));
  problems.push(...portProblems({ ...common, port: num('port') }, 'server'));
  const keySource = buildKeySource(values, problems, options);
  const allowAnnotationRoles = flag('allow-annotation-roles');
  checkRoleSources(exchange, common, allowAnnotationRoles, problems);

  const nodeName = str('node-name');
  const inCluster = env.KUBERNETES_SERVICE_HOST !== undefined || common.kubeconfig !== undefined;
  const podCheck = (str('pod-check') ??
    (inCluster && nodeName !== undefined ? 'informer' : 'off')) as ServerConfig['podCheck'];
  if (podCheck === 'informer' && nodeName === undefined)
    problems.push('--pod-check informer needs --node-name');
  const requirePodIp = flag('require-pod-ip');
  if (requirePodIp && podCheck !== 'informer') problems.push('--require-pod-ip needs --pod-check informer');
  const maxCacheSize = num('max-cache-size');
  if (maxCacheSize < 1) problems.push('--max-cache-size must be at least 1');
  const upstream = readUpstreamEnv(env, problems, options.readText);
  const endpoint = url('endpoint') ?? upstream.eksAuthEndpoint;
  const stsEndpoint = url('sts-endpoint') ?? upstream.stsEndpoint;
  const plainHttp = plainHttpSources({
    endpoint: endpoint && [url('endpoint') ? '--endpoint' : (upstream.eksAuthEndpointVar ?? ''), endpoint],
    stsEndpoint: stsEndpoint && [
      url('sts-endpoint') ? '--sts-endpoint' : (upstream.stsEndpointVar ?? ''),
      stsEndpoint,
    ],
    keySource,
  });
  problems.push(...plainHttpProblems(plainHttp, flag('allow-plain-http')));

  return {
    ...common,
    command: 'server',
    bindHosts,
    port: num('port'),
    exchange: exchange as ExchangeKind,
    clusterName: clusterName ?? '',
    clusterArn: str('cluster-arn'),
    region: region ?? '',
    endpoint,
    stsEndpoint,
    upstream: upstream.network,
    plainHttp,
    allowAnnotationRoles,
    issuer: str('issuer'),
    keySource,
    nodeName,
    podCheck,
    requirePodIp,
    podWatchStaleAfterMs: num('pod-watch-stale-after'),
    refusalMemoryMs: num('refusal-memory'),
    upstreamMissRate: num('upstream-miss-rate'),
    rateLimit: num('rate-limit'),
    minRemainingMs: num('min-remaining'),
    maxCacheSize,
  };
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === '' ? undefined : text;
}
