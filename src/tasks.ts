// Task brackets: marks in a hot loop (a clock read into a typed array), settled in batches later.
import { now } from './clock.js';

/** Tasks folded together once more than the kept number have ended: per name, counts and sums. */
export interface TaskAggregate {
  count: number;
  durationMs: number;
  /** µJ per channel. */
  readonly energyUj: Float64Array;
  final: boolean;
}

/** The name under which tasks are folded once too many distinct names have been seen. */
export const otherNames = '(other names)';

/**
 * Open and finished tasks of one tracker; several may be open at once, nested or overlapping.
 * Finished tasks are kept as columns of typed arrays (start, end, name id): a pair of marks
 * allocates nothing, and the garbage collector has no per-task object to copy.
 */
export class TaskBook {
  readonly #open = new Map<string, number>();
  #soleName: string | null = null;
  #soleStart = 0;
  readonly #order: string[] = [];
  #names: string[] = [];
  #ids = new Map<string, number>();
  // Empty until the first task ends: a tracker per call (the decorator) should cost no buffers.
  #start = new Float64Array(0);
  #end = new Float64Array(0);
  #name = new Int32Array(0);
  #n = 0;
  #unnamed = 0;

  /**
   * `nameCap`: most distinct names the finished tasks may hold at once; past it, a new name's
   * tasks are kept under `(other names)`, so a hot loop of distinct names cannot grow the table.
   */
  constructor(readonly nameCap = Infinity) {}

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

  /** Closes the named task, or the last one opened; returns false when no such task is open. */
  stop(name?: string): boolean {
    const t = now();
    let key = name;
    if (key === undefined) {
      while (this.#order.length > 0 && !this.isOpen(this.#order.at(-1)!)) this.#order.pop();
      key = this.#order.pop() ?? this.#soleName ?? undefined;
      if (key === undefined) return false;
    }
    let startMs: number | undefined;
    if (key === this.#soleName) {
      startMs = this.#soleStart;
      this.#soleName = null;
    } else {
      startMs = this.#open.get(key);
      if (startMs === undefined) return false;
      this.#open.delete(key);
    }
    if (this.#n === this.#start.length) this.#grow();
    const i = this.#n++;
    this.#start[i] = startMs;
    this.#end[i] = t;
    this.#name[i] = this.#idOf(key);
    return true;
  }

  /** Whether a task of this name is open. */
  isOpen(name: string): boolean {
    return name === this.#soleName || this.#open.has(name);
  }

  /** The names of the tasks still open. */
  openNames(): string[] {
    return this.#soleName !== null ? [this.#soleName] : [...this.#open.keys()];
  }

  #lastName: string | null = null;
  #lastId = -1;

  #idOf(name: string): number {
    if (name === this.#lastName) return this.#lastId; // a hot loop ends the same task again and again
    let id = this.#ids.get(name);
    if (id === undefined) {
      const key = this.#names.length < this.nameCap ? name : otherNames;
      id = this.#ids.get(key) ?? this.#names.push(key) - 1;
      this.#ids.set(key, id);
    }
    this.#lastName = name;
    this.#lastId = id;
    return id;
  }

  #grow(): void {
    const size = Math.max(64, this.#start.length * 2);
    const start = new Float64Array(size);
    const end = new Float64Array(size);
    const name = new Int32Array(size);
    start.set(this.#start);
    end.set(this.#end);
    name.set(this.#name);
    this.#start = start;
    this.#end = end;
    this.#name = name;
  }

  get doneCount(): number {
    return this.#n;
  }

  /** Distinct names in the table (the finished tasks' names, and some folded away since the last compaction). */
  get nameCount(): number {
    return this.#names.length;
  }

  /** Drops the names no finished task refers to any more (after folding took their tasks). */
  compactNames(): void {
    const remap = new Int32Array(this.#names.length).fill(-1);
    const names: string[] = [];
    const ids = new Map<string, number>();
    for (let i = 0; i < this.#n; i++) {
      const old = this.#name[i]!;
      let id = remap[old]!;
      if (id < 0) {
        id = names.push(this.#names[old]!) - 1;
        remap[old] = id;
        ids.set(names[id]!, id);
      }
      this.#name[i] = id;
    }
    this.#names = names;
    this.#ids = ids;
    this.#lastName = null;
    this.#lastId = -1;
  }

  /** Finished task `i`: its name, start and end (ms), without making an object. */
  nameOf(i: number): string {
    return this.#names[this.#name[i]!]!;
  }

  startOf(i: number): number {
    return this.#start[i]!;
  }

  endOf(i: number): number {
    return this.#end[i]!;
  }

  /** The name of name id `id` (as takeAfter() returns them). */
  nameOfId(id: number): string {
    return this.#names[id]!;
  }

  /**
   * Removes the finished tasks after the first `keep` that ended by `untilMs`, and returns them as
   * columns: `times` holds start, end of each (ms), `ids` their name ids. No object per task: this
   * runs in the hot loop when tasks are folded. Tasks are stored in the order they ended, so those
   * form one run from `keep` on.
   */
  takeAfter(keep: number, untilMs: number): { count: number; times: Float64Array; ids: Int32Array } {
    let cut = keep;
    while (cut < this.#n && this.#end[cut]! <= untilMs) cut++;
    const count = Math.max(0, cut - keep);
    const times = new Float64Array(2 * count);
    for (let i = 0; i < count; i++) {
      times[2 * i] = this.#start[keep + i]!;
      times[2 * i + 1] = this.#end[keep + i]!;
    }
    const ids = this.#name.slice(keep, keep + count);
    if (count > 0) {
      this.#start.copyWithin(keep, cut, this.#n);
      this.#end.copyWithin(keep, cut, this.#n);
      this.#name.copyWithin(keep, cut, this.#n);
      this.#n -= count;
    }
    return { count, times, ids };
  }
}
