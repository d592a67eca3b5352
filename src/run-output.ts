// A run's records and where they go: each record built once off the timeline, its energy booked at
// the intensity of its moment, handed to every output; live records, the task file and taskOut.
import { buildRecord, componentEnergy, metricFields, type ComponentEnergy, type RecordContext, type RunSetting } from './emissions/compute.js';
import type { Whereabouts } from './emissions/whereabouts.js';
import { CsvFiles, type CsvFileOptions } from './output/csv-files.js';
import type { Outputs } from './output/output.js';
import type { EmissionsRecord, MetricRecord } from './output/record.js';
import { outputsOf } from './output/select.js';
import { EmissionsBook, labelSources, runContext, runSetting, silentComponents } from './run-record.js';
import type { Sampler } from './sampler/sampler.js';
import type { Anchor } from './sampler/timeline.js';
import type { CpuTimes } from './sources/proc.js';
import type { Component } from './sources/source.js';
import type { TaskLedger } from './task-ledger.js';
import type { ResolvedOptions } from './types.js';

/** The run a record is of: a started sampler (its timeline and info exist), its start mark and anchor. */
export interface RunState {
  readonly sampler: Sampler;
  /** Null once the run has stopped (records of its tasks then). */
  readonly startMs: number | null;
  readonly anchor: Anchor | null;
  readonly cpu0: CpuTimes | null;
  readonly runId: string;
}

export class RunOutput {
  readonly csv: CsvFiles;
  readonly outputs: Outputs;
  readonly writesCsv: boolean;
  readonly #book = new EmissionsBook();
  #measurements = 0;
  #context: { readonly t1: number; readonly runId: string; readonly startMs: number | null; readonly ctx: RecordContext } | null = null;
  #lastSetting: { runId: string; intensity: unknown; geo: unknown; cloud: unknown; plan: unknown; setting: RunSetting } | null = null;

  /**
   * `origins` and `pending` for a tracker, not a fork: the choice of outputs is checked against
   * where each option came from, and what to say about it goes to `pending`. `current`: the run's
   * metric fields so far (metricRecord()), read by outputs that serve figures on demand (the scrape endpoint, otel).
   * @throws ConfigError for an endpoint that is not a URL.
   */
  constructor(readonly options: ResolvedOptions, readonly where: Whereabouts, warn: (message: string) => void,
    origins?: Readonly<Record<string, string>>, pending?: string[], current?: () => MetricRecord | null) {
    this.csv = new CsvFiles(options as unknown as CsvFileOptions, warn);
    [this.outputs, this.writesCsv] = outputsOf(options, this.csv, warn, origins, pending, current);
  }

  /** A new run: deltas, emissions slices and the count of measurements start again. */
  restart(): void {
    this.outputs.restart();
    this.#book.restart();
    this.#measurements = 0;
  }

  /** Whether measurements are taken every measure_power_secs: for listeners, live outputs, or live intensities. */
  wantsTimer(listened: boolean): boolean {
    return listened || (this.outputs.wantsLive && this.options.apiCallInterval !== -1) || !!this.options.electricitymapsApiToken;
  }

  /**
   * The run's context at t1 (it reads /proc). Made once per moment: stop() seals the tasks and writes
   * the run's record at the same t1, with one context.
   */
  context(run: RunState, t1: number): RecordContext {
    const last = this.#context;
    if (last !== null && last.t1 === t1 && last.runId === run.runId && last.startMs === run.startMs) return last.ctx;
    const ctx = this.#makeContext(run, t1);
    this.#context = { t1, runId: run.runId, startMs: run.startMs, ctx };
    return ctx;
  }

