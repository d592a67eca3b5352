// A tracker's tasks: the marks (TaskBook), folding past task_records_kept, and the task rows file.
import { randomUUID } from 'node:crypto';
import { buildRecord, componentEnergy, type RecordContext } from './emissions/compute.js';
import { CsvFile, csvLine } from './output/csv.js';
import { taskColumns } from './output/record.js';
import { taskLines } from './output/task-rows.js';
import type { Timeline } from './sampler/timeline.js';
import type { ChannelInfo } from './sources/source.js';
import { TaskBook, type TaskAggregate } from './tasks.js';

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

  /** The task book, made by the first task (a tracker per call, the decorator's, has none). */
  get #tasks(): TaskBook {
    this.#book ??= new TaskBook();
    return this.#book;
  }

  /** A run starts with no task: the first fold waits until `kept` tasks and a chunk have ended. */
  restart(kept: number): void {
    this.#book = null;
    this.#folded = new Map();
    this.#foldAt = kept + taskChunk;
  }

  /**
   * Opens a task and returns its name. A name already open gets `_<uuid4>` appended, as upstream
   * does, and `onDuplicate` is told (once per name).
   */
  start(name: string | undefined, onDuplicate: (name: string, renamed: string) => void): string {
    if (name !== undefined && this.#book !== null && this.#book.isOpen(name)) {
      const renamed = `${name}_${randomUUID()}`;
      onDuplicate(name, renamed);
      return this.#tasks.start(renamed);
    }
    return this.#tasks.start(name);
  }

  /** The tasks still open (they are not written until they end). */
  openNames(): string[] {
    return this.#book?.openNames() ?? [];
  }

  /** Closes a task; false when no such task is open. Past `kept` finished tasks, folds a chunk (once the timeline exists). */
  stop(name: string | undefined, sampler: { readonly timeline: Timeline | null } | null, kept: number): boolean {
    if (!this.#tasks.stop(name)) return false;
    if (this.#tasks.doneCount > this.#foldAt && this.#writing === 0) {
      const tl = sampler?.timeline ?? null;
      if (tl !== null) this.#fold(tl, kept);
    }
    return true;
  }

  /**
   * Past `kept` finished tasks, the settled ones beyond that number are folded into one aggregate
   * per name (past foldedNameCap names, into one `(other names)` row), so that memory stays bounded
   * however many tasks and names a run has. No object per task: the marks are read in one batch
   * and summed per name id.
   */
  #fold(tl: Timeline, kept: number): void {
    const book = this.#tasks;
    const { count, times, names } = book.takeAfter(kept, tl.settledMs());
    // Tasks newer than the last settled sample wait for the next fold, a chunk later, not the next stop.
    this.#foldAt = book.doneCount + taskChunk;
    if (count === 0) return;
    const k = tl.channels.length;
    const batch = tl.measure(times, count);
    const energy = batch.energyUj;
    let lastName: string | null = null;
    let agg: TaskAggregate | undefined;
    for (let i = 0; i < count; i++) {
      const taskName = names[i]!;
      if (taskName !== lastName) {
        const name = this.#folded.has(taskName) || this.#folded.size < foldedNameCap ? taskName : otherNames;
        agg = this.#folded.get(name);
        if (agg === undefined) this.#folded.set(name, agg = { count: 0, durationMs: 0, energyUj: new Float64Array(k), final: true });
        lastName = taskName;
      }
      agg!.count++;
      agg!.durationMs += times[2 * i + 1]! - times[2 * i]!;
      const e = agg!.energyUj;
      for (let c = 0; c < k; c++) e[c]! += energy[i * k + c]!;
      if (batch.final[i] === 0) agg!.final = false;
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
    const ctx = context();
    this.#writing++;
    const pieces = (function* (): Generator<string[]> {
      for (let from = 0; from < count; from += writeChunk) yield taskLines(book, tl, ctx, from, Math.min(count, from + writeChunk));
      yield folded.map(([name, agg]) => foldedLine(name, agg, channels, ctx));
    })();
    return { pieces, done: () => { this.#writing--; } };
  }
}

/** A prepared write of the task file: its rows, and what to call when it is over. */
export interface TaskWrite {
  readonly pieces: Iterable<string[]>;
  readonly done: () => void;
}

/** Writes the task file at `path` now (the process is exiting). */
export function writeTasksNow(path: string, job: TaskWrite): void {
  try {
    const out = new CsvFile(path, taskColumns);
    try {
      for (const piece of job.pieces) out.writeLines(piece);
    } finally {
      out.close();
    }
  } finally {
    job.done();
  }
}

/**
 * Writes the task file at `path` a piece per turn of the event loop: a run with a hundred thousand
 * tasks does not hold the program up for a second in one go.
 */
export async function writeTasks(path: string, job: TaskWrite): Promise<void> {
  try {
    const out = new CsvFile(path, taskColumns);
    try {
      for (const piece of job.pieces) {
        out.writeLines(piece);
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      out.close();
    }
  } finally {
    job.done();
  }
}

/** A folded name's row: the sums of its tasks, with their count. */
function foldedLine(name: string, agg: TaskAggregate, channels: readonly ChannelInfo[], ctx: RecordContext): string {
  const row: Record<string, string | number> = {
    ...buildRecord(agg.durationMs / 1000, componentEnergy(channels, agg.energyUj), ctx),
    task_name: name, final: agg.final ? 'Y' : 'N', resolution: 'folded', task_count: agg.count,
  };
  return csvLine(taskColumns.map((c) => row[c]));
}
