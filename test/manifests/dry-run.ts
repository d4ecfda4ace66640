import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { stringify } from 'yaml';
import type { ControlPlane } from '../../test-support/control-plane.js';

/** What `kubectl apply --dry-run=server` said. */
export interface DryRunResult {
  readonly status: number | null;
  /** stdout then stderr. */
  readonly output: string;
}

/** `kubectl apply --dry-run=server` of `objects` against `plane`. */
export function dryRun(plane: ControlPlane, objects: readonly object[]): DryRunResult {
  const result = spawnSync(
    'kubectl',
    ['apply', '--dry-run=server', '--kubeconfig', plane.kubeconfig, '-f', '-'],
    {
      input: objects.map((o) => stringify(o)).join('---\n'),
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Asserts that the dry run accepted each of its `count` objects and said nothing else. */
export function expectAccepted(result: DryRunResult, count: number): void {
  // Other tests may have created the agent's ServiceAccount and role by hand on the shared control
  // plane; kubectl then warns that they lack its last-applied annotation. Anything else counts.
  const lines = result.output.trim().split('\n');
  const other = lines.filter(
    (l) => !l.endsWith('(server dry run)') && !l.includes('last-applied-configuration'),
  );
  expect(other).toEqual([]);
  expect(result.status).toBe(0);
  expect(lines.filter((l) => l.endsWith('(server dry run)'))).toHaveLength(count);
}
