// A tracker's runs in order: the stop in flight (its run ended at its mark, the record still being
// made) and the runs started meanwhile, each begun from its own start mark once the one before it is written.
import type { TaskLedger } from './task-ledger.js';

/** A stop in flight: its end mark, the tasks of its run, and its promise (resolving once its record is written). */
export interface Ending {
  readonly t1: number;
  readonly ledger: TaskLedger;
  done: Promise<number | null>;
}

/** A run started while a stop was in flight: its start mark, its tasks so far, and its own stop once called. */
export interface QueuedRun {
  readonly startMs: number;
  readonly ledger: TaskLedger;
  ending: Ending | null;
}

export class RunQueue {
  /** The stop in flight, or null. */
  ending: Ending | null = null;
  readonly #queued: QueuedRun[] = [];

  /** A run started at `startMs` while a stop is in flight: its marks go to `ledger` until it begins. */
  queue(startMs: number, ledger: TaskLedger): void {
    this.#queued.push({ startMs, ledger, ending: null });
  }

  /**
   * The run taking marks (its tasks in `ledger`) ends at `t1`: `write` makes its record once it is
   * the run begun, at once or once every run before it is written. Resolves to what `write` gives,
   * or null when the run was ended otherwise meanwhile (discarded, or the process exiting).
   */
  stop(t1: number, ledger: TaskLedger, write: (ending: Ending) => Promise<number | null>): Promise<number | null> {
    const ending: Ending = { t1, ledger, done: Promise.resolve(null) };
    const queued = this.#queued.at(-1);
    if (queued === undefined) {
      this.ending = ending;
      ending.done = write(ending);
    } else {
      const before = this.#queued.length > 1 ? this.#queued.at(-2)!.ending!.done : this.ending!.done;
      ending.done = before.then(() => (this.ending === ending ? write(ending) : null));
      queued.ending = ending;
    }
    return ending.done;
  }

  /** The run queued first, to begin now (its stop, if it had one meanwhile, is then the one in flight: see began()). */
  shift(): QueuedRun | undefined {
    return this.#queued.shift();
  }

  /** `run`, shifted, has begun. */
  began(run: QueuedRun): void {
    if (run.ending !== null) this.ending = run.ending;
  }

  /** Resolves once no stop is in flight (each one written begins the run queued after it). */
  async settled(): Promise<void> {
    while (this.ending !== null) await this.ending.done;
  }

  /** No stop in flight any more, no run queued (their records will not be written). */
  clear(): void {
    this.#queued.length = 0;
    this.ending = null;
  }
}
