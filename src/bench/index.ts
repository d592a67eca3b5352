// `codecarbon/bench`: energy next to time for tinybench suites. The harness marks each task's
// measured phase (warm-up excluded) on the sampler's timeline; nothing runs per iteration.
import { now } from '../clock.js';
import { stringify } from 'csv-stringify/sync';
import type { Bench, Task } from 'tinybench';
import { componentEnergy } from '../emissions/compute.js';
import { sourceText, type Intensity } from '../emissions/intensity.js';
import { CodeCarbonError, ConfigError, SamplerError } from '../errors.js';
import { printWarning } from '../events.js';
import { OfflineEmissionsTracker } from '../offline.js';
import { belowNote, csvColumns, errorText, formatJoules } from './format.js';
import { watchPhases, wrapBenchHooks, type PhaseMarks } from './phases.js';
import { EmissionsTracker } from '../tracker.js';
import type { TrackerOptions } from '../types.js';

export { formatJoules } from './format.js';
export { keepTaskHooksOutOfPhases } from './phases.js';

/** The harness's options: a tracker's (location, config, sources), and its own. */
export interface EnergyBenchOptions extends TrackerOptions {
  /** Location without network (with countryIsoCode, or cloudProvider and cloudRegion). */
  readonly offline?: boolean;
  /**
   * Measure the machine's idle power first, in slices, so that results also show the dynamic
   * (baseline-subtracted) energy with the baseline's spread. Default off; `true` is 2 s in 10 slices.
   * Each slice lasts at least 2 sampling periods: without `slices`, a shorter duration gets fewer
   * (at least 2); a duration too short for 2 is an error.
   */
  readonly baseline?: boolean | { readonly durationMs?: number; readonly slices?: number };
  /** A task whose measured phase lasts fewer sampling periods than this is flagged `too-short` (default 5). */
  readonly minPeriods?: number;
}

/** One component's share of a task. */
export interface ComponentEnergyResult {
  readonly joules: number;
  /** Null when no operation completed (a task that errored at once): no figure is made up. */
  readonly joulesPerOp: number | null;
  /** How it was measured: e.g. `rapl (measured)`, `dimm-model (estimate)`, `none`. */
  readonly source: string;
}

/** The idle power measured before the tasks. */
export interface Baseline {
  readonly watts: number;
  /** Standard deviation of the slices' mean powers, W. */
  readonly spreadWatts: number;
  readonly slices: number;
  readonly durationMs: number;
  readonly perComponentWatts: { readonly cpu: number; readonly gpu: number; readonly ram: number };
}

/** A task's energy: totals, per operation, per component, and how far to trust them. */
export interface TaskEnergy {
  readonly name: string;
  /** Operations in the measured phase (tinybench's samples). */
  readonly runs: number;
  readonly durationMs: number;
  readonly latencyMeanMs: number | null;
  readonly throughputMeanOps: number | null;
  /**
   * The share of the measured phase spent in the operations (runs × mean latency ÷ duration); the
   * rest is tinybench's own time between iterations, which per-operation figures leave out.
   */
  readonly opShare: number;
  /** Energy of the whole measured phase (the operations and tinybench's time between them). */
  readonly joules: number;
  /** The phase's mean power × the operation's mean latency: one operation's energy; null when no operation completed. */
  readonly joulesPerOp: number | null;
  readonly watts: number;
  readonly cpu: ComponentEnergyResult;
  readonly gpu: ComponentEnergyResult;
  readonly ram: ComponentEnergyResult;
  /** True when every component with energy was read from a counter; false when any is an estimate. */
  readonly measured: boolean;
  /** g CO2eq per operation (PUE applied, as CodeCarbon's energy is). */
  readonly gCo2ePerOp: number | null;
  /** Baseline-subtracted energy (never below 0), with the baseline's spread carried to one op (its watts × the op's latency); null without a baseline. */
  readonly dynamic: { readonly joules: number; readonly joulesPerOp: number | null; readonly spreadJoulesPerOp: number | null; readonly belowBaseline: boolean } | null;
  /**
   * `sampled` when the measured phase spans at least `minPeriods` sampling periods; `too-short`
   * when it does not: its energy shares the surrounding samples' by time (an estimate).
   */
  readonly resolution: 'sampled' | 'too-short';
  /** False while part of it is provisional (a GPU's energy after its last counter reading). */
  readonly final: boolean;
  /** Set when the task errored or ran concurrently with others (energies then overlap). */
  readonly note: string | null;
}

