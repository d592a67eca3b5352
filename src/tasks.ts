// Task brackets: marks in a hot loop (a clock read into a typed array), settled in batches later.
import { now } from './clock.js';

/** Tasks folded together once more than the kept number have ended: per name, counts and sums. */
export interface TaskAggregate {
  count: number;
  durationMs: number;
  /** µJ per channel. */
  readonly energyUj: Float64Array;
  final: boolean;
  /** How many of them were closed by the run's stop. */
  closedByStop: number;
}

/**
 * Open and finished tasks of one tracker; several may be open at once, nested or overlapping.
 * Finished tasks are kept as columns (start and end in typed arrays, the name as a reference to
 * the caller's string): a pair of marks allocates nothing, the garbage collector has no per-task
 * object to copy, and a name needs no table (a hot loop of distinct names grows none).
 */
export class TaskBook {
  readonly #open = new Map<string, number>();
  #soleName: string | null = null;
  #soleStart = 0;
  readonly #order: string[] = [];
  // Empty until the first task ends: a tracker per call (the decorator) should cost no buffers.
  /** Start and end of each finished task, side by side: the [start, end] pairs timesOf() and a fold hand on as they are. */
  #times = new Float64Array(0);
  #name: string[] = [];
  #n = 0;
  #unnamed = 0;
  /** Tasks folded away so far: a task's id (the order it ended in) maps to its index past them. */
  #foldedCount = 0;
  #keep = 0;
  /** Tasks from this index on were closed by the run's stop, not by stopTask(). */
  #closedFrom = Infinity;

  /** Opens a task; returns its name (`task_<n>` when none is given). */
  start(name?: string): string {
    const t = now();
    const key = name ?? `task_${++this.#unnamed}`;
    // The usual hot loop has one task open at a time: it lives in two fields, not in the Map.
    if (this.#soleName === null && this.#open.size === 0) {
      this.#soleName = key;
      this.#soleStart = t;
    } else {
      if (this.#soleName !== null) this.#open.set(this.#soleName, this.#soleStart);
      this.#soleName = null;
      this.#open.set(key, t);
    }
    if (name === undefined || this.#order.length > 0) this.#order.push(key);
    return key;
  }

  /**
   * Closes the named task, or the last one opened; returns its id (its place in the order tasks
   * ended, a small integer: no allocation), or -1 when no such task is open.
   */
  stop(name?: string, t = now()): number {
    let key = name;
    if (key === undefined) {
      while (this.#order.length > 0 && !this.isOpen(this.#order.at(-1)!)) this.#order.pop();
      key = this.#order.pop() ?? this.#soleName ?? undefined;
      if (key === undefined) return -1;
    }
    let startMs: number | undefined;
    if (key === this.#soleName) {
      startMs = this.#soleStart;
      this.#soleName = null;
    } else {
      startMs = this.#open.get(key);
      if (startMs === undefined) return -1;
      this.#open.delete(key);
    }
    if (2 * this.#n === this.#times.length) this.#grow();
    const i = this.#n++;
    this.#times[2 * i] = startMs;
    this.#times[2 * i + 1] = t;
    this.#name[i] = key;
    return i + this.#foldedCount;
  }

  /** Closes every open task at `tMs` (the run's stop mark), labelled as closed by the stop. */
  closeOpen(tMs: number): void {
    const open = this.openNames();
    if (open.length === 0) return;
    this.#closedFrom = Math.min(this.#closedFrom, this.#n);
    for (const name of open) this.stop(name, tMs);
  }

  /** Whether finished task `i` was closed by the run's stop. */
  closedByStop(i: number): boolean {
    return i >= this.#closedFrom;
  }

  /** The index of the task with this id, -1 when it has been folded, or when there is none. */
  indexOf(id: number): number {
    if (!Number.isInteger(id) || id < 0) return -1;
    if (id < this.#keep || this.#foldedCount === 0) return id < this.#n ? id : -1;
    if (id < this.#keep + this.#foldedCount) return -1;
    const i = id - this.#foldedCount;
    return i < this.#n ? i : -1;
  }

  /** Whether a task of this name is open. */
  isOpen(name: string): boolean {
    // The usual hot loop has no task in the Map: it is not looked at.
    return name === this.#soleName || (this.#open.size !== 0 && this.#open.has(name));
  }

  /** The names of the tasks still open. */
  openNames(): string[] {
    return this.#soleName !== null ? [this.#soleName] : [...this.#open.keys()];
  }

  #grow(): void {
    const size = Math.max(64, this.#times.length);
    const times = new Float64Array(2 * size);
    times.set(this.#times);
    this.#times = times;
    // Grown by push, not by setting its length: a long array made that way is a dictionary, and
    // every store in the hot loop a hash insert. Preallocated: stores in the hot loop never grow it.
    for (let i = this.#name.length; i < size; i++) this.#name.push('');
  }

  get doneCount(): number {
    return this.#n;
  }

  /** Finished task `i`: its name, start and end (ms), without making an object. */
  nameOf(i: number): string {
    return this.#name[i]!;
  }

  startOf(i: number): number {
    return this.#times[2 * i]!;
  }

  endOf(i: number): number {
    return this.#times[2 * i + 1]!;
  }

  /** Finished tasks `from` … `to` as the [start, end] pairs Timeline.measure() takes (ms). */
  timesOf(from: number, to: number): Float64Array {
    return this.#times.slice(2 * from, 2 * to);
  }

  /**
   * Removes the finished tasks after the first `keep` that ended by `untilMs`, and returns them as
   * columns: `times` holds start, end of each (ms), `names` their names. No object per task: this
   * runs in the hot loop when tasks are folded. Tasks are stored in the order they ended, so those
   * form one run from `keep` on.
   */
  takeAfter(keep: number, untilMs: number): { count: number; times: Float64Array; names: string[]; closedFrom: number } {
    let cut = keep;
    while (cut < this.#n && this.#times[2 * cut + 1]! <= untilMs) cut++;
    const count = Math.max(0, cut - keep);
    const times = this.#times.slice(2 * keep, 2 * cut);
    const names = this.#name.slice(keep, keep + count);
    const closedFrom = Math.max(0, this.#closedFrom - keep); // within the taken ones
    if (count > 0) {
      // Always the same `keep` in a run (task_records_kept): folded ids are one range after it.
      this.#keep = keep;
      this.#foldedCount += count;
      if (this.#closedFrom >= keep && this.#closedFrom !== Infinity) this.#closedFrom = Math.max(keep, this.#closedFrom - count);
      this.#times.copyWithin(2 * keep, 2 * cut, 2 * this.#n);
      this.#name.copyWithin(keep, cut, this.#n);
      this.#name.fill('', this.#n - count, this.#n); // the folded tasks' names are the aggregates' now
      this.#n -= count;
    }
    return { count, times, names, closedFrom };
  }
}