  #makeContext(run: RunState, t1: number): RecordContext {
    const tl = run.sampler.timeline!;
    return runContext(this.options, { runId: run.runId, intensity: this.where.intensity, where: this.where, plan: run.sampler.info!.plan,
      gpuPercent: run.startMs === null ? null : tl.utilizationBetween(run.startMs, t1), cpu0: run.cpu0 });
  }

  /** The run's record at t1; `book`: its energy so far is booked at the intensity of now. */
  record(run: RunState, t1: number, book = false): EmissionsRecord {
    const record = this.#book.apply(buildRecord((t1 - run.startMs!) / 1000, this.#energy(run, t1), this.context(run, t1)));
    if (book) this.#book.book(Number(record.energy_consumed), Number(record.carbon_intensity_g_co2e_kwh));
    return record;
  }

  /**
   * The metric fields of record(run, t1), nothing booked: what a scrape or a collection reads,
   * without the utilisation a record reads off /proc (a scrape costs the process no file read).
   */
  metricRecord(run: RunState, t1: number): MetricRecord {
    return this.#book.apply(metricFields((t1 - run.startMs!) / 1000, this.#energy(run, t1), this.#setting(run)));
  }

  /** The run's setting, made again only when what it is made of changed (a scrape endpoint reads it up to four times a second). */
  #setting(run: RunState): RunSetting {
    const { intensity, geo, cloud } = this.where;
    const plan = run.sampler.info!.plan;
    const last = this.#lastSetting;
    if (last !== null && last.runId === run.runId && last.intensity === intensity && last.geo === geo && last.cloud === cloud
      && last.plan === plan) return last.setting;
    const setting = runSetting(this.options, { runId: run.runId, intensity, where: this.where, plan });
    this.#lastSetting = { runId: run.runId, intensity, geo, cloud, plan, setting };
    return setting;
  }

  /** The run's energy per component from its start to t1, its sources labelled as rows say them. */
  #energy(run: RunState, t1: number): ComponentEnergy {
    const tl = run.sampler.timeline!;
    const { channels } = run.sampler.info!;
    const e = tl.energyBetween(run.startMs!, t1, run.anchor ?? undefined);
    const silent = silentComponents(channels, (c) => tl.ring.lastReadingMs(c), run.startMs!, t1);
    return labelSources(componentEnergy(channels, e.energyUj), !e.final && hasGpuCounters(run.sampler),
      run.sampler.stuck !== null, { stopped: stoppedComponents(run.sampler, t1), silent, t1 });
  }

  /** Builds the record at t1 and hands it to every output (the CSV row first); returns it. */
  write(run: RunState, t1: number): EmissionsRecord {
    const record = this.record(run, t1, true);
    this.outputs.out(record);
    return record;
  }

  /**
   * A measurement (every measure_power_secs): the record booked at the intensity of now, handed to
   * `measured`, and every api_call_interval measurements to the live outputs, as upstream counts them.
   */
  measure(run: RunState, t1: number, measured: (record: EmissionsRecord) => void): void {
    const record = this.record(run, t1, true);
    measured(record); // the measurement event, then the live outputs, as upstream orders them
    const interval = this.options.apiCallInterval;
    if (interval !== -1 && ++this.#measurements >= interval) {
      this.#measurements = 0;
      this.outputs.liveOut(record);
    }
    if (this.options.electricitymapsApiToken) void this.where.refreshLive(this.options);
  }

  /** The run's task file (at once when the process is exiting, else in pieces), and taskOut. */
  writeTasks(run: RunState, ledger: TaskLedger, exiting: boolean, t1: number): Promise<void> {
    const o = this.options;
    const tl = run.sampler.timeline!;
    // One context for both (it reads /proc), and none when the run's tasks were sealed with theirs.
    let ctx: RecordContext | null = null;
    const context = (): RecordContext => (ctx ??= this.context(run, t1));
    if (!ledger.empty) this.outputs.taskOut(() => ledger.records(tl, context), o.experimentName);
    const job = this.writesCsv ? ledger.prepare(tl, run.sampler.info!.channels, context, o.taskRecordsKept) : null;
    return this.csv.writeTasks(run.runId, job, exiting);
  }
}

/** Whether a GPU's energy counter is measured (its figures after the last reading are provisional). */
export function hasGpuCounters(sampler: Sampler): boolean {
  return sampler.info!.channels.some((c) => c.counter !== undefined);
}

/**
 * Whether to read the GPUs' energy counters for a record at t1: for runs of at least one counter
 * period, whose totals then equal the counters; a shorter run (a decorated call in a loop) keeps
 * its power-shaped, provisional GPU figure rather than cost a 4 ms reading per GPU each time.
 */
export function wantsExact(sampler: Sampler, startMs: number, t1: number, counterPeriodMs: number): boolean {
  return hasGpuCounters(sampler) && t1 - startMs >= counterPeriodMs;
}

/** Components with a source given up (its reads stopped answering) before `t1`. */
function stoppedComponents(sampler: Sampler, t1: number): Component[] {
  const given = sampler.givenUp;
  if (given.length === 0) return [];
  return given.filter((g) => g.atMs < t1).flatMap((g) => g.channels.map((c) => c.component));
}