/** Everything the harness measured, for JSON output. */
export interface EnergyBenchReport {
  readonly tasks: readonly TaskEnergy[];
  /** Tasks with no measured phase (an error in warm-up), and why. */
  readonly unmeasured: readonly { readonly name: string; readonly reason: string }[];
  readonly baseline: Baseline | null;
  readonly intensity: Intensity;
  readonly samplePeriodMs: number;
  readonly channels: readonly { readonly id: string; readonly component: string; readonly source: string; readonly measured: boolean }[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The energy side of a tinybench Bench; made by attachEnergy(). */
export class EnergyBench {
  readonly tracker: EmissionsTracker;
  readonly #bench: Bench;
  readonly #marks = new Map<Task, PhaseMarks>();
  readonly #minPeriods: number;
  #baseline: Baseline | null = null;
  #concurrency: Bench['concurrency'] = null;
  #holding: boolean;
  readonly #onAdd = (e: Event): void => this.#watch((e as Event & { task: Task }).task);
  readonly #onStart = (): void => { this.#concurrency = this.#bench.concurrency; };
  /** Puts the Bench's setup, teardown and add back as they were. */
  readonly #unwrap: () => void;

  constructor(bench: Bench, tracker: EmissionsTracker, minPeriods: number) {
    this.#bench = bench;
    this.tracker = tracker;
    // A benchmark wants the full sampling rate throughout, though its marks are seconds apart.
    tracker.sampler?.holdFullRate();
    this.#holding = tracker.sampler !== null;
    this.#minPeriods = minPeriods;
    bench.tasks.forEach((t) => this.#watch(t));
    bench.addEventListener('add', this.#onAdd);
    bench.addEventListener('start', this.#onStart);
    this.#unwrap = wrapBenchHooks(bench);
  }

  #watch(task: Task): void {
    if (this.#marks.has(task)) return;
    this.#marks.set(task, watchPhases(task));
  }

  /** Tasks that errored in warm-up: tinybench does not run them, so there is no phase to measure. */
  unmeasured(): { readonly name: string; readonly reason: string }[] {
    return [...this.#marks].filter(([, m]) => m.warmupError && !(m.t1 >= m.t0))
      .map(([task]) => ({ name: String(task.name), reason: `it errored in warm-up (${errorText(task)}), so tinybench did not run it: not measured` }));
  }

  /** The idle baseline, when one was measured. */
  get baseline(): Baseline | null {
    return this.#baseline;
  }

  /**
   * Measures idle power for `durationMs` in `slices` (default: up to 10, each at least 2 sampling
   * periods long); the main thread sleeps. Called by attachEnergy() when asked.
   * @throws ConfigError when the duration cannot hold the slices, naming the least duration that can.
   */
  async measureBaseline(durationMs = 2000, slices?: number): Promise<Baseline> {
    if (!(durationMs > 0) || (slices !== undefined && (!(slices >= 2) || !Number.isInteger(slices)))) {
      throw new ConfigError('baseline', 'argument', `expected durationMs > 0 and an integer slices >= 2, got ${durationMs} ms in ${slices}`);
    }
    const sampler = this.tracker.sampler!;
    const period = sampler.info!.periodMs;
    // A slice shorter than two periods would be interpolated from one sample or two: no spread worth the name.
    const shortestSliceMs = 2 * period;
    const n = slices ?? Math.max(2, Math.min(10, Math.floor(durationMs / shortestSliceMs)));
    if (durationMs < n * shortestSliceMs) {
      throw new ConfigError('baseline', 'argument', `${durationMs} ms is too short for ${n} slices of at least 2 sampling periods `
        + `(${shortestSliceMs} ms) each; give durationMs (--baseline-ms) of at least ${n * shortestSliceMs}`
        + `${slices === undefined ? '' : ', or fewer slices'}, or a shorter sample_period_ms`);
    }
    const sliceMs = durationMs / n;
    const edges = [now()];
    for (let i = 1; i <= n; i++) {
      // Each slice a whole sliceMs from the last edge as it fell: a timer late on a busy machine
      // makes its slice longer, never the next one shorter (a short slice's power would be mostly
      // the counter's rounding). Timers may fire a little early: slept until the edge is due.
      const due = edges.at(-1)! + sliceMs;
      while (now() < due) await sleep(Math.ceil(due - now()));
      edges.push(now());
    }
    await sampler.sampleNow(true);
    const channels = sampler.info!.channels;
    const perSlice = edges.slice(1).map((t1, i) => {
      const t0 = edges[i]!;
      const e = componentEnergy(channels, sampler.timeline!.energyBetween(t0, t1).energyUj);
      const s = (t1 - t0) / 1000;
      return { cpu: e.cpuUj / 1e6 / s, gpu: e.gpuUj / 1e6 / s, ram: e.ramUj / 1e6 / s };
    });
    const total = perSlice.map((p) => p.cpu + p.gpu + p.ram);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const m = mean(total);
    const sd0 = Math.sqrt(total.reduce((a, w) => a + (w - m) ** 2, 0) / (total.length - 1));
    // Slices of an estimated constant power differ only by floating-point rounding (1e-15 W): no
    // spread. A counter's whole µJ in a slice is some 1e-7 of it, far above this cut.
    const sd = sd0 < m * 1e-9 ? 0 : sd0;
    this.#baseline = {
      watts: m, spreadWatts: sd, slices: n, durationMs: edges.at(-1)! - edges[0]!,
      perComponentWatts: { cpu: mean(perSlice.map((p) => p.cpu)), gpu: mean(perSlice.map((p) => p.gpu)), ram: mean(perSlice.map((p) => p.ram)) },
    };
    return this.#baseline;
  }

  /** Energy of every task that has run, read once every mark is covered by a sample. */
  async results(): Promise<TaskEnergy[]> {
    await this.tracker.flush(); // a sample after the last mark, exact GPU counters, the location once known
    const sampler = this.tracker.sampler;
    if (sampler === null || sampler.timeline === null) return [];
    const channels = sampler.info!.channels;
    const period = sampler.info!.periodMs;
    const g = this.tracker.intensity.gCo2ePerKwh;
    const pue = this.tracker.options.pue;
    const out: TaskEnergy[] = [];
    for (const [task, m] of this.#marks) {
      if (!(m.t1 >= m.t0)) continue; // never ran, or still running
      const runs = task.runs;
      const interval = sampler.timeline.energyBetween(m.t0, m.t1);
      const e = componentEnergy(channels, interval.energyUj);
      const durationMs = m.t1 - m.t0;
      const joules = (e.cpuUj + e.gpuUj + e.ramUj) / 1e6;
      const r = task.result as { state: string; latency?: { mean: number }; throughput?: { mean: number } };
      // An operation's energy is the phase's power over the operation's own time (tinybench's mean
      // latency): between iterations tinybench does its own bookkeeping, which for an operation of
      // tens of ns takes most of the phase, and is not the operation's.
      const opMs = r.latency?.mean !== undefined && r.latency.mean >= 0 ? r.latency.mean : runs > 0 ? durationMs / runs : 0;
      // With concurrency 'task' a task's iterations overlap (each latency is wall time shared with
      // the others in flight): the phase's energy is theirs together, an operation's its share of it.
      const overlapping = this.#concurrency === 'task';
      const opShare = overlapping || !(durationMs > 0) ? 1 : Math.min(1, (runs * opMs) / durationMs);
      // No operation completed (the task errored at once): there is no operation to give energy to.
      const per = (j: number): number | null => (runs === 0 ? null : overlapping ? j / runs : durationMs > 0 ? (j * opMs) / durationMs : 0);
      const part = (uj: number, source: string): ComponentEnergyResult => ({ joules: uj / 1e6, joulesPerOp: per(uj / 1e6), source });
      const b = this.#baseline;
      const idleJ = b === null ? 0 : (b.watts * durationMs) / 1000;
      out.push({
        name: String(task.name), runs, durationMs,
        latencyMeanMs: r.latency?.mean ?? null, throughputMeanOps: r.throughput?.mean ?? null, opShare,
        joules, joulesPerOp: per(joules), watts: durationMs > 0 ? joules / (durationMs / 1000) : 0,
        cpu: part(e.cpuUj, e.cpuSource), gpu: part(e.gpuUj, e.gpuSource), ram: part(e.ramUj, e.ramSource),
        measured: channels.every((c, i) => c.measured || interval.energyUj[i] === 0),
        gCo2ePerOp: per(((joules / 3.6e6) * pue * g)),
        dynamic: b === null ? null : {
          joules: Math.max(0, joules - idleJ), joulesPerOp: per(Math.max(0, joules - idleJ)),
          spreadJoulesPerOp: per((b.spreadWatts * durationMs) / 1000), belowBaseline: joules < idleJ,
        },
        resolution: durationMs < this.#minPeriods * period ? 'too-short' : 'sampled',
        final: interval.final,
        note: m.errored ? `the task errored: ${runs === 0 ? 'no operation completed, so no figure per operation' : 'its energy covers the runs before the error'}`
          : this.#concurrency === 'bench' ? 'tasks ran concurrently: each figure includes the others\' energy'
            : overlapping ? 'its iterations ran concurrently (concurrency \'task\'): energy/op is the phase\'s energy over its operations'
            : opShare < 0.9 ? `the operations took ${(opShare * 100).toFixed(0)} % of the measured phase (tinybench's own time between `
              + 'them the rest): energy/op is the phase\'s power over the operation\'s mean latency' : null,
      });
    }
    return out;
  }

  /** Everything measured, for JSON; `results` from results() (one reading for several renderings), else read now. */
  async report(results?: readonly TaskEnergy[]): Promise<EnergyBenchReport> {
    const tasks = results ?? await this.results();
    const info = this.tracker.sampler?.info;
    return {
      tasks, unmeasured: this.unmeasured(), baseline: this.#baseline, intensity: this.tracker.intensity, samplePeriodMs: info?.periodMs ?? Number.NaN,
      channels: (info?.channels ?? []).map((c) => ({ id: c.id, component: c.component, source: c.source, measured: c.measured })),
    };
  }

  /**
   * Rows for console.table: tinybench's own columns, then energy per operation, power and emissions;
   * `results` from results() (one reading for several renderings), else read now.
   */
  async table(results?: readonly TaskEnergy[]): Promise<Record<string, string | number>[]> {
    const byName = new Map((results ?? await this.results()).map((r) => [r.name, r]));
    const unmeasured = new Map(this.unmeasured().map((u) => [u.name, u.reason]));
    const rows = this.#bench.table() as (Record<string, string | number> | null)[];
    return this.#bench.tasks.map((task, i) => {
      const r = byName.get(String(task.name));
      const row: Record<string, string | number> = { ...(rows[i] ?? { 'Task name': String(task.name) }) };
      delete row['Stack']; // an errored task's stack, a dozen lines in one cell: its Error cell and the note say it
      const why = unmeasured.get(String(task.name));
      if (r === undefined && why !== undefined) Object.assign(row, { 'Energy/op': '—', 'Note': why });
      if (r === undefined) return row;
      // Every figure drawn from an estimated energy is one.
      const est = r.resolution === 'too-short' || !r.measured ? ' (est.)' : '';
      const g = r.gCo2ePerOp;
      row['Energy/op'] = r.joulesPerOp === null ? '—' : `${formatJoules(r.joulesPerOp)}${est}`;
      if (r.dynamic !== null) {
        row['Dynamic/op'] = r.dynamic.joulesPerOp === null ? '—'
          : `${formatJoules(r.dynamic.joulesPerOp)} ± ${formatJoules(r.dynamic.spreadJoulesPerOp ?? 0)}${est}`;
      }
      row['Power (W)'] = `${r.watts.toFixed(1)}${est}`;
      row['gCO2e/op'] = g === null ? '—' : `${g === 0 || g >= 1e-3 ? g.toPrecision(3) : g.toExponential(2)}${est}`;
      const notes = [r.resolution === 'too-short' ? `too short (< ${this.#minPeriods} samples)` : '', r.measured ? '' : 'estimated',
        r.final ? '' : 'provisional', belowNote(r), r.note ?? ''].filter((n) => n !== '');
      if (notes.length > 0) row['Note'] = notes.join('; ');
      return row;
    });
  }

  /**
   * The results as CSV (one row per task, a header first; a task not measured has its note and
   * empty figures); `results` from results() (one reading for several renderings), else read now.
   */
  async csv(results?: readonly TaskEnergy[]): Promise<string> {
    const b = this.#baseline;
    const rows = (results ?? await this.results()).map((r) => ({
      task: r.name, runs: r.runs, duration_s: r.durationMs / 1000, latency_mean_ms: r.latencyMeanMs ?? '',
      throughput_mean_ops_s: r.throughputMeanOps ?? '', op_share: r.opShare, energy_j: r.joules, energy_j_per_op: r.joulesPerOp ?? '',
      cpu_j_per_op: r.cpu.joulesPerOp ?? '', gpu_j_per_op: r.gpu.joulesPerOp ?? '', ram_j_per_op: r.ram.joulesPerOp ?? '', power_w: r.watts,
      emissions_g_per_op: r.gCo2ePerOp ?? '', baseline_w: b?.watts ?? '', baseline_spread_w: b?.spreadWatts ?? '',
      dynamic_j_per_op: r.dynamic?.joulesPerOp ?? '', dynamic_spread_j_per_op: r.dynamic?.spreadJoulesPerOp ?? '',
      resolution: r.resolution, measured: r.measured ? 'Y' : 'N', final: r.final ? 'Y' : 'N',
      cpu_source: r.cpu.source, gpu_source: r.gpu.source, ram_source: r.ram.source,
      carbon_intensity_g_co2e_kwh: this.tracker.intensity.gCo2ePerKwh,
      carbon_intensity_source: sourceText(this.tracker.intensity),
      note: [belowNote(r), r.note ?? ''].filter((n) => n !== '').join('; '),
    }));
    const unmeasured = this.unmeasured().map((u) => ({ task: u.name, runs: 0, note: u.reason }));
    return stringify([...rows, ...unmeasured], { header: true, columns: csvColumns });
  }

  /**
   * Stops listening and stops the tracker (which writes its own row only with saveToFile);
   * `discard`: ends it without a record, not waiting for its location lookup.
   */
  async stop(discard = false): Promise<void> {
    this.#bench.removeEventListener('add', this.#onAdd);
    this.#bench.removeEventListener('start', this.#onStart);
    this.#unwrap();
    if (this.#holding) this.tracker.sampler?.releaseFullRate();
    this.#holding = false;
    if (discard) await this.tracker.discard();
    else await this.tracker.stop();
  }
}

/**
 * Attaches energy measurement to a tinybench Bench, without changing how its tasks are written:
 * starts (or shares) the sampler, measures the idle baseline when asked, and marks each task's
 * measured phase. Run the bench as usual, then read `results()`, `table()`, `report()` or `csv()`.
 * @throws ConfigError for options that cannot be used (as a tracker's constructor does); SamplerError
 * when measuring cannot start (e.g. gpu_ids that match no GPU), with the reason; CodeCarbonError
 * (ERR_CODECARBON_USAGE) for a Bench whose tasks have already run.
 */
export async function attachEnergy(bench: Bench, options: EnergyBenchOptions = {}): Promise<EnergyBench> {
  if (typeof bench !== 'object' || bench === null || !Array.isArray((bench as Partial<Bench>).tasks) || typeof bench.addEventListener !== 'function') {
    throw new TypeError(`attachEnergy(bench): bench must be a tinybench Bench (new Bench() from 'tinybench', version 6), got ${bench === null ? 'null' : typeof bench}`);
  }
  if (options.minPeriods !== undefined && !(Number.isInteger(options.minPeriods) && options.minPeriods >= 1)) {
    throw new ConfigError('minPeriods', 'argument', `expected an integer >= 1, got ${String(options.minPeriods)}`);
  }
  // A task that has run does not run again until reset: no measured phase would be marked.
  const ran = bench.tasks.filter((t) => !['not-started', 'aborted'].includes(t.result.state)).map((t) => `'${String(t.name)}'`);
  if (ran.length > 0) {
    throw new CodeCarbonError('ERR_CODECARBON_USAGE', `no energy can be attached to a Bench that has run: task${ran.length > 1 ? 's' : ''} `
      + `${ran.join(', ')} ${ran.length > 1 ? 'have' : 'has'} results, and tinybench does not run a task again until it is reset; `
      + 'call attachEnergy() before bench.run() (or bench.reset() first; that drops the results)');
  }
  const { offline, baseline, minPeriods, ...trackerOptions } = options;
  const Kind = offline ? OfflineEmissionsTracker : EmissionsTracker;
  const tracker = new Kind({ saveToFile: false, ...trackerOptions });
  // Held while starting (a listener stops the tracker printing them): the last one says why it failed.
  const held: string[] = [];
  const onWarning = (e: Event): void => { held.push((e as Event & { message: string }).message); };
  tracker.addEventListener('warning', onWarning);
  tracker.start();
  const started = await tracker.ready();
  tracker.removeEventListener('warning', onWarning);
  for (const w of started === null ? held.slice(0, -1) : held) printWarning(w, tracker.options);
  if (started === null) {
    await tracker.discard();
    throw new SamplerError(`no energy can be attached to the benchmark: ${held.at(-1) ?? 'measuring could not start'}`);
  }
  const energy = new EnergyBench(bench, tracker, minPeriods ?? 5);
  if (baseline) {
    const b = baseline === true ? {} : baseline;
    try {
      await energy.measureBaseline(b.durationMs ?? 2000, b.slices);
    } catch (e) {
      // No tracker left running behind an error, and no wait for its location lookup either.
      await energy.stop(true);
      throw e;
    }
  }
  return energy;
}
