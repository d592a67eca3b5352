// Task brackets: marks in a hot loop (a clock read into a typed array), settled in batches later.
import { now } from './clock.js';
import { arenaStepTasks, type TaskArena } from './sampler/arena.js';

/** Names of consecutive tasks: run r names the tasks from `starts[r]` to the next run's start. */
export interface TaskRuns {
  readonly starts: Int32Array;
  readonly names: readonly string[];
}

/** Finished tasks a fold takes (TaskBook.takeAfter()): `times` is a view valid during the call only. */
export interface TakenTasks {
  readonly count: number;
  /** [start, end] of each, ms. */
  readonly times: Float64Array;
  readonly runs: TaskRuns;
  /** Tasks from this index on (within the taken ones) were closed by the run's stop. */
  readonly closedFrom: number;
}

/** Tasks folded together once more than the kept number have ended: per name, counts and sums. */
export interface TaskAggregate {
  count: number;
  durationMs: number;
  /** µJ per channel. */
  readonly energyUj: Float64Array;
  final: boolean;
  /** How many of them were closed by the run's stop. */
  closedByStop: number;
  /** When the last of them ended (the marks' clock, ms). */
  lastEndMs: number;
}

/**
 * Open and finished tasks of one tracker; several may be open at once, nested or overlapping.
 * Finished tasks are kept as columns (start and end side by side in one Float64Array, names as runs
 * of the caller's strings): a pair of marks allocates nothing, the garbage collector has no per-task
 * object to copy, and a name needs no table (a hot loop of distinct names grows none).
 */
export class TaskBook {
  readonly #open = new Map<string, number>();
  #soleName: string | null = null;
  #soleStart = 0;
  readonly #order: string[] = [];
  /** Tasks open by handle (openConcurrent()): several of one name at once. */
  readonly #concurrent = new Map<number, { readonly name: string; readonly startMs: number }>();
  #handles = 0;
  // Empty until the first task ends: a tracker per call (the decorator) should cost no buffers.
  /** Start and end of each finished task, side by side: the [start, end] pairs timesOf() and a fold hand on as they are. */
  #times: Float64Array<ArrayBufferLike> = new Float64Array(0);
  /** Whether #times is a view of the arena (lent to this book at its first finished task). */
  #inArena = false;
  /**
   * Names as runs: run r names finished tasks #runStart[r] up to the next run's start. A loop of one
   * name stores none per task; #lastName is the last run's, for the store's one comparison.
   */
  #runStart = new Int32Array(0);
  #runName: string[] = [];
  #runs = 0;
  #lastName: string | null = null;
  /** The run nameOf() found last: rows are read in order. */
  #cursor = 0;
  #n = 0;
  #unnamed = 0;
  /** Tasks folded away so far: a task's id (the order it ended in) maps to its index past them. */
  #foldedCount = 0;
  #keep = 0;
  /** Tasks from this index on were closed by the run's stop, not by stopTask(). */
  #closedFrom = Infinity;

  /** `arena`: slots the sampler thread makes ready before the marks reach them, when no other book has it. */
  constructor(readonly arena: TaskArena | null = null) {}

  /** Opens a task; returns its name (`task_<n>` when none is given). */
  start(name?: string): string {
    let key = name;
    // Unnamed tasks are task_<n>, past any name already open (one a user gave).
    while (key === undefined || (name === undefined && this.isOpen(key))) key = `task_${++this.#unnamed}`;
    this.#openAt(key, now());
    return key;
  }

