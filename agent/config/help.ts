import { type Command, ENV_PREFIX, FLAGS, type FlagSpec } from './flags.js';

/** One-line description of each subcommand, shown by `--help` and docs/configuration.md. */
export const COMMAND_SUMMARY: Readonly<Record<Command, string>> = Object.freeze({
  server: 'Serve temporary AWS credentials to the pods on this node (the DaemonSet main container).',
  init: 'Put the credentials addresses on a dummy interface (the DaemonSet init container).',
  webhook: 'Admission webhook that points pods at this agent (clusters without EKS).',
  version: 'Print the version and exit.',
});

/** Command order in help and docs. */
export const COMMAND_ORDER: readonly Command[] = ['server', 'init', 'webhook', 'version'];

/** Placeholder shown after a flag name for its value, e.g. `--port PORT`; empty for booleans. */
export function valueHint(spec: FlagSpec): string {
  switch (spec.kind) {
    case 'bool':
      return '';
    case 'enum':
      return (spec.values ?? []).join('|');
    case 'list':
      return 'ADDRESSES';
    case 'path':
      return 'FILE';
    case 'count':
      return 'N';
    default:
      return spec.kind.toUpperCase();
  }
}

/** The flags of one command, in table order. */
export function flagsOf(command: Command): readonly FlagSpec[] {
  return FLAGS.filter((f) => f.commands.includes(command));
}

const WIDTH = 100;
const INDENT = '      ';

/**
 * The text `pod-identity-agent --help` prints: without a topic, the commands; with one, that
 * command's flags with their environment variable, default for that command and help, wrapped at
 * 100 columns. Built from the FLAGS table only, so it cannot disagree with the parser.
 */
export function formatHelp(topic?: Command): string {
  if (topic === undefined) {
    const lines = ['Usage: pod-identity-agent <command> [flags]', '', 'Commands:'];
    for (const c of COMMAND_ORDER) lines.push(`  ${c.padEnd(9)}${COMMAND_SUMMARY[c]}`);
    lines.push(
      '',
      ...wrap(
        'Run "pod-identity-agent <command> --help" for its flags. Every flag can also be set by an ' +
          `environment variable (${ENV_PREFIX}<FLAG>); a flag on the command line wins.`,
        '',
      ),
    );
    return `${lines.join('\n')}\n`;
  }
  const flags = flagsOf(topic);
  const lines = [`Usage: pod-identity-agent ${topic}${flags.length > 0 ? ' [flags]' : ''}`, ''];
  lines.push(...wrap(COMMAND_SUMMARY[topic], ''));
  if (flags.length > 0) lines.push('', 'Flags:');
  for (const spec of flags) {
    const hint = valueHint(spec);
    lines.push(`  --${spec.name}${hint === '' ? '' : ` ${hint}`}`);
    const fallback = spec.defaults?.[topic];
    const meta = `[env ${spec.env}${fallback === undefined ? '' : `, default ${fallback}`}]`;
    lines.push(...wrap(`${spec.help} ${meta}`, INDENT));
  }
  return `${lines.join('\n')}\n`;
}

function wrap(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = indent;
  for (const word of text.split(/\s+/)) {
    if (line.length > indent.length && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = indent;
    }
    line += line.length > indent.length ? ` ${word}` : word;
  }
  lines.push(line);
  return lines;
}
