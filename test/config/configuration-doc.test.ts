import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigurationDoc } from '../../agent/config/configuration-doc.js';
import { FLAGS } from '../../agent/config/flags.js';

const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

describe('docs/configuration.md', () => {
  it('is exactly what `npm run docs:config` generates from the flag table (run it after changing flags)', () => {
    expect(committed).toBe(renderConfigurationDoc());
  });

  it.each(FLAGS.map((f) => [f.name, f.env]))('documents --%s and its variable %s', (name, env) => {
    expect(committed).toContain(`\`--${name}`);
    expect(committed).toContain(`\`${env}\``);
  });
});
