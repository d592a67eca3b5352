// What the page shows, computed once from the files: totals, projects, runs, tasks, benchmarks, comparisons.
import { equivalents, type Equivalents } from '../emissions/equivalents.js';
import { fileStatus, type BoardFile, type FileStatus } from './files.js';
import { benchView, cloudView, regionalView, worldView, type BenchView, type CloudView, type RegionalView, type WorldView } from './compare.js';
import { cell, num, text, type CsvRow } from './rows.js';
import { tasksView, type TasksView } from './tasks.js';

/** One component's energy in a run and how it was obtained. */
export interface ComponentView {
  readonly energyKwh: number;
  readonly powerW: number;
  /** e.g. `rapl (measured)`; CodeCarbon's own files do not say, and the page says that. */
  readonly source: string;
}

/** The intensity a run used, with its dataset and year, or derived from the row when the file records none. */
export interface IntensityView {
  /** Null when the file records none and the row's energy is 0 (emissions ÷ 0 says nothing). */
  readonly gCo2ePerKwh: number | null;
  readonly source: string;
  readonly dataset: string;
  readonly year: string;
  readonly derived: boolean;
}

/** A run: its last row's figures (rows of one run are cumulative), and its rows over time. */
export interface RunView {
  readonly runId: string;
  readonly experimentId: string;
  readonly timestamp: string;
  readonly file: string;
  readonly line: number;
  readonly durationS: number;
  readonly energyKwh: number;
  readonly emissionsKg: number;
  readonly components: { readonly cpu: ComponentView; readonly gpu: ComponentView; readonly ram: ComponentView };
  readonly intensity: IntensityView;
  readonly location: string;
  readonly countryIsoCode: string;
  readonly cloud: { readonly provider: string; readonly region: string } | null;
  /** [epoch s, cumulative kg] of each of the run's rows, in file order. */
  readonly series: readonly (readonly [number, number])[];
  readonly tasks: TasksView | null;
}

/** A project: its runs (oldest first), sums over them, and what those sums compare to. */
export interface ProjectView {
  readonly name: string;
  readonly energyKwh: number;
  readonly emissionsKg: number;
  readonly durationS: number;
  readonly runs: readonly RunView[];
  readonly equivalents: Equivalents;
  readonly cloud: CloudView | null;
  /** Its energy in each US state or Canadian province, when its last run was in one of those countries. */
  readonly regional: RegionalView | null;
}

/** Everything the page renders. */
export interface BoardModel {
  readonly version: string;
  readonly generatedAt: string;
  readonly live: boolean;
  readonly files: readonly FileStatus[];
  readonly totals: { readonly energyKwh: number; readonly emissionsKg: number; readonly durationS: number; readonly runs: number; readonly projects: number };
  readonly projects: readonly ProjectView[];
  readonly bench: readonly BenchView[];
  readonly world: WorldView;
}

function component(last: CsvRow, c: 'cpu' | 'gpu' | 'ram', isPort: boolean): ComponentView {
  const source = text(last, `${c}_source`);
  return { energyKwh: num(last, `${c}_energy`), powerW: num(last, `${c}_power`),
    source: source !== '' ? source : isPort ? 'none' : 'not recorded (CodeCarbon files do not say)' };
}

function intensity(last: CsvRow): IntensityView {
  const g = cell(last, 'carbon_intensity_g_co2e_kwh');
  if (g !== undefined && g.trim() !== '') {
    return { gCo2ePerKwh: Number(g), source: text(last, 'carbon_intensity_source'), dataset: text(last, 'carbon_intensity_dataset'),
      year: text(last, 'carbon_intensity_year'), derived: false };
  }
  const kwh = num(last, 'energy_consumed');
  const base = { derived: true, dataset: 'not recorded', year: 'not recorded' };
  if (!(kwh > 0)) {
    return { ...base, gCo2ePerKwh: null,
      source: 'not known: CodeCarbon files do not record the intensity, and this row\'s energy_consumed is 0 (emissions ÷ energy cannot be derived)' };
  }
  return { ...base, gCo2ePerKwh: (num(last, 'emissions') * 1000) / kwh,
    source: 'derived from the row (emissions ÷ energy_consumed): CodeCarbon files do not record the intensity' };
}

