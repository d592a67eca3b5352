// The signals codecarbon monitor catches (every one that ends a process), and the exit status each gives.
import { constants } from 'node:os';
import { exitSignals } from '../exit.js';

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