  /**
   * The usual hot loop has one task open at a time: it lives in two fields, not in the Map, and
   * the order tasks opened in (for stop() without a name) is kept only while several are open.
   */
  #openAt(key: string, t: number): void {
    if (this.#soleName === null && this.#open.size === 0) {
      if (this.#order.length !== 0) this.#order.length = 0; // names of tasks all closed since
      this.#soleName = key;
      this.#soleStart = t;
      return;
    }
    if (this.#soleName !== null) {
      this.#open.set(this.#soleName, this.#soleStart);
      this.#order.push(this.#soleName);
      this.#soleName = null;
    }
    this.#open.set(key, t);
    const order = this.#order;
    order.push(key);
    // Names closed out of order stay behind until here: kept to a few more than the open tasks.
    if (order.length > 2 * this.#open.size + 16) {
      const seen = new Set<string>();
      const kept: string[] = [];
      for (let i = order.length - 1; i >= 0; i--) {
        const n = order[i]!;
        if (this.#open.has(n) && !seen.has(n)) { seen.add(n); kept.push(n); }
      }
      order.length = 0;
      order.push(...kept.reverse());
    }
  }

  /**
   * Ends the open task `name` (when one is) and opens the next of that name at the same mark: the
   * boundary between two iterations is one clock read, not two. Returns the ended task's id, or
   * -1 when none of that name was open (this call only opened one).
   */
  next(name: string): number {
    const t = now();
    if (name === this.#soleName) {
      // The hot loop's case: the task ends and the next begins in the same two fields.
      const startMs = this.#soleStart;
      this.#soleStart = t;
      return this.#ended(name, startMs, t);
    }
    const id = this.isOpen(name) ? this.stop(name, t) : -1;
    this.#openAt(name, t);
    return id;
  }

  /**
   * Closes the named task, or the last one opened; returns its id (its place in the order tasks
   * ended, a small integer: no allocation), or -1 when no such task is open.
   */
  stop(name?: string, t = now()): number {
    let key = name;
    if (key === undefined) {
      this.#trimOrder();
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
      // A loop of tasks inside an open one closes the newest: its name leaves the order with it.
      this.#trimOrder();
    }
    return this.#ended(key, startMs, t);
  }

  /** Drops the names of closed tasks from the end of the order (the newest open task is then last). */
  #trimOrder(): void {
    const order = this.#order;
    while (order.length > 0 && !this.isOpen(order.at(-1)!)) order.pop();
  }