/** Seconds since the epoch of a CSV timestamp (CodeCarbon's has no zone: local time, as it was written). */
export function epochS(timestamp: string): number {
  const ms = Date.parse(timestamp);
  return Number.isFinite(ms) ? ms / 1000 : Number.NaN;
}

function runView(rows: readonly CsvRow[], file: string, tasks: TasksView | null): RunView {
  const last = rows[rows.length - 1]!;
  const isPort = cell(last, 'cpu_source') !== undefined;
  const region = text(last, 'region');
  const country = text(last, 'country_name');
  const onCloud = text(last, 'on_cloud') === 'Y' && text(last, 'cloud_provider') !== '' && text(last, 'cloud_region') !== '';
  return {
    runId: text(last, 'run_id'), experimentId: text(last, 'experiment_id'), timestamp: text(last, 'timestamp'), file, line: last.line,
    durationS: num(last, 'duration'), energyKwh: num(last, 'energy_consumed'), emissionsKg: num(last, 'emissions'),
    components: { cpu: component(last, 'cpu', isPort), gpu: component(last, 'gpu', isPort), ram: component(last, 'ram', isPort) },
    intensity: intensity(last), location: [region, country].filter((s) => s !== '').join(', ') || 'unknown',
    countryIsoCode: text(last, 'country_iso_code'),
    cloud: onCloud ? { provider: text(last, 'cloud_provider'), region: text(last, 'cloud_region') } : null,
    series: rows.map((r) => [epochS(text(r, 'timestamp')), num(r, 'emissions')] as const), tasks,
  };
}

/** Rows grouped by project, then run, in the order first seen: a run's rows are its flushes, cumulative. */
function group(files: readonly BoardFile[]): Map<string, Map<string, { rows: CsvRow[]; file: string }>> {
  const projects = new Map<string, Map<string, { rows: CsvRow[]; file: string }>>();
  for (const f of files) {
    if (f.kind !== 'emissions') continue;
    for (const r of f.table.rows) {
      const name = text(r, 'project_name') || '(no project name)';
      const runs = projects.get(name) ?? new Map<string, { rows: CsvRow[]; file: string }>();
      projects.set(name, runs);
      const run = runs.get(text(r, 'run_id')) ?? { rows: [], file: f.path };
      runs.set(text(r, 'run_id'), run);
      run.rows.push(r);
      run.file = f.path;
    }
  }
  return projects;
}

function sum<T>(items: readonly T[], f: (t: T) => number): number {
  return items.reduce((s, t) => s + f(t), 0);
}

/** The board's model of `files`; `version` tells the page whether anything changed. */
export function buildModel(files: readonly BoardFile[], version: string, live: boolean): BoardModel {
  const taskFiles = files.filter((f) => f.kind === 'tasks');
  const projects: ProjectView[] = [];
  for (const [name, runs] of group(files)) {
    const views = [...runs.values()].map((r) => runView(r.rows, r.file, tasksView(taskFiles, text(r.rows[0]!, 'run_id'))));
    views.sort((a, b) => epochS(a.timestamp) - epochS(b.timestamp));
    const energyKwh = sum(views, (r) => r.energyKwh);
    const emissionsKg = sum(views, (r) => r.emissionsKg);
    const last = views[views.length - 1]!;
    projects.push({ name, energyKwh, emissionsKg, durationS: sum(views, (r) => r.durationS), runs: views,
      equivalents: equivalents(emissionsKg), cloud: last.cloud === null ? null : cloudView(last.cloud, energyKwh),
      regional: regionalView(last.countryIsoCode.toUpperCase(), energyKwh) });
  }
  return {
    version, generatedAt: new Date().toISOString(), live, files: files.map(fileStatus),
    totals: { energyKwh: sum(projects, (p) => p.energyKwh), emissionsKg: sum(projects, (p) => p.emissionsKg),
      durationS: sum(projects, (p) => p.durationS), runs: sum(projects, (p) => p.runs.length), projects: projects.length },
    projects, bench: files.flatMap((f) => (f.kind === 'bench' ? [benchView(f.path, f.report)] : [])), world: worldView(),
  };
}
