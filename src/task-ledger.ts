// A tracker's tasks: the marks (TaskBook), folding past task_records_kept, and the task rows file.
import { randomUUID } from 'node:crypto';
import { buildRecord, componentEnergy, type RecordContext } from './emissions/compute.js';
import { CsvFile } from './output/csv.js';
import { isoLocal, taskColumns, type TaskRecord } from './output/record.js';
import { runOnlyCells, taskBase, taskLinesFor, taskRecord, taskText, wallClock, type MeasuredTasks, type TaskLines } from './output/task-rows.js';
import type { TaskArena } from './sampler/arena.js';
import type { Timeline } from './sampler/timeline.js';
import type { ChannelInfo } from './sources/source.js';
import { TaskBook, type TakenTasks, type TaskAggregate } from './tasks.js';

/** Tasks settled or folded at a time: bounds the memory a fold takes. */
export const taskChunk = 65_536;

/** Task rows formatted per piece of a write: a stop() with many rows yields between pieces (about 50 ms each). */
export const writeChunk = 8192;

/** Distinct names folded into rows of their own; tasks of further names fold into one `(other names)` row. */
export const foldedNameCap = 1000;

/** The name under which tasks are folded once foldedNameCap names have rows of their own. */
export const otherNames = '(other names)';

export class TaskLedger {
  #book: TaskBook | null = null;
  #folded = new Map<string, TaskAggregate>();
  #foldAt = Infinity;
  /** A write in progress reads the book: folds (which move tasks) wait until it is done. */
  #writing = 0;
  /** The kept tasks' energies measured once when the run stopped (the ring then moves on). */
  #sealed: MeasuredTasks | null = null;
  /** The run's context when it stopped: its records say what the task file says. */
  #sealedContext: RecordContext | null = null;

  /** Slots for the marks that the sampler thread makes ready (lent to one book at a time). */
  #arena: TaskArena | null = null;
  /** The run's sampler: folds read its timeline (none before it exists). */
  #sampler: { readonly timeline: Timeline | null } | null = null;
  /** task_records_kept: the first tasks of a run, kept as rows of their own. */
  #kept = 0;

  /**
   * The run's sampler: folds read its timeline, and the run's books store their marks in its arena
   * when no other book has it.
   */
  attach(sampler: { readonly timeline: Timeline | null; readonly arena: TaskArena | null }): void {
    this.#sampler = sampler;
    this.#arena = sampler.arena;
  }

  /** Names already said to be opened twice (said once each). */
  readonly #duplicates = new Set<string>();

  constructor(readonly warn: (message: string) => void) {}

