import { toSigningKeySet } from '../checks/jwks.js';

/**
 * Start-up checks of a parsed server or webhook configuration that no single flag can make: clashing
 * ports, a wildcard credentials address, an unusable `--jwks-file`, a cluster name or region AWS
 * would refuse. Each returns its problems as one line each (naming the flags), so that every mistake
 * is printed together before anything is served.
 */

/** Reads a whole file as UTF-8 (injected by tests). */
export type ReadText = (path: string) => string;

/** EKS cluster names: 1-100 characters, a letter or digit first, then letters, digits, `-` or `_`. */
const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/;
/** AWS region names: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, `eusc-de-east-1`. */
const REGION = /^[a-z]{2,}(-[a-z]+)+-\d{1,2}$/;

/** Problems with the listener ports: the credentials, probe and metrics servers each need their own. */
export function portProblems(
  ports: { readonly port: number; readonly probePort: number; readonly metricsPort: number },
  credentialsFlag: 'server' | 'webhook',
): string[] {
  const problems: string[] = [];
  if (credentialsFlag === 'server' && ports.port === 0)
    problems.push('--port must not be 0: pods call the credentials endpoint on a fixed port (80 on EKS)');
  // 0 means "any free port" (tests) for the webhook and the probes, and "off" for metrics: no clash.
  const clash = (a: string, b: string, x: number, y: number) => {
    if (x !== 0 && x === y) problems.push(`${a} and ${b} are both ${x}: each server needs its own port`);
  };
  clash('--port', '--probe-port', ports.port, ports.probePort);
  clash('--port', '--metrics-port', ports.port, ports.metricsPort);
  clash('--probe-port', '--metrics-port', ports.probePort, ports.metricsPort);
  return problems;
}

/** A wildcard bind address would serve every Host, and the agent answers every such request InvalidHost. */
export function bindHostProblems(hosts: readonly string[]): string[] {
  const wildcard = hosts.filter(
    (h) => h === '0.0.0.0' || (h.includes(':') && h.split(':').every((part) => /^0*$/.test(part))),
  );
  return wildcard.length === 0
    ? []
    : [
        `--bind-hosts must name the addresses pods call (169.254.170.23, fd00:ec2::23), not the wildcard ${wildcard.join(', ')}: the Host header must be one of them`,
      ];
}

/** The cluster name and region as EKS Auth and STS accept them (checked together, by flag name). */
export function clusterProblems(clusterName: string | undefined, region: string | undefined): string[] {
  const problems: string[] = [];
  if (clusterName !== undefined && clusterName !== '' && !CLUSTER_NAME.test(clusterName))
    problems.push(
      `--cluster-name (POD_IDENTITY_AGENT_CLUSTER_NAME) must be an EKS cluster name (letters, digits, "-" and "_", at most 100), got "${clusterName}"`,
    );
  if (region !== undefined && region !== '' && !REGION.test(region))
    problems.push(
      `--region (POD_IDENTITY_AGENT_REGION, AWS_REGION) must be an AWS region name such as us-west-2, got "${region}"`,
    );
  return problems;
}

/**
 * Reads `--jwks-file` once at start: a missing, unreadable or non-JSON file, or one without a usable
 * signing key, would leave the agent running and never ready. (Later changes are re-read by the key
 * set, which keeps the last good keys when the file goes bad.)
 */
export function jwksFileProblems(path: string, read: ReadText): string[] {
  const where = `--jwks-file ${path}`;
  let text: string;
  try {
    text = read(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : 'cannot be read';
    return [`${where} ${why}${code === undefined || code === 'ENOENT' ? '' : ` (${code})`}`];
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return [`${where} is not JSON`];
  }
  try {
    toSigningKeySet(document);
  } catch (error) {
    return [`${where}: ${(error as Error).message}`];
  }
  return [];
}
