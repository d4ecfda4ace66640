import { ENV_PREFIX } from './flags.js';
import { COMMAND_ORDER, COMMAND_SUMMARY, flagsOf, valueHint } from './help.js';
import { INIT_EXIT, INIT_EXIT_TEXT } from './init-exit-codes.js';

function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

/**
 * The whole of docs/configuration.md, generated from the FLAGS table (`npm run docs:config`).
 * A test compares the committed file with this output, so the docs cannot drift from the parser.
 */
export function renderConfigurationDoc(): string {
  const out: string[] = [
    '# Configuration',
    '',
    '<!-- Generated from agent/config/flags.ts by `npm run docs:config`. Do not edit by hand. -->',
    '',
    '`pod-identity-agent <command> [flags]`. Every flag can also be set with an environment variable',
    `(\`${ENV_PREFIX}<FLAG>\`, except \`KUBECONFIG\`). Precedence: command-line flag, then environment`,
    'variable, then the default. `--flag value` and `--flag=value` are both accepted; a boolean flag',
    'alone means `true`. Durations take a unit: `500ms`, `90s`, `15m`, `3h`, `1h30m`.',
    '`pod-identity-agent <command> --help` prints the same table.',
    '',
    'An invalid flag or combination prints every problem on stderr, one line each',
    '(`pod-identity-agent: <problem>`), and exits with code 2 before anything is bound or changed.',
    "Besides each flag's own syntax, `server` refuses: `--port 0`; `--port`, `--probe-port` and",
    '`--metrics-port` sharing a number (also for `webhook`); a wildcard `--bind-hosts` (`0.0.0.0`,',
    '`::`), since the Host header must name an address the agent serves; a `--jwks-file` that is',
    'missing, unreadable, not JSON, not a key set or without a usable RS256/ES256/ES384/ES512 public',
    'key (read once at start; a file that goes bad later keeps the last good keys); an empty or',
    'malformed `--cluster-name` or `--region`.',
    '',
    '## Commands',
    '',
    '| command | what it does |',
    '|---|---|',
    ...COMMAND_ORDER.map((c) => `| \`${c}\` | ${cell(COMMAND_SUMMARY[c])} |`),
  ];
  for (const command of COMMAND_ORDER) {
    const flags = flagsOf(command);
    if (flags.length === 0) continue;
    out.push(
      '',
      `## \`${command}\``,
      '',
      '| flag | environment variable | default | description |',
      '|---|---|---|---|',
    );
    for (const spec of flags) {
      const hint = valueHint(spec);
      const name = `\`--${spec.name}${hint === '' ? '' : ` ${hint}`}\``;
      const fallback = spec.defaults?.[command];
      const shown = fallback === undefined ? '—' : `\`${fallback}\``;
      out.push(`| ${cell(name)} | \`${spec.env}\` | ${cell(shown)} | ${cell(spec.help)} |`);
    }
  }
  out.push(
    '',
    '## Proxies and AWS endpoints (`server`)',
    '',
    "The agent's own calls (EKS Auth, STS, and a key set from `--jwks-uri` or `--issuer` discovery;",
    'never the in-cluster API server) follow the variables the AWS SDKs and curl read:',
    '',
    '| variable | effect |',
    '|---|---|',
    '| `HTTPS_PROXY` / `https_proxy` | Proxy of `https://` upstreams (upper case wins); `host:port` means `http://host:port`. Calls are tunnelled with `CONNECT`, so the proxy sees only the host name. |',
    '| `HTTP_PROXY` / `http_proxy` | Proxy of `http://` upstreams (test endpoints), tunnelled the same way. |',
    '| `NO_PROXY` / `no_proxy` | Comma-separated hosts reached directly: `*`, a domain (`amazonaws.com` or `.amazonaws.com`, subdomains included), an IP address, `host:port`, or an IPv4 CIDR block. |',
    '| `AWS_ENDPOINT_URL_EKS_AUTH` | EKS Auth endpoint when `--endpoint` is not given (e.g. a VPC endpoint). |',
    '| `AWS_ENDPOINT_URL_STS` | STS endpoint when `--sts-endpoint` is not given. |',
    '| `AWS_ENDPOINT_URL` | Both endpoints, when neither the flag nor the per-service variable is set. An `http://` endpoint, from a flag or a variable, is refused (exit 2) unless `--allow-plain-http`. |',
    '| `AWS_USE_FIPS_ENDPOINT` | `true`: `https://eks-auth-fips.{region}.api.aws` and `https://sts-fips.{region}.amazonaws.com` unless an endpoint is set. |',
    '| `AWS_CA_BUNDLE` | PEM file trusted for `https://` upstreams instead of the system roots (a TLS-inspecting proxy). Read at start; a missing file or one without a certificate is refused (exit 2). |',
    '',
    "The node's own AWS credentials still come from the SDK's default chain (IMDS is never proxied).",
    'A bad value is refused at start like a bad flag, naming the variable.',
    '',
    '## `init` exit codes',
    '',
    'The `ip` program from iproute2 does the work (the image ships it). Running `init` again changes nothing;',
    'without `NET_ADMIN` it still succeeds when there is nothing to change. IPv6 addresses get `nodad` so the',
    'server can bind them at once. On a kernel built without the dummy driver, `init` warns and creates an',
    '`ifb` interface instead (equally inert: it carries no traffic unless tc redirects to it).',
    '`init` writes plain text lines (`pod-identity-agent: init: done (interface=..., changes=...)`),',
    'errors and warnings on stderr.',
    '',
    '| code | meaning |',
    '|---|---|',
  );
  for (const key of Object.keys(INIT_EXIT) as (keyof typeof INIT_EXIT)[]) {
    out.push(`| ${INIT_EXIT[key]} | ${cell(INIT_EXIT_TEXT[key])} |`);
  }
  return `${out.join('\n')}\n`;
}
