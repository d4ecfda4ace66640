/**
 * The one rule for a test that needs something from the machine (root, a toolchain, a service, a
 * built binary): under `CI=true` its absence fails the run, since CI's machine must have it; anywhere
 * else the test is skipped and the reason is printed, once per file, in the default reporter.
 *
 * ```ts
 * describe.skipIf(!needs(kubectlProblem(), 'the manifest tests'))('manifests', () => { … });
 * ```
 */

/** True when the tests run under CI, where nothing they need may be missing. */
export const IN_CI = process.env.CI === 'true';

/**
 * Returns true when `problem` is undefined (what the tests need is there). Otherwise throws under
 * CI, and elsewhere prints `skipping <what>: <problem>` to stderr and returns false.
 */
export function needs(problem: string | undefined, what: string): boolean {
  if (problem === undefined) return true;
  if (IN_CI) throw new Error(`${what} cannot run under CI=true: ${problem}`);
  process.stderr.write(`skipping ${what}: ${problem}\n`);
  return false;
}
