// The output interface (CodeCarbon's lifecycle), and the set of outputs a run hands each record to:
// one record built once for all, each output's failure a warning, never another output's loss.
import { deltaRecord, summedFields, type EmissionsRecord, type TaskRecord } from './record.js';

/**
 * Where a run's records go: CodeCarbon's BaseOutput hooks, each optional. A method may return a
 * promise (an upload); the tracker never waits for it on the caller's path (see
 * EmissionsTracker.delivered()). A throw or a rejection is a warning, once per kind.
 */
export interface Output {
  /** At every flush() and stop(): the run's record so far, and the delta since the previous record handed out. */
  out?(total: EmissionsRecord, delta: EmissionsRecord): void | Promise<void>;
  /** Every api_call_interval measurements (measure_power_secs apart) while the run goes on. */
  liveOut?(total: EmissionsRecord, delta: EmissionsRecord): void | Promise<void>;
  /** At flush() and stop() when the run has finished tasks: their records (folded names as one row each). */
  taskOut?(tasks: readonly TaskRecord[], experimentName: string): void | Promise<void>;
  /** Once, after the run's last out(). */
  exit?(): void | Promise<void>;
  /** This port's: a run starts (start()); for outputs that serve figures while it runs (a scrape endpoint). */
  runStart?(): void;
  /** This port's: the run has ended, with a record or without (discard()), after exit(). */
  runEnd?(): void;
  /** This port's: once exit() is over, what of the run did not reach it, in a few words; null when all did. */
  undelivered?(): string | null;
}

/** A built-in output that can say, as the process exits, what it could not deliver. */
export interface Abandonable {
  /** The process is exiting now: say (through the output's warn) what is still undelivered. */
  abandon(): void;
}

/** How an output says it failed: `kind` groups failures said once (e.g. `http-503`), `message` names the fix. */
export type OutputWarn = (kind: string, message: string) => void;

/** An output with the name its warnings carry. */
export interface NamedOutput {
  readonly name: string;
  readonly output: Output;
}

type Handed = Record<(typeof summedFields)[number], number>;

/**
 * The outputs of one tracker. Each record is handed to every output in turn; what one output
 * throws or rejects is said once per output and kind of failure, and the others go on.
 */
export class Outputs {
  #handed: Handed | null = null;
  /** Work handed out and not finished: what each is, for the exit report. */
  readonly #inFlight = new Map<Promise<void>, { o: NamedOutput; method: string }>();

  readonly #wantsLive: boolean;
  readonly #wantsTasks: boolean;

  constructor(readonly list: readonly NamedOutput[], readonly warn: OutputWarn) {
    this.#wantsLive = list.some((o) => typeof o.output.liveOut === 'function');
    this.#wantsTasks = list.some((o) => typeof o.output.taskOut === 'function');
  }

  /** Whether any output takes live records (the tracker then runs its measurement timer). */
  get wantsLive(): boolean {
    return this.#wantsLive;
  }

  /** Whether any output takes task records (they are built only then). */
  get wantsTasks(): boolean {
    return this.#wantsTasks;
  }

  /** A new run: deltas count from zero again, and runStart() on the outputs that have it. */
  restart(): void {
    this.#handed = null;
    for (const o of this.list) if (o.output.runStart) this.#call(o, 'runStart', () => o.output.runStart!());
  }

  /** What each output that can tell did not deliver of the run (after delivered()). */
  undelivered(): string[] {
    return this.list.map((o) => o.output.undelivered?.() ?? null).filter((u): u is string => u !== null);
  }

  /** The run has ended (with or without a record): runEnd() on the outputs that have it. */
  ended(): void {
    for (const o of this.list) if (o.output.runEnd) this.#call(o, 'runEnd', () => o.output.runEnd!());
  }

  /** The delta of `total` since the last record handed out, which `total` now is. */
  #delta(total: EmissionsRecord): EmissionsRecord {
    const delta = deltaRecord(total, this.#handed);
    const handed = (this.#handed ??= Object.fromEntries(summedFields.map((f) => [f, 0])) as Handed);
    for (const f of summedFields) handed[f] += Number(delta[f]);
    return delta;
  }

  /** flush() and stop(): out(total, delta) on every output. */
  out(total: EmissionsRecord): void {
    const delta = this.#delta(total);
    for (const o of this.list) if (o.output.out) this.#call(o, 'out', () => o.output.out!(total, delta));
  }

  /** Every api_call_interval measurements: liveOut(total, delta) on the outputs that take it. */
  liveOut(total: EmissionsRecord): void {
    if (!this.wantsLive) return;
    const delta = this.#delta(total);
    for (const o of this.list) if (o.output.liveOut) this.#call(o, 'liveOut', () => o.output.liveOut!(total, delta));
  }

  /** The task records, built by `tasks` only when an output takes them. */
  taskOut(tasks: () => readonly TaskRecord[], experimentName: string): void {
    if (!this.wantsTasks) return;
    let records: readonly TaskRecord[] | null = null;
    for (const o of this.list) {
      if (o.output.taskOut) this.#call(o, 'taskOut', () => o.output.taskOut!(records ??= tasks(), experimentName));
    }
  }

  /** After the run's last out(). */
  exit(): void {
    for (const o of this.list) if (o.output.exit) this.#call(o, 'exit', () => o.output.exit!());
  }

  /** Resolves once every output has finished what it was handed so far (uploads delivered or given up). */
  async delivered(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight.keys());
  }

  /** The process is exiting with work in flight: each output says what it could not deliver. */
  abandon(): void {
    const told = new Set<NamedOutput>();
    for (const { o, method } of this.#inFlight.values()) {
      if (told.has(o)) continue;
      told.add(o);
      const own = (o.output as Partial<Abandonable>).abandon;
      if (typeof own === 'function') own.call(o.output);
      else this.warn(`${o.name}:abandoned`, `the ${o.name} output's ${method}() had not finished when the process exited`);
    }
  }

  #call(o: NamedOutput, method: string, f: () => void | Promise<void>): void {
    const failed = (e: unknown): void => {
      const err = e as Error;
      this.warn(`${o.name}:${method}:${err?.name ?? 'Error'}`, `the ${o.name} output's ${method}() failed: `
        + `${err?.message ?? String(e)}; the other outputs are not affected`);
    };
    let result: void | Promise<void>;
    try {
      result = f();
    } catch (e) {
      return failed(e);
    }
    if (result === undefined || typeof (result as Promise<void>).then !== 'function') return;
    const p: Promise<void> = Promise.resolve(result).then(() => undefined, failed).finally(() => {
      this.#inFlight.delete(p);
      if (this.#inFlight.size === 0) undelivered.delete(this);
    });
    this.#inFlight.set(p, { o, method });
    watchExit(this);
  }
}

/** Outputs with work in flight: at process exit each says what it could not deliver. */
const undelivered = new Set<Outputs>();
let exitWatched = false;

function watchExit(outputs: Outputs): void {
  undelivered.add(outputs);
  if (exitWatched) return;
  exitWatched = true;
  process.on('exit', () => {
    for (const o of undelivered) o.abandon();
  });
}
