import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageVersion } from '../agent/package-version.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

describe('packageVersion', () => {
  it("finds the project's package.json from the sources' folder", () => {
    expect(packageVersion()).toBe(VERSION);
  });

  it('answers unknown where no folder up to the root holds the package', () => {
    const dir = mkdtempSync(join(tmpdir(), 'no-package-'));
    expect(packageVersion(pathToFileURL(`${dir}/`))).toBe('unknown');
  });
});
