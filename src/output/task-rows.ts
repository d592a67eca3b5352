// Task rows as CSV lines, fast: the cells shared by every task are formatted once per file.
import { buildRecord, componentEnergy, energyFields, type RecordContext } from '../emissions/compute.js';
import { resolutions, type IntervalBatch } from '../sampler/timeline.js';
import type { ChannelInfo } from '../sources/source.js';
import type { TaskBook } from '../tasks.js';
import { csvCell } from './csv.js';
import { taskColumns, type TaskRecord } from './record.js';

const varying = ['duration', 'emissions', 'emissions_rate', 'cpu_power', 'gpu_power', 'ram_power', 'cpu_energy',
  'gpu_energy', 'ram_energy', 'energy_consumed', 'water_consumed'] as const;

/** Formats task rows over one base record (the run's context), changing only each task's own cells. */
export class TaskLines {
  readonly #cells: string[];
  readonly #at: Record<string, number>;

  constructor(readonly header: readonly string[], base: Readonly<Record<string, string | number>>,
    readonly pue: number, readonly gCo2ePerKwh: number, readonly wue: number) {
    this.#cells = header.map((c) => csvCell(base[c]));
    this.#at = Object.fromEntries(header.map((c, i) => [c, i]));
  }

  /** One CSV line for a task; energies in µJ per component. */
  line(name: string, durationS: number, cpuUj: number, gpuUj: number, ramUj: number,
    final: boolean, resolution: string, count: number, endedBy: string): string {
    const cells = this.#cells;
    const f = energyFields(durationS, cpuUj, gpuUj, ramUj, this.pue, this.gCo2ePerKwh, this.wue);
    for (const c of varying) cells[this.#at[c]!] = String(f[c]);
    cells[this.#at['task_name']!] = csvCell(name);
    cells[this.#at['final']!] = final ? 'Y' : 'N';
    cells[this.#at['resolution']!] = resolution;
    cells[this.#at['task_count']!] = String(count);
    cells[this.#at['ended_by']!] = endedBy;
    return `${cells.join(',')}\n`;
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
    resolution: '', task_count: 0, ended_by: '' };
}

/** CSV lines of finished tasks from … to, from their measured energies; the shared cells formatted once. */
export function taskLines(book: TaskBook, m: MeasuredTasks, channels: readonly ChannelInfo[], context: RecordContext,
  from: number, to: number): string[] {
  const lines = new TaskLines(taskColumns, taskBase(channels, context), context.pue, context.intensity.gCo2ePerKwh, context.wue);
  const out: string[] = [];
  const s = [0, 0, 0];
  const { batch } = m;
  for (let i = from; i < to; i++) {
    const j = i - m.from;
    sums(channels, batch.energyUj, j, s);
    out.push(lines.line(book.nameOf(i), (book.endOf(i) - book.startOf(i)) / 1000, s[0]!, s[1]!, s[2]!,
      batch.final[j] === 1, resolutions[batch.resolution[j]!]!, 1, book.closedByStop(i) ? 'stop' : 'stopTask'));
  }
  return out;
}

/**
 * Finished task `i`'s record, as its row in the task file says it. `base`: the run's cells shared by
 * every task (taskBase()), made once when many records are built.
 */
export function taskRecord(book: TaskBook, m: MeasuredTasks, channels: readonly ChannelInfo[], context: RecordContext, i: number,
  base: Readonly<Record<string, string | number>> = taskBase(channels, context)): TaskRecord {
  const j = i - m.from;
  const s = sums(channels, m.batch.energyUj, j, [0, 0, 0]);
  const row: Record<string, string | number> = {
    ...base, ...energyFields((book.endOf(i) - book.startOf(i)) / 1000, s[0]!, s[1]!, s[2]!, context.pue,
      context.intensity.gCo2ePerKwh, context.wue),
    task_name: book.nameOf(i), final: m.batch.final[j] === 1 ? 'Y' : 'N', resolution: resolutions[m.batch.resolution[j]!]!,
    task_count: 1, ended_by: book.closedByStop(i) ? 'stop' : 'stopTask',
  };
  return Object.fromEntries(taskColumns.map((c) => [c, row[c]!])) as TaskRecord;
}
