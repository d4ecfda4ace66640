import { execFile } from 'node:child_process';

/** What one finished command printed and how it exited. */
export interface CommandResult {
  /** Exit status; 127 when the program could not be started (not installed). */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with arguments (no shell) and resolves with its result; never rejects for a non-zero exit. */
export type RunCommand = (cmd: string, args: readonly string[]) => Promise<CommandResult>;

/** Longest a single `ip` call may take, milliseconds. Netlink answers in microseconds; this only stops a hang. */
const COMMAND_TIMEOUT_MS = 10_000;

/**
 * The real {@link RunCommand}: `execFile` without a shell, so arguments are never interpreted.
 * A missing program resolves with code 127 and the spawn error text in `stderr`, like a shell would.
 */
export function createRunCommand(): RunCommand {
  return (cmd, args) =>
    new Promise((resolve) => {
      execFile(cmd, [...args], { timeout: COMMAND_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (error === null) {
          resolve({ code: 0, stdout, stderr });
          return;
        }
        const spawnCode = (error as NodeJS.ErrnoException).code;
        const code = typeof error.code === 'number' ? error.code : spawnCode === 'ENOENT' ? 127 : 1;
        resolve({ code, stdout, stderr: stderr || error.message });
      });
    });
}
