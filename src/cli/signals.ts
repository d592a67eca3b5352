// The signals codecarbon monitor catches (every one that ends a process), the exit status each gives,
// and a signal that cuts the end of a run short.
import { constants } from 'node:os';
import { exitSignals } from '../exit.js';
import type { EmissionsTracker } from '../tracker.js';

/** 128 + the signal's number: the status a shell gives a process the signal ended. */
export const signalStatus = (signal: NodeJS.Signals): number => 128 + (constants.signals[signal] ?? 0);

/**
 * Catches every signal that ends a process (SIGINT, SIGTERM, SIGHUP, SIGQUIT), from its creation
 * until close(), and hands each to the handler of the moment. While one is installed, no signal
 * ends monitor (Node does that only for a signal nobody listens for), however many come: the
 * row is written whatever the signal, and the command is not orphaned.
 */
export class SignalCatcher {
  #handler: (signal: NodeJS.Signals) => void = () => {};
  readonly #caught = (signal: NodeJS.Signals): void => this.#handler(signal);

  constructor() {
    for (const s of exitSignals) process.on(s, this.#caught);
  }

  /** From now on, signals go to `handler`. */
  route(handler: (signal: NodeJS.Signals) => void): void {
    this.#handler = handler;
  }

  close(): void {
    for (const s of exitSignals) process.off(s, this.#caught);
  }
}

/** How long writing the row may wait (the location lookup, the last uploads) before monitor says so and a signal may cut it short. */
const patienceMs = 1000;

/**
 * Stops `tracker` and waits for its last uploads. Should that last over patienceMs, it says so, and
 * a signal from then on (a second Ctrl-C) ends the wait: the row is written at once with what is
 * known (finishNow()). A signal before then is let go: one Ctrl-C under npx reaches monitor twice
 * (from the terminal, and forwarded by npm), and must not cut the uploads short. `before` goes
 * before what it says (a newline after the live line). Resolves to whether it was cut short.
 */
export async function stopPatiently(tracker: EmissionsTracker, signals: SignalCatcher, before = ''): Promise<boolean> {
  signals.route(() => {});
  let cut = (): void => {};
  const cutShort = new Promise<true>((r) => { cut = () => r(true); });
  const offer = setTimeout(() => {
    console.error(`${before}codecarbon: still writing the row (waiting for the location lookup or the last uploads); `
      + 'Ctrl-C again to write it now with what is known');
    signals.route(() => {
      tracker.finishNow(); // nothing to do when stop() has written it already
      cut();
    });
  }, patienceMs);
  try {
    return await Promise.race([tracker.stop().then(() => tracker.delivered()).then(() => false), cutShort]);
  } finally {
    clearTimeout(offer);
  }
}
