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
    'An invalid flag or combination prints every problem on stderr and exits with code 2 before',
    'anything is bound or changed.',
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
    '## `init` exit codes',
    '',
    'The `ip` program from iproute2 does the work (the image ships it). Running `init` again changes nothing;',
    'without `NET_ADMIN` it still succeeds when there is nothing to change. IPv6 addresses get `nodad` so the',
    'server can bind them at once. On a kernel built without the dummy driver, `init` warns and creates an',
    '`ifb` interface instead (equally inert: it carries no traffic unless tc redirects to it).',
    '',
    '| code | meaning |',
    '|---|---|',
  );
  for (const key of Object.keys(INIT_EXIT) as (keyof typeof INIT_EXIT)[]) {
    out.push(`| ${INIT_EXIT[key]} | ${cell(INIT_EXIT_TEXT[key])} |`);
  }
  return `${out.join('\n')}\n`;
}
