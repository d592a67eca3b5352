// Task rows as CSV lines, fast: the cells shared by every task are formatted once per file.
import { buildRecord, componentEnergy, energyFieldOrder, energyFields, fillEnergyFields, type RecordContext } from '../emissions/compute.js';
import { resolutions, type IntervalBatch } from '../sampler/timeline.js';
import type { ChannelInfo } from '../sources/source.js';
import type { TaskBook } from '../tasks.js';
import { now } from '../clock.js';
import { csvCell } from './csv.js';
import { isoLocal, taskColumns, type TaskRecord } from './record.js';

/** A task row's own cells, in the order line() takes them; every other cell is the run's, the same in each row. */
const own = ['task_name', 'duration', 'emissions', 'emissions_rate', 'cpu_power', 'gpu_power', 'ram_power', 'cpu_energy',
  'gpu_energy', 'ram_energy', 'energy_consumed', 'water_consumed', 'final', 'resolution', 'task_count', 'ended_by', 'timestamp'] as const;

/**
 * The machine's utilisation is read off /proc for the run's records at their moment: not per task.
 * A task row leaves these cells empty rather than pass the run's figures for the task's (CodeCarbon
 * writes 0 there).
 */
export const runOnlyCells: Readonly<Record<string, string>> = Object.fromEntries(
  ['cpu_utilization_percent', 'gpu_utilization_percent', 'ram_utilization_percent', 'ram_used_gb'].map((c) => [c, '']));

/** Wall-clock ms of a mark's time, from the marks' clock read beside the wall clock once. */
export function wallClock(): (tMs: number) => number {
  const [wall0, clock0] = [Date.now(), now()];
  return (tMs) => wall0 + (tMs - clock0);
}

/**
 * Rows joined into one text: no string is made per row, and a text (about 35 KB) stays out of the
 * large-object space, whose pages a first stop() would fault in.
 */
export const rowsPerText = 64;

/**
 * Formats task rows over one base record (the run's context): the run's cells are joined into
 * fixed text once, and each row fills in only its own cells between them.
 */
export class TaskLines {
  /** The row as parts: fixed text at even places, a task's own cell at each odd place. */
  readonly #parts: string[];
  /** Where each of `own` goes in #parts. */
  readonly #at: Int32Array;
  /** A row's figures, in energyFieldOrder (own[1] to own[11]). */
  readonly #f = new Float64Array(energyFieldOrder.length);
  /** rowsPerText rows' parts side by side, each row's fixed text in place (made at the first add()). */
  #rows: string[] | null = null;
  /** Rows added since the last text. */
  #added = 0;
  /** The last timestamp cell made, and its second (tasks in one second share it). */
  #second = Number.NaN;
  #stamp = '';
  readonly #wall: (tMs: number) => number;

