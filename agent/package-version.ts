import { readFileSync } from 'node:fs';

/**
 * The `version` of the project's package.json, found by walking up from this file (one folder up
 * from the sources, two or three from the built files in `dist/`); `unknown` when there is none,
 * so that `--version` and the start-up line never fail for want of it.
 */
export function packageVersion(from: URL = new URL('.', import.meta.url)): string {
  for (let dir = from; ; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'pod-identity-agent' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here: look one folder up
    }
    if (new URL('..', dir).href === dir.href) return 'unknown';
  }
}
