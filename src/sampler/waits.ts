// Waiting on the sampler thread without ever waiting on a stuck one, and ending a process whose
// thread is stuck in a native call (Node would otherwise wait for it forever).
import { createRequire } from 'node:module';
import { kPublished, kStateCrashed, kStateStopped, type RingReader } from './ring.js';

/**
 * Waits until `done()`, the sampler has ended, or it is `stuck()` (checked every `checkMs`), woken by
 * changes of control word `word` (the publish counter; kServed for a wait on a wake's sample): the
 * word is read before `done()` looks, so a change in between ends the wait at once.
 */
export async function waitFor(ring: RingReader, done: () => boolean, stuck: () => boolean, checkMs: number, word = kPublished): Promise<void> {
  // A pending Atomics.waitAsync does not keep the process alive; this timer does.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    for (;;) {
      const seen = Atomics.load(ring.control, word);
      if (done()) return;
      const state = ring.state();
      if (state === kStateStopped || state === kStateCrashed || stuck()) return;
      const r = Atomics.waitAsync(ring.control, word, seen, checkMs);
      if (r.async) await r.value;
    }
  } finally {
    clearInterval(keepAlive);
  }
}

let exitHookInstalled = false;

/**
 * A sampler thread stuck in a native call (a wedged driver) cannot be terminated, and Node waits
 * for every thread before a process ends: the process would never exit. Once one is stuck, the
 * process's exit ends it at once (_exit, after the 'exit' listeners that write the rows), with
 * its exit code.
 */
export function endStuckThreadsAtExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Listeners run in the order they were added: the trackers' (which write the last rows) came first.
  process.on('exit', (code) => hardExit(code));
}

/** Ends the process now with `code`, without waiting for its threads. */
function hardExit(code: number): void {
  try {
    const koffi = createRequire(import.meta.url)('koffi') as { load(p: string): { func(s: string): (c: number) => void } };
    koffi.load(process.platform === 'darwin' ? 'libSystem.dylib' : 'libc.so.6').func('void _exit(int)')(code);
  } catch {
    process.kill(process.pid, 'SIGKILL');
  }
}