  constructor(readonly header: readonly string[], base: Readonly<Record<string, string | number>>,
    readonly pue: number, readonly gCo2ePerKwh: number, readonly wue: number, wall: (tMs: number) => number = wallClock()) {
    this.#wall = wall;
    this.#parts = [];
    this.#at = new Int32Array(own.length).fill(-1);
    let fixed: string[] = [];
    header.forEach((c, i) => {
      const j = (own as readonly string[]).indexOf(c);
      if (j < 0) return void fixed.push(csvCell(base[c]));
      this.#parts.push(fixed.join(',') + (i === 0 ? '' : ','));
      this.#at[j] = this.#parts.length;
      this.#parts.push('');
      fixed = i === header.length - 1 ? [] : [''];
    });
    this.#parts.push(`${fixed.join(',')}\n`);
    if (this.#at.includes(-1)) throw new Error(`TaskLines: the header lacks ${own.filter((_, j) => this.#at[j] === -1).join(', ')}`);
  }

  /** One CSV line for a task that ended at `endMs` (the marks' clock); energies in µJ per component. */
  line(name: string, endMs: number, durationS: number, cpuUj: number, gpuUj: number, ramUj: number,
    final: boolean, resolution: string, count: number, endedBy: string): string {
    this.#fill(this.#parts, 0, name, endMs, durationS, cpuUj, gpuUj, ramUj, final, resolution, count, endedBy);
    return this.#parts.join('');
  }

  /**
   * A task's line, as line() makes it, added to the rows being joined: each rowsPerText rows make
   * one text, pushed to `texts`; flush() pushes the rest.
   */
  add(texts: string[], name: string, endMs: number, durationS: number, cpuUj: number, gpuUj: number, ramUj: number,
    final: boolean, resolution: string, count: number, endedBy: string): void {
    const width = this.#parts.length;
    const rows = this.#rows ??= Array.from({ length: rowsPerText * width }, (_, k) => this.#parts[k % width]!);
    this.#fill(rows, this.#added * width, name, endMs, durationS, cpuUj, gpuUj, ramUj, final, resolution, count, endedBy);
    if (++this.#added === rowsPerText) {
      texts.push(rows.join(''));
      this.#added = 0;
    }
  }

  /** Pushes the rows added since the last text to `texts`, as one text. */
  flush(texts: string[]): void {
    if (this.#added === 0) return;
    texts.push(this.#rows!.slice(0, this.#added * this.#parts.length).join(''));
    this.#added = 0;
  }

  /** Writes a row's own cells into `p`, the row starting at index `at0`. */
  #fill(p: string[], at0: number, name: string, endMs: number, durationS: number, cpuUj: number, gpuUj: number, ramUj: number,
    final: boolean, resolution: string, count: number, endedBy: string): void {
    const at = this.#at;
    const f = this.#f;
    fillEnergyFields(f, durationS, cpuUj, gpuUj, ramUj, this.pue, this.gCo2ePerKwh, this.wue);
    p[at0 + at[0]!] = csvCell(name);
    for (let j = 0; j < f.length; j++) p[at0 + at[j + 1]!] = String(f[j]);
    p[at0 + at[12]!] = final ? 'Y' : 'N';
    p[at0 + at[13]!] = resolution;
    p[at0 + at[14]!] = String(count);
    p[at0 + at[15]!] = endedBy;
    const wall = this.#wall(endMs);
    const second = Math.floor(wall / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#stamp = csvCell(isoLocal(new Date(wall)));
    }
    p[at0 + at[16]!] = this.#stamp;
  }
}

/** The energies of tasks `from` on, as measured in one batch: row j of `batch` is task `from + j`. */
export interface MeasuredTasks {
  readonly batch: IntervalBatch;
  readonly from: number;
}

/** µJ per component (cpu, gpu, ram) of row j of a batch. */
function sums(channels: readonly ChannelInfo[], e: Float64Array, j: number, out: number[]): number[] {
  out.fill(0);
  const k = channels.length;
  for (let c = 0; c < k; c++) out[channels[c]!.component === 'cpu' ? 0 : channels[c]!.component === 'gpu' ? 1 : 2]! += e[j * k + c]!;
  return out;
}

/** The base record of a run's task rows: the run's context with no energy, and empty task cells. */
export function taskBase(channels: readonly ChannelInfo[], context: RecordContext): Record<string, string | number> {
  return { ...buildRecord(0, componentEnergy(channels, new Float64Array(channels.length)), context), task_name: '', final: '',
    resolution: '', task_count: 0, ended_by: '', ...runOnlyCells };
}

/** The task rows' formatter for a run's context: its shared cells formatted once, for every piece of a write. */
export function taskLinesFor(channels: readonly ChannelInfo[], context: RecordContext): TaskLines {
  return new TaskLines(taskColumns, taskBase(channels, context), context.pue, context.intensity.gCo2ePerKwh, context.wue);
}

/** The CSV text of finished tasks from … to, from their measured energies, as texts of rowsPerText rows. */
export function taskText(lines: TaskLines, book: TaskBook, m: MeasuredTasks, channels: readonly ChannelInfo[],
  from: number, to: number): string[] {
  const out: string[] = [];
  const s = [0, 0, 0];
  const { batch } = m;
  for (let i = from; i < to; i++) {
    const j = i - m.from;
    sums(channels, batch.energyUj, j, s);
    lines.add(out, book.nameOf(i), book.endOf(i), (book.endOf(i) - book.startOf(i)) / 1000, s[0]!, s[1]!, s[2]!,
      batch.final[j] === 1, resolutions[batch.resolution[j]!]!, 1, book.closedByStop(i) ? 'stop' : 'stopTask');
  }
  lines.flush(out);
  return out;
}

/**
 * Finished task `i`'s record, as its row in the task file says it. `base`: the run's cells shared by
 * every task (taskBase()), made once when many records are built.
 */
export function taskRecord(book: TaskBook, m: MeasuredTasks, channels: readonly ChannelInfo[], context: RecordContext, i: number,
  base: Readonly<Record<string, string | number>> = taskBase(channels, context), wall: (tMs: number) => number = wallClock()): TaskRecord {
  const j = i - m.from;
  const s = sums(channels, m.batch.energyUj, j, [0, 0, 0]);
  const row: Record<string, string | number> = {
    ...base, ...energyFields((book.endOf(i) - book.startOf(i)) / 1000, s[0]!, s[1]!, s[2]!, context.pue,
      context.intensity.gCo2ePerKwh, context.wue),
    timestamp: isoLocal(new Date(wall(book.endOf(i)))), task_name: book.nameOf(i), final: m.batch.final[j] === 1 ? 'Y' : 'N', resolution: resolutions[m.batch.resolution[j]!]!,
    task_count: 1, ended_by: book.closedByStop(i) ? 'stop' : 'stopTask',
  };
  return Object.fromEntries(taskColumns.map((c) => [c, row[c]!])) as TaskRecord;
}
