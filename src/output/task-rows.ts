// Task rows as CSV lines, fast: the cells shared by every task are formatted once per file.
import { buildRecord, componentEnergy, energyFields, type RecordContext } from '../emissions/compute.js';
import { resolutions, type Timeline } from '../sampler/timeline.js';
import type { TaskBook } from '../tasks.js';
import { csvCell } from './csv.js';
import { taskColumns } from './record.js';

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
    final: boolean, resolution: string, count: number): string {
    const cells = this.#cells;
    const f = energyFields(durationS, cpuUj, gpuUj, ramUj, this.pue, this.gCo2ePerKwh, this.wue);
    for (const c of varying) cells[this.#at[c]!] = String(f[c]);
    cells[this.#at['task_name']!] = csvCell(name);
    cells[this.#at['final']!] = final ? 'Y' : 'N';
    cells[this.#at['resolution']!] = resolution;
    cells[this.#at['task_count']!] = String(count);
    return `${cells.join(',')}\n`;
  }
}

/** CSV lines of finished tasks from … to: one batch read of the timeline, the shared cells formatted once. */
export function taskLines(book: TaskBook, tl: Timeline, context: RecordContext, from: number, to: number): string[] {
  const channels = tl.channels;
  const k = channels.length;
  const n = to - from;
  const times = new Float64Array(n * 2);
  for (let i = from; i < to; i++) { times[2 * (i - from)] = book.startOf(i); times[2 * (i - from) + 1] = book.endOf(i); }
  const batch = tl.measure(times, n);
  const base = { ...buildRecord(0, componentEnergy(channels, new Float64Array(k)), context), task_name: '', final: '', resolution: '', task_count: 0 };
  const lines = new TaskLines(taskColumns, base, context.pue, context.intensity.gCo2ePerKwh, context.wue);
  const component = channels.map((c) => (c.component === 'cpu' ? 0 : c.component === 'gpu' ? 1 : 2));
  const out: string[] = [];
  const sums = [0, 0, 0];
  const e = batch.energyUj;
  for (let j = 0; j < n; j++) {
    sums.fill(0);
    for (let c = 0; c < k; c++) sums[component[c]!]! += e[j * k + c]!;
    out.push(lines.line(book.nameOf(from + j), (times[2 * j + 1]! - times[2 * j]!) / 1000, sums[0]!, sums[1]!, sums[2]!,
      batch.final[j] === 1, resolutions[batch.resolution[j]!]!, 1));
  }
  return out;
}
