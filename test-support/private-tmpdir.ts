/**
 * Gives this process a temporary folder of its own: `TMPDIR` (which `os.tmpdir()` reads on every
 * call) points into a fresh folder, so every `mkdtemp(join(tmpdir(), ...))` of the tests, the
 * stand-ins and the demo lands inside it, and one `rm` removes them all. Child processes that are
 * given `process.env` inherit it. The folder is 0755 so that helpers that drop privileges (tinyproxy
 * runs as nobody) can still reach their own files inside.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Moves `TMPDIR` into a new private folder; returns the function that removes it and restores `TMPDIR`. */
export function usePrivateTmpdir(prefix = 'pia-'): () => void {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  process.env.TMPDIR = dir;
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', remove);
  return remove;
}
