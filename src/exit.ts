// Running trackers write their final row once on the way out: beforeExit, SIGINT/SIGTERM/SIGHUP/SIGQUIT, exit.
import { constants } from 'node:os';

/** What the exit hooks need of a running tracker. */
export interface Stoppable {
  stop(): Promise<unknown>;
  /** The exit event allows no waiting: write with the samples there are. */
  finishNow(): void;
  /** Resolves once the outputs have delivered what they were handed (uploads). */
  delivered?(): Promise<void>;
}

/** How long a signal's exit waits for uploads after the trackers have stopped. */
const deliveryWaitMs = 3000;

/** `p`, or nothing after `ms`. */
function bounded(p: Promise<void> | undefined, ms: number): Promise<void> {
  if (p === undefined) return Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<void>((r) => { timer = setTimeout(r, ms); })]).finally(() => clearTimeout(timer));
}

const active = new Set<Stoppable>();
/**
 * The signals that end a process by default and that Node lets a program listen for (Windows has no
 * SIGQUIT); codecarbon monitor, which handles exit itself, catches the same.
 */
export const exitSignals: readonly NodeJS.Signals[] = process.platform === 'win32' ? ['SIGINT', 'SIGTERM', 'SIGHUP'] : ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

function onBeforeExit(): void {
  for (const t of [...active]) void t.stop();
}

function onSignal(signal: NodeJS.Signals): void {
  // The program listens for this signal too, so Node does not end the process: the program
  // decides, and the trackers go on measuring; if it then exits, the exit hook writes the rows.
  if (process.listenerCount(signal) > 1) return;
  // Uploads of the last records go out before the process ends, for a bounded time.
  void Promise.allSettled([...active].map((t) => t.stop().then(() => bounded(t.delivered?.(), deliveryWaitMs)))).finally(() => {
    uninstall();
    // The signal's usual outcome follows: the default handler ends the process (exit 130 / 143),
    // unless the program began handling this signal meanwhile.
    if (process.listenerCount(signal) > 0) return;
    try {
      process.kill(process.pid, signal);
    } catch {
      process.exit(128 + (constants.signals[signal] ?? 0)); // a signal this platform cannot send (Windows)
    }
  });
}

function onExit(): void {
  for (const t of [...active]) t.finishNow();
}

function uninstall(): void {
  installed = false;
  process.off('beforeExit', onBeforeExit);
  process.off('exit', onExit);
  for (const s of exitSignals) process.off(s, onSignal);
}

let installed = false;
let pendingUninstall: NodeJS.Immediate | null = null;

export function register(t: Stoppable): void {
  if (pendingUninstall !== null) {
    clearImmediate(pendingUninstall);
    pendingUninstall = null;
  }
  if (!installed) {
    installed = true;
    process.on('beforeExit', onBeforeExit);
    process.on('exit', onExit);
    for (const s of exitSignals) process.on(s, onSignal);
  }
  active.add(t);
}

export function unregister(t: Stoppable): void {
  active.delete(t);
  // Later in this turn of the loop: a decorated function called in a loop would otherwise remove
  // and add the signal handlers at every call.
  if (active.size === 0 && installed && pendingUninstall === null) {
    pendingUninstall = setImmediate(() => {
      pendingUninstall = null;
      if (active.size === 0) uninstall();
    }).unref();
  }
}
