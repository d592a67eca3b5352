// A tracker's tasks: the marks (TaskBook), folding past task_records_kept, and the task rows file.
import { randomUUID } from 'node:crypto';
import { buildRecord, componentEnergy, type RecordContext } from './emissions/compute.js';
import { CsvFile } from './output/csv.js';
import { taskColumns } from './output/record.js';
import { taskLines } from './output/task-rows.js';
import type { Timeline } from './sampler/timeline.js';
import type { ChannelInfo } from './sources/source.js';
import { TaskBook, type TaskAggregate } from './tasks.js';

/** Tasks settled, folded or written at a time: bounds the memory a fold or a write takes. */
export const taskChunk = 65_536;

export class TaskLedger {
  #book: TaskBook | null = null;
  readonly #folded = new Map<string, TaskAggregate>();
  #foldAt = Infinity;

  /** The task book, made by the first task (a tracker per call, the decorator's, has none). */
  get #tasks(): TaskBook {
    this.#book ??= new TaskBook();
    return this.#book;
  }

  /** A run starts with no task: the first fold waits until `kept` tasks and a chunk have ended. */
  restart(kept: number): void {
    this.#book = null;
    this.#folded.clear();
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
    if (this.#tasks.doneCount > this.#foldAt) {
      const tl = sampler?.timeline ?? null;
      if (tl !== null) this.#fold(tl, kept);
    }
    return true;
  }

  /**
   * Past `kept` finished tasks, the settled ones beyond that number are folded into one aggregate
   * per name, so that memory stays bounded however many tasks a run has. No object per task: the
   * marks are read in one batch and summed per name id.
   */
  #fold(tl: Timeline, kept: number): void {
    const { count, times, ids } = this.#tasks.takeAfter(kept, tl.settledMs());
    // Tasks newer than the last settled sample wait for the next fold, a chunk later, not the next stop.
    this.#foldAt = this.#tasks.doneCount + taskChunk;
    if (count === 0) return;
    const k = tl.channels.length;
    const batch = tl.measure(times, count);
    const energy = batch.energyUj;
    let lastId = -1;
    let agg: TaskAggregate | undefined;
    for (let i = 0; i < count; i++) {
      const id = ids[i]!;
      if (id !== lastId) {
        const name = this.#tasks.nameOfId(id);
        agg = this.#folded.get(name);
        if (agg === undefined) this.#folded.set(name, agg = { count: 0, durationMs: 0, energyUj: new Float64Array(k), final: true });
        lastId = id;
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

  /** Rewrites the task rows file at `path`: the kept tasks in chunks, then one row per folded name. */
  write(path: string, tl: Timeline, channels: readonly ChannelInfo[], context: () => RecordContext, kept: number): void {
    if (this.empty) return;
    if (this.#tasks.doneCount > kept) this.#fold(tl, kept);
    const count = this.#tasks.doneCount;
    const out = new CsvFile(path, taskColumns);
    try {
      // In chunks, so that a million tasks never sit in memory as a million records.
      const ctx = context();
      for (let from = 0; from < count; from += taskChunk) {
        out.writeLines(taskLines(this.#tasks, tl, ctx, from, Math.min(count, from + taskChunk)));
      }
      out.write([...this.#folded].map(([name, agg]) => ({
        ...buildRecord(agg.durationMs / 1000, componentEnergy(channels, agg.energyUj), ctx),
        task_name: name, final: agg.final ? 'Y' : 'N', resolution: 'folded', task_count: agg.count,
      })));
    } finally {
      out.close();
    }
  }
}