  /** Stores a finished task; returns its id. */
  #ended(key: string, startMs: number, t: number): number {
    if (2 * this.#n === this.#times.length) this.#grow();
    const i = this.#n++;
    this.#times[2 * i] = startMs;
    this.#times[2 * i + 1] = t;
    if (key !== this.#lastName) this.#newRun(key, i);
    return i + this.#foldedCount;
  }

  /**
   * Opens a task of `name` that may overlap others of the same name (a wrapped async function
   * called again before its last call returned): it is known by the handle returned, not by its
   * name, and is recorded under its name.
   */
  openConcurrent(name: string, t = now()): number {
    const handle = ++this.#handles;
    this.#concurrent.set(handle, { name, startMs: t });
    return handle;
  }

  /** Closes the task opened as `handle`; returns its id, or -1 when no such task is open. */
  stopConcurrent(handle: number, t = now()): number {
    const open = this.#concurrent.get(handle);
    if (open === undefined) return -1;
    this.#concurrent.delete(handle);
    return this.#ended(open.name, open.startMs, t);
  }

  /** Closes every open task at `tMs` (the run's stop mark), labelled as closed by the stop. */
  closeOpen(tMs: number): void {
    const open = this.openNames();
    if (open.length === 0 && this.#concurrent.size === 0) return;
    this.#closedFrom = Math.min(this.#closedFrom, this.#n);
    for (const name of open) this.stop(name, tMs);
    for (const handle of [...this.#concurrent.keys()]) this.stopConcurrent(handle, tMs);
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

  #newRun(name: string, i: number): void {
    // Tasks of names all their own (a request id) make a run each: stored as a name per task was.
    if (this.#runs === this.#runStart.length) this.#growRuns();
    this.#runStart[this.#runs] = i;
    this.#runName[this.#runs++] = name;
    this.#lastName = name;
  }

  #growRuns(): void {
    const size = Math.max(16, this.#runStart.length);
    const starts = new Int32Array(2 * size);
    starts.set(this.#runStart);
    this.#runStart = starts;
    // Grown by push, not by setting its length: a long array made that way is a dictionary, and
    // every store a hash insert. Preallocated: the stores of a run never grow it.
    for (let i = this.#runName.length; i < 2 * size; i++) this.#runName.push('');
  }

  /** Room for more tasks: the arena's next step (no copy), or, past it or without it, twice the room. */
  #grow(): void {
    const have = this.#times.length / 2;
    const arena = this.arena;
    if (arena !== null && (this.#inArena || (have === 0 && arena.lend(this)))) {
      this.#inArena = true;
      if (have < arena.tasks) {
        this.#times = arena.view(Math.min(arena.tasks, have + arenaStepTasks));
        return;
      }
      // Outgrown (task_records_kept above the default, or folds held up): on in memory of its own.
      this.#inArena = false;
      arena.giveBack();
    }
    const times = new Float64Array(2 * Math.max(64, 2 * have));
    times.set(this.#times);
    this.#times = times;
  }

  /**
   * Gives the arena back (its slots may be overwritten from then on). `keep`: the marks are copied
   * to memory of the book's own first; otherwise the book is emptied (no one reads it any more).
   */
  leaveArena(keep: boolean): void {
    if (!this.#inArena) return;
    this.#times = keep ? this.#times.slice(0, 2 * Math.max(64, this.#n)) : new Float64Array(0);
    if (!keep) [this.#n, this.#runs, this.#lastName] = [0, 0, null];
    this.#inArena = false;
    this.arena!.giveBack();
  }

  get doneCount(): number {
    return this.#n;
  }

  /** Finished task `i`: its name, start and end (ms), without making an object. */
  nameOf(i: number): string {
    const starts = this.#runStart;
    const runs = this.#runs;
    let r = this.#cursor;
    if (!(r < runs && starts[r]! <= i && (r + 1 === runs || i < starts[r + 1]!))) {
      r = r + 1 < runs && starts[r + 1]! <= i && (r + 2 === runs || i < starts[r + 2]!) ? r + 1 : this.#runOf(i);
    }
    this.#cursor = r;
    return this.#runName[r]!;
  }

  /** The run holding finished task `i`: the last run starting at or before it. */
  #runOf(i: number): number {
    const starts = this.#runStart;
    let lo = 0;
    let hi = this.#runs - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * The names of finished tasks `from` … `to` (to excluded) as runs: run r names the tasks from
   * `starts[r]` (counted from `from`) to the next run's start. A loop of one name is one run.
   */
  #runsOf(from: number, to: number): TaskRuns {
    const first = from < to ? this.#runOf(from) : this.#runs;
    let last = first;
    while (last < this.#runs && this.#runStart[last]! < to) last++;
    const starts = new Int32Array(last - first);
    const names: string[] = []; // pushed: a long array made by its length is a dictionary
    for (let r = first; r < last; r++) {
      starts[r - first] = Math.max(0, this.#runStart[r]! - from);
      names.push(this.#runName[r]!);
    }
    return { starts, names };
  }

  /**
   * Tasks `from` … `to` (to excluded, from < to ≤ #n) leave the runs: in place, the runs before
   * `from` as they are (a fold keeps the first tasks), the run holding `to` starting at `from` (or
   * merged into the one before it, of the same name), those after it moved down.
   */
  #dropRuns(from: number, to: number): void {
    const starts = this.#runStart;
    const names = this.#runName;
    const runs = this.#runs;
    const count = to - from;
    let w = from === 0 ? 0 : this.#runOf(from - 1) + 1; // runs [0, w) start before `from`
    if (to < this.#n) {
      let r = this.#runOf(to);
      if (r >= w && !(w > 0 && names[w - 1] === names[r])) {
        starts[w] = from;
        names[w++] = names[r]!;
      }
      for (r++; r < runs; r++, w++) {
        starts[w] = starts[r]! - count;
        names[w] = names[r]!;
      }
    }
    names.fill('', w, runs); // no name held for tasks that are gone
    this.#runs = w;
    this.#lastName = w > 0 ? names[w - 1]! : null;
    this.#cursor = 0;
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
   * Removes the finished tasks after the first `keep` that ended by `untilMs`, after handing them to
   * `use` as columns: `times` holds start, end of each (ms), a view of the marks, valid during the
   * call only (no copy: a copy of a fold's 65,536 tasks is 1 MiB of fresh pages, faulted in on the
   * caller's path, 2-3 ms here); `runs` their names. No object per task: this runs in the hot loop
   * when tasks are folded. Tasks are stored in the order they ended, so those form one run from
   * `keep` on. Returns how many were taken. A `use` that throws leaves every task where it was.
   */
  takeAfter(keep: number, untilMs: number, use: (taken: TakenTasks) => void): number {
    let cut = keep;
    while (cut < this.#n && this.#times[2 * cut + 1]! <= untilMs) cut++;
    const count = Math.max(0, cut - keep);
    if (count === 0) return 0;
    const closedFrom = Math.max(0, this.#closedFrom - keep); // within the taken ones
    use({ count, times: this.#times.subarray(2 * keep, 2 * cut), runs: this.#runsOf(keep, cut), closedFrom });
    // Always the same `keep` in a run (task_records_kept): folded ids are one range after it.
    this.#keep = keep;
    this.#foldedCount += count;
    if (this.#closedFrom >= keep && this.#closedFrom !== Infinity) this.#closedFrom = Math.max(keep, this.#closedFrom - count);
    this.#times.copyWithin(2 * keep, 2 * cut, 2 * this.#n);
    this.#dropRuns(keep, cut); // the folded tasks' names are the aggregates' now
    this.#n -= count;
    return count;
  }
}
