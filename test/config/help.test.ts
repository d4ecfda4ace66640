import { describe, expect, it } from 'vitest';
import { type Command, FLAGS } from '../../agent/config/flags.js';
import { COMMAND_ORDER, formatHelp } from '../../agent/config/help.js';

describe('formatHelp', () => {
  it('lists every command without a topic', () => {
    const text = formatHelp();
    for (const command of COMMAND_ORDER) expect(text).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it.each(COMMAND_ORDER)('shows every flag of "%s" with its environment variable and default', (command) => {
    const text = formatHelp(command).replace(/\n\s+/g, ' ');
    for (const spec of FLAGS.filter((f) => f.commands.includes(command))) {
      expect(text).toContain(`--${spec.name}`);
      expect(text).toContain(`env ${spec.env}`);
      const fallback = spec.defaults?.[command];
      if (fallback !== undefined) expect(text).toContain(`default ${fallback}`);
    }
  });

  it('shows each command its own default for a shared flag', () => {
    expect(formatHelp('server').replace(/\n\s+/g, ' ')).toContain('POD_IDENTITY_AGENT_PORT, default 80]');
    expect(formatHelp('webhook').replace(/\n\s+/g, ' ')).toContain('POD_IDENTITY_AGENT_PORT, default 8443]');
  });

  it('leaves out flags that belong to other commands', () => {
    expect(formatHelp('init')).not.toContain('--cluster-name');
  });

  it.each([['overview', undefined], ...COMMAND_ORDER.map((c) => [c, c])] as [string, Command | undefined][])(
    'keeps every line of the %s help within 100 columns unless one word is longer',
    (_label, topic) => {
      for (const line of formatHelp(topic).split('\n')) {
        if (line.length > 100) expect(line.trim().includes(' ')).toBe(false);
      }
    },
  );
});
