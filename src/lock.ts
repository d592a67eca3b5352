// allow_multiple_runs = false: one tracker at a time per machine, through a PID-checked lock file.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** CodeCarbon's lock file: `.codecarbon.lock` in the system temp folder. */
export const lockPath = (): string => join(tmpdir(), '.codecarbon.lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock for this process; returns null, or the pid that holds it. A lock left by a
 * process that no longer runs (a crash) is taken over: the stale locks CodeCarbon users met.
 */
export function acquireLock(path = lockPath()): number | null {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number(readFileSync(path, 'utf8').trim());
    if (holder === process.pid) return null;
    if (Number.isInteger(holder) && holder > 0 && alive(holder)) return holder;
    rmSync(path, { force: true });
  }
  return null;
}

/** Releases the lock if this process holds it. */
export function releaseLock(path = lockPath()): void {
  try {
    if (Number(readFileSync(path, 'utf8').trim()) === process.pid) rmSync(path, { force: true });
  } catch {
    // already gone
  }
}
