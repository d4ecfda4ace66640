/**
 * Whether process `pid` is alive (signal 0; `EPERM` means it exists under another user): the
 * leftovers of a test process that died (its cgroups, its network namespaces) are removed only
 * when it is gone.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