  /** The task book, made by the first task (a tracker per call, the decorator's, has none). */
  get #tasks(): TaskBook {
    this.#book ??= new TaskBook(this.#arena);
    return this.#book;
  }

  /**
   * A run starts with no task: the first fold waits until `kept` tasks and a chunk have ended. The
   * last run's book gives its arena back (its marks copied out first if a write still reads them).
   */
  restart(kept: number): void {
    this.#book?.leaveArena(this.#writing > 0);
    this.#book = null;
    this.#sealed = null;
    this.#sealedContext = null;
    this.#folded = new Map();
    this.#foldAt = kept + taskChunk;
    this.#kept = kept;
  }

  /**
   * Opens a task and returns its name. A name already open gets `_<uuid4>` appended, as upstream
   * does, said once per name.
   */
  start(name: string | undefined): string {
    // Kept small, the rare renaming out of line: V8 inlines this into the caller's loop.
    const book = this.#tasks;
    return book.start(name !== undefined && book.isOpen(name) ? this.#renamed(name) : name);
  }

  /** The name a task gets when one of `name` is already open, said once per name. */
  #renamed(name: string): string {
    const renamed = `${name}_${randomUUID()}`;
    if (!this.#duplicates.has(name)) {
      this.#duplicates.add(name);
      this.warn(`startTask(${JSON.stringify(name)}): a task of that name is already open; this one is named ${JSON.stringify(renamed)} `
        + '(stopTask() with that name, or give each open task its own name)');
    }
    return renamed;
  }

  /** The run is written and no one reads its tasks any more: its book gives the arena back, for the next run's marks. */
  release(): void {
    if (this.#writing === 0) this.#book?.leaveArena(false);
  }

  /** The tasks still open (they are not written until they end). */
  openNames(): string[] {
    return this.#book?.openNames() ?? [];
  }

  /**
   * Closes a task; returns its id, or -1 when no such task is open (said in a warning). Past `kept`
   * finished tasks, folds a chunk (once the timeline exists).
   */
  stop(name: string | undefined): number {
    const book = this.#tasks;
    const id = book.stop(name);
    if (id < 0) this.#noSuchTask(name);
    else if (book.doneCount > this.#foldAt && this.#writing === 0) this.#foldPast();
    return id;
  }

  /**
   * Ends the open task `name` (when one is) and opens the next of that name at the same mark (one
   * clock read per iteration of a loop); returns the ended task's id, or -1 when none was open.
   */
  next(name: string): number {
    const book = this.#tasks;
    const id = book.next(name);
    if (id >= 0 && book.doneCount > this.#foldAt && this.#writing === 0) this.#foldPast();
    return id;
  }

  /** Opens a task that may overlap others of its name; returns its handle for stopConcurrent(). */
  startConcurrent(name: string): number {
    return this.#tasks.openConcurrent(name);
  }

  /** Closes the task opened as `handle`; returns its id (-1 when it is not open). Folds as stop() does. */
  stopConcurrent(handle: number): number {
    const book = this.#tasks;
    const id = book.stopConcurrent(handle);
    if (id >= 0 && book.doneCount > this.#foldAt && this.#writing === 0) this.#foldPast();
    return id;
  }

  #noSuchTask(name: string | undefined): void {
    this.warn(`stopTask(${name === undefined ? '' : JSON.stringify(name)}): no such task is open`);
  }

  /** A fold past `kept` finished tasks, once the timeline exists (out of line: stop() stays small). */
  #foldPast(): void {
    const tl = this.#sampler?.timeline ?? null;
    if (tl !== null) this.#fold(tl, this.#kept);
  }

  /** The run stops at `tMs`: its open tasks end there, labelled as closed by the stop. */
  closeOpen(tMs: number): void {
    this.#book?.closeOpen(tMs);
  }

  /**
   * The run has stopped and its end is settled: folds what is past `kept`, then measures the kept
   * tasks once, so that their records stay exact after the ring has moved on.
   */
  seal(tl: Timeline, kept: number, context: () => RecordContext): void {
    if (this.#book === null || this.#sealed !== null) return;
    this.#sealedContext = context();
    if (this.#book.doneCount > kept && this.#writing === 0) this.#fold(tl, kept);
    this.#sealed = this.#measure(tl, 0, this.#book.doneCount);
  }

  /** Tasks from … to, measured now in one batch, or read from the sealed measurement. */
  #measure(tl: Timeline, from: number, to: number): MeasuredTasks {
    return measured(tl, this.#tasks, this.#sealed, from, to);
  }

  /** The end of the task with this id (ms), or NaN when there is no such kept task. */
  endOf(id: number): number {
    const i = this.#book?.indexOf(id) ?? -1;
    return i < 0 ? NaN : this.#book!.endOf(i);
  }

  /** The record of the task with this id; null when there is none or it has been folded into its name's row. */
  record(id: number, tl: Timeline, context: () => RecordContext): TaskRecord | null {
    const i = this.#book?.indexOf(id) ?? -1;
    if (i < 0) return null;
    return taskRecord(this.#book!, this.#measure(tl, i, i + 1), tl.channels, this.#sealedContext ?? context(), i);
  }

  /** Every finished task's record, then one per folded name (resolution `folded`, task_count how many). */
  records(tl: Timeline, context: () => RecordContext): TaskRecord[] {
    const book = this.#book;
    if (book === null) return [];
    const n = book.doneCount;
    const m = this.#measure(tl, 0, n);
    const ctx = this.#sealedContext ?? context();
    const base = taskBase(tl.channels, ctx);
    const wall = wallClock();
    const out: TaskRecord[] = [];
    for (let i = 0; i < n; i++) out.push(taskRecord(book, m, tl.channels, ctx, i, base, wall));
    for (const [name, agg] of this.#folded) out.push(foldedRecord(name, agg, tl.channels, ctx, wall));
    return out;
  }

  /**
   * Past `kept` finished tasks, the settled ones beyond that number are folded into one aggregate
   * per name (past foldedNameCap names, into one `(other names)` row), so that memory stays bounded
   * however many tasks and names a run has. No object per task: the marks are read in one batch
   * and summed per name id.
   */
  #fold(tl: Timeline, kept: number): void {
    if (this.#sealed !== null) return; // the sealed measurement is of the kept tasks as they are
    const book = this.#tasks;
    book.takeAfter(kept, tl.settledMs(), (taken) => this.#add(taken, tl));
    // Tasks newer than the last settled sample wait for the next fold, a chunk later, not the next stop.
    this.#foldAt = book.doneCount + taskChunk;
  }

  /** Folded tasks added to their names' aggregates: summed first (the part that could fail), then added. */
  #add({ count, times, runs, closedFrom }: TakenTasks, tl: Timeline): void {
    const k = tl.channels.length;
    const n = runs.starts.length;
    // Summed run by run: a loop of one name is one run, whatever the number of its tasks.
    const sums = { energyUj: new Float64Array(n * k), durationMs: new Float64Array(n), final: new Uint8Array(n) };
    tl.sumRuns(times, count, runs.starts, sums);
    for (let r = 0; r < n; r++) {
      const taskName = runs.names[r]!;
      const name = this.#folded.has(taskName) || this.#folded.size < foldedNameCap ? taskName : otherNames;
      let agg = this.#folded.get(name);
      if (agg === undefined) {
        this.#folded.set(name, agg = { count: 0, durationMs: 0, energyUj: new Float64Array(k), final: true, closedByStop: 0, lastEndMs: -Infinity });
      }
      const [from, to] = [runs.starts[r]!, r + 1 < n ? runs.starts[r + 1]! : count];
      agg.count += to - from;
      agg.closedByStop += Math.max(0, to - Math.max(from, closedFrom));
      agg.durationMs += sums.durationMs[r]!;
      agg.lastEndMs = Math.max(agg.lastEndMs, times[2 * to - 1]!); // tasks are stored in the order they ended
      for (let c = 0; c < k; c++) agg.energyUj[c]! += sums.energyUj[r * k + c]!;
      if (sums.final[r] === 0) agg.final = false;
    }
  }

  /** Whether there is anything to write. */
  get empty(): boolean {
    return (this.#book === null || this.#book.doneCount === 0) && this.#folded.size === 0;
  }

  /**
   * The rows of a write of the task file, taken now (folding what is settled first): the kept tasks
   * in pieces of writeChunk rows, then one row per folded name. Null when there is no task. Tasks
   * that end later go into the next write; folds (which move tasks) wait until this one is done.
   */
  prepare(tl: Timeline, channels: readonly ChannelInfo[], context: () => RecordContext, kept: number): TaskWrite | null {
    if (this.empty) return null;
    if (this.#tasks.doneCount > kept && this.#writing === 0) this.#fold(tl, kept);
    const book = this.#tasks;
    const count = book.doneCount;
    const folded = [...this.#folded];
    const ctx = this.#sealedContext ?? context();
    this.#writing++;
    // The book and its measurement as they are now: a run restarted before the write ends has its own.
    const sealed = this.#sealed;
    const measure = (from: number, to: number): MeasuredTasks => measured(tl, book, sealed, from, to);
    const pieces = (function* (): Generator<readonly string[]> {
      const lines = taskLinesFor(channels, ctx);
      for (let from = 0; from < count; from += writeChunk) {
        const to = Math.min(count, from + writeChunk);
        yield taskText(lines, book, measure(from, to), channels, from, to);
      }
      if (folded.length > 0) yield [folded.map(([name, agg]) => foldedLine(lines, name, agg, channels)).join('')];
    })();
    return { pieces, done: () => { this.#writing--; } };
  }
}

/** Tasks from … to of `book`, measured now in one batch, or the run's sealed measurement when it has one. */
function measured(tl: Timeline, book: TaskBook, sealed: MeasuredTasks | null, from: number, to: number): MeasuredTasks {
  return sealed ?? { batch: tl.measure(book.timesOf(from, to), to - from), from };
}

/** A prepared write of the task file: its rows as pieces (each some texts of CSV lines), and what to call when it is over. */
export interface TaskWrite {
  readonly pieces: Iterable<readonly string[]>;
  readonly done: () => void;
}

/** Writes the task file at `path` now (the process is exiting). */
export function writeTasksNow(path: string, job: TaskWrite): void {
  try {
    const out = new CsvFile(path, taskColumns);
    try {
      for (const piece of job.pieces) out.writeTexts(piece);
    } finally {
      out.close();
    }
  } finally {
    job.done();
  }
}

/**
 * Writes the task file at `path` a piece per turn of the event loop: a run with a hundred thousand
 * tasks does not hold the program up for a second in one go. A file of one piece takes no turn.
 */
export async function writeTasks(path: string, job: TaskWrite): Promise<void> {
  try {
    const out = new CsvFile(path, taskColumns);
    try {
      let turn = false;
      for (const piece of job.pieces) {
        if (turn) await new Promise((r) => setImmediate(r));
        out.writeTexts(piece);
        turn = true;
      }
    } finally {
      out.close();
    }
  } finally {
    job.done();
  }
}

/** What ended a folded name's tasks: stopTask(), the run's stop, or some of each. */
function endedBy(agg: TaskAggregate): string {
  return agg.closedByStop === 0 ? 'stopTask' : agg.closedByStop === agg.count ? 'stop' : 'stopTask, stop';
}

/** A folded name's record: the sums of its tasks, with their count. */
function foldedRecord(name: string, agg: TaskAggregate, channels: readonly ChannelInfo[], ctx: RecordContext,
  wall: (tMs: number) => number): TaskRecord {
  const row: Record<string, string | number> = {
    ...buildRecord(agg.durationMs / 1000, componentEnergy(channels, agg.energyUj), ctx), ...runOnlyCells,
    timestamp: isoLocal(new Date(wall(agg.lastEndMs))), task_name: name, final: agg.final ? 'Y' : 'N', resolution: 'folded', task_count: agg.count,
    ended_by: endedBy(agg),
  };
  return Object.fromEntries(taskColumns.map((c) => [c, row[c]!])) as TaskRecord;
}

/** A folded name's line: as foldedRecord() says it, formatted as the task rows are. */
function foldedLine(lines: TaskLines, name: string, agg: TaskAggregate, channels: readonly ChannelInfo[]): string {
  const e = componentEnergy(channels, agg.energyUj);
  return lines.line(name, agg.lastEndMs, agg.durationMs / 1000, e.cpuUj, e.gpuUj, e.ramUj, agg.final, 'folded', agg.count, endedBy(agg));
}

/**
 * A task name given as something else than a string: a number is its text (CodeCarbon writes the
 * str() of what it is given), null none (a name is made, as for no name); anything else is refused.
 * @throws TypeError naming the call and what was given.
 */
export function taskName(name: unknown, call: string): string | undefined {
  if (typeof name === 'number' || typeof name === 'bigint') return String(name);
  if (name === null) return undefined;
  throw new TypeError(`${call}(name): name must be a string (the task's name), got ${typeof name === 'object' ? 'an object' : typeof name}: `
    + `${call}('load') or ${call}(\`batch \${i}\`)`);
}
