// Task brackets: marks in a hot loop (a clock read and a push), settled in batches against the timeline.
import { performance } from 'node:perf_hooks';

/** A finished task: its name and its two marks on the timeline (ms). */
export interface TaskSpan {
  readonly name: string;
  readonly startMs: number;
  readonly endMs: number;
}

/** Tasks folded together once more than the kept number have ended: per name, counts and sums. */
export interface TaskAggregate {
  count: number;
  durationMs: number;
  /** µJ per channel. */
  readonly energyUj: Float64Array;
  final: boolean;
}

/** Open and finished tasks of one tracker. Several may be open at once, nested or overlapping. */
export class TaskBook {
  readonly #open = new Map<string, number>();
  readonly #order: string[] = [];
  #done: TaskSpan[] = [];
  #unnamed = 0;

  /** Opens a task; returns its name (`task_<n>` when none is given). */
  start(name?: string): string {
    const t = performance.now();
    const key = name ?? `task_${++this.#unnamed}`;
    this.#open.set(key, t);
    this.#order.push(key);
    return key;
  }

  /** Closes the named task, or the last one opened; returns false when no such task is open. */
  stop(name?: string): boolean {
    const t = performance.now();
    let key = name;
    if (key === undefined) {
      while (this.#order.length > 0 && !this.#open.has(this.#order.at(-1)!)) this.#order.pop();
      key = this.#order.pop();
    }
    if (key === undefined) return false;
    const startMs = this.#open.get(key);
    if (startMs === undefined) return false;
    this.#open.delete(key);
    this.#done.push({ name: key, startMs, endMs: t });
    if (this.#order.length > 1024 && this.#open.size === 0) this.#order.length = 0;
    return true;
  }

  get openCount(): number {
    return this.#open.size;
  }

  get done(): readonly TaskSpan[] {
    return this.#done;
  }

  /** Removes and returns the finished tasks that `keep` accepts. */
  take(keep: (t: TaskSpan) => boolean): TaskSpan[] {
    const taken: TaskSpan[] = [];
    const left: TaskSpan[] = [];
    for (const t of this.#done) (keep(t) ? taken : left).push(t);
    this.#done = left;
    return taken;
  }
}
