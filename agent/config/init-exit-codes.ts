/**
 * Exit codes of `pod-identity-agent init` (documented in docs/configuration.md).
 * 2 is the CLI-wide "invalid configuration" code, the same for every command.
 */
export const INIT_EXIT = Object.freeze({
  ok: 0,
  /** An `ip` command failed for a reason not listed below. */
  failed: 1,
  invalidConfig: 2,
  /** The container lacks `CAP_NET_ADMIN` (netlink answered EPERM). */
  noNetAdmin: 3,
  /** The `ip` program (iproute2) is not installed. */
  ipMissing: 4,
  /** `--interface` names an existing device that is not a dummy (or ifb) interface: refusing to touch it. */
  foreignInterface: 5,
});

/** What each init exit code means to an operator reading `kubectl describe pod`. */
export const INIT_EXIT_TEXT: Readonly<Record<keyof typeof INIT_EXIT, string>> = Object.freeze({
  ok: 'The interface holds every address (or there was nothing to change). IPv6 addresses skipped because IPv6 is off are logged as warnings.',
  failed: 'An `ip` command failed for another reason; the log line has the command and its error.',
  invalidConfig: 'Invalid flags or environment variables (same code as every other command).',
  noNetAdmin: 'Not permitted to change interfaces: the init container needs `capabilities.add: [NET_ADMIN]`.',
  ipMissing: 'The `ip` program (iproute2) is not installed in the image.',
  foreignInterface:
    '`--interface` names an existing device that is not a dummy (or ifb) interface; init refuses to touch it.',
});
