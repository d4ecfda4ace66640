import type { ReadText } from './startup-checks.js';

/**
 * How the agent's own calls to AWS (EKS Auth, STS) and to a remote key set leave the node: the
 * standard proxy variables and the AWS SDKs' endpoint, FIPS and CA bundle variables, read from the
 * agent's environment here so that they go through the one config parser.
 */
export interface UpstreamNetwork {
  /** Proxy of `https://` upstreams: `HTTPS_PROXY`, else `https_proxy`. */
  readonly httpsProxy: URL | undefined;
  /** Proxy of `http://` upstreams: `HTTP_PROXY`, else `http_proxy`. */
  readonly httpProxy: URL | undefined;
  /** `NO_PROXY`, else `no_proxy`: hosts reached directly (entries trimmed, lower case). */
  readonly noProxy: readonly string[];
  /** `AWS_USE_FIPS_ENDPOINT=true`: the FIPS endpoints of EKS Auth and STS, unless an endpoint is set. */
  readonly useFipsEndpoint: boolean;
  /** `AWS_CA_BUNDLE`: PEM file trusted for `https://` upstreams instead of the system roots. */
  readonly caBundleFile: string | undefined;
}

/** What {@link readUpstreamEnv} gives the parser. */
export interface UpstreamEnv {
  readonly network: UpstreamNetwork;
  /** `AWS_ENDPOINT_URL_EKS_AUTH`, else `AWS_ENDPOINT_URL` (`--endpoint` wins over both). */
  readonly eksAuthEndpoint: URL | undefined;
  /** `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL` (`--sts-endpoint` wins over both). */
  readonly stsEndpoint: URL | undefined;
  /** Which variable set `eksAuthEndpoint` and `stsEndpoint`, to name it in problems and warnings. */
  readonly eksAuthEndpointVar: string | undefined;
  readonly stsEndpointVar: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

const EKS_AUTH_VARS = ['AWS_ENDPOINT_URL_EKS_AUTH', 'AWS_ENDPOINT_URL'];
const STS_VARS = ['AWS_ENDPOINT_URL_STS', 'AWS_ENDPOINT_URL'];

/** The first of `names` set to a non-empty value, with its name. */
function first(env: Env, names: readonly string[]): [string, string] | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== '') return [name, value];
  }
  return undefined;
}

function url(env: Env, names: readonly string[], problems: string[], proxy = false): URL | undefined {
  const found = first(env, names);
  if (found === undefined) return undefined;
  const [name, text] = found;
  // A proxy given as host:port, as curl accepts it, means http://host:port.
  const full = proxy && !/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? `http://${text}` : text;
  if (URL.canParse(full) && /^https?:$/.test(new URL(full).protocol)) return new URL(full);
  problems.push(`${name} must be an http(s) URL, got "${text}"`);
  return undefined;
}

/**
 * Reads the proxy and AWS endpoint variables. Problems name the variable. With `readText`, the
 * `AWS_CA_BUNDLE` file is read once to refuse a missing or non-PEM file at start.
 */
export function readUpstreamEnv(env: Env, problems: string[], readText?: ReadText): UpstreamEnv {
  const fips = first(env, ['AWS_USE_FIPS_ENDPOINT']);
  if (fips !== undefined && !/^(true|false)$/i.test(fips[1]))
    problems.push(`AWS_USE_FIPS_ENDPOINT must be true or false, got "${fips[1]}"`);
  const caBundleFile = first(env, ['AWS_CA_BUNDLE'])?.[1];
  if (caBundleFile !== undefined && readText !== undefined) {
    try {
      if (!readText(caBundleFile).includes('-----BEGIN CERTIFICATE-----'))
        problems.push(`AWS_CA_BUNDLE ${caBundleFile} holds no PEM certificate`);
    } catch (error) {
      problems.push(
        `AWS_CA_BUNDLE ${caBundleFile} cannot be read (${(error as NodeJS.ErrnoException).code})`,
      );
    }
  }
  const noProxy = (first(env, ['NO_PROXY', 'no_proxy'])?.[1] ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry.length > 0);
  return {
    network: {
      httpsProxy: url(env, ['HTTPS_PROXY', 'https_proxy'], problems, true),
      httpProxy: url(env, ['HTTP_PROXY', 'http_proxy'], problems, true),
      noProxy,
      useFipsEndpoint: fips?.[1].toLowerCase() === 'true',
      caBundleFile,
    },
    eksAuthEndpoint: url(env, EKS_AUTH_VARS, problems),
    stsEndpoint: url(env, STS_VARS, problems),
    eksAuthEndpointVar: first(env, EKS_AUTH_VARS)?.[0],
    stsEndpointVar: first(env, STS_VARS)?.[0],
  };
}
