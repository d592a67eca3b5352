// EmissionsTracker: start/stop/flush as marks on the shared timeline, tasks and their records; what
// becomes of each record is RunOutput's (run-output.ts).
import { randomUUID } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { now } from './clock.js';
import { attributed, resolveConfig, type ConfigSources } from './config/resolve.js';
import { ConfigError } from './errors.js';
import { intensityFor, resolveCountry, unknownCloud, type Intensity } from './emissions/intensity.js';
import { holding } from './emissions/geolocate.js';
import { Whereabouts } from './emissions/whereabouts.js';
import { register, unregister } from './exit.js';
import { acquireLock, lockPath, releaseLock } from './lock.js';
import { readUtilisation, recentCpuTimes, warmPlatform } from './machine.js';
import { ApiOutput } from './output/api.js';
import type { OutputError } from './output/csv.js';
import type { EmissionsRecord, MetricRecord, TaskRecord } from './output/record.js';
import { RunOutput, wantsExact, type RunState } from './run-output.js';
import { MeasurementEvent, printWarning, TrackerWarningEvent } from './events.js';
import type { Sampler, SamplerInfo } from './sampler/sampler.js';
import { follow, samplerForOptions, unfollow } from './sampler/shared.js';
import type { Anchor } from './sampler/timeline.js';
import type { CpuTimes } from './sources/proc.js';
import { engineOptionsFrom, type EngineOptions } from './sampler/options.js';
import { RunQueue, type Ending } from './run-queue.js';
import { TaskLedger, taskName } from './task-ledger.js';
import { warmInBackground, warmRecords } from './warm.js';
import type { ResolvedOptions, TrackerOptions } from './types.js';

/** The decorator's way to a tracker's overlapping tasks (see [kConcurrentTask]); not exported by the package. */
export const kConcurrentTask: unique symbol = Symbol('codecarbon.concurrentTask');

export type { ResolvedOptions } from './types.js';

/** The longest the process's exit waits for the sampler thread (to start, and for a last sample). */
const exitWaitMs = 1000;

/** Marks the sources argument of a fork (see fork()). */
const kTemplate = Symbol('codecarbon.template');

/**
 * Tracks the energy and emissions of the code between start() and stop(). start() and the task
 * brackets are marks (a clock read); the numbers are read off the sampler thread's timeline.
 */
export class EmissionsTracker extends EventTarget {
  readonly options: ResolvedOptions;
  /** Where each option's value came from: 'argument', 'environment variable X', a file path, or 'default'. */
  readonly origins: Readonly<Record<string, string>>;
  /** The sampling engine's options, a projection of these (the same for every tracker of this configuration). */
  readonly engineOptions: EngineOptions;
  #runId: string | null = null;
  #where: Whereabouts;
  #lookup = false;
  #locating: Promise<void> | null = null;
  /** The tasks of the run that takes marks now (or of the last one). */
  #ledger = new TaskLedger((m) => this.#warn(m));
  #sampler: Sampler | null = null;
  #ready: Promise<SamplerInfo | null> | null = null;
  /** The start of the run begun (until its record is written), or null. */
  #startMs: number | null = null;
  /** Marks go to a run: one started and not stopped (a stop in flight has ended its run for them). */
  #live = false;
  /** The stop in flight, and runs started meanwhile: each begins, from its own start mark, once the run before it is written. */
  readonly #runs = new RunQueue();
  #anchor: Anchor | null = null;
  #cpu0: CpuTimes | null = null;
  #timer: NodeJS.Timeout | null = null;
  #measuring = false;
  #final: EmissionsRecord | null = null;
  readonly #out: RunOutput;
  readonly #pending: string[];
  readonly #onSamplerMessage = (message: string): void => this.#warn(message);

  /** @throws ConfigError for an option that cannot be used, naming it, its origin and the fix. */
  constructor(options: TrackerOptions = {}, sources?: ConfigSources) {
    super();
    const template = (sources as { [kTemplate]?: EmissionsTracker } | undefined)?.[kTemplate];
    // A fork: the template's resolved options and location, without reading anything again.
    const resolved = template === undefined ? resolveConfig(options as Record<string, unknown>, sources) : null;
    this.options = template?.options ?? resolved!.values as unknown as ResolvedOptions;
    this.origins = template?.origins ?? resolved!.origins;
    this.engineOptions = template?.engineOptions ?? engineOptionsFrom(resolved!, sources?.env ?? process.env);
    // A fork takes what its template has not said yet (a wrapper's template never starts): the first fork says it.
    this.#pending = template === undefined ? [...resolved!.warnings] : template.#pending.splice(0);
    const warn = (m: string): void => this.#warn(m);
    const located = template === undefined ? this.locate() : null;
    this.#where = new Whereabouts(template === undefined ? located!.intensity : template.#where.intensity, warn);
    this.#lookup = template === undefined ? located!.lookup === true : template.#lookup;
    this.#out = new RunOutput(this.options, this.#where, warn, resolved?.origins, this.#pending, () => this.#metricRecord());
    if (template !== undefined) return;
    warmInBackground();
    const o = this.options;
    if (this.#out.writesCsv && !(existsSync(o.outputDir) && statSync(o.outputDir).isDirectory())) {
      throw new ConfigError('output_dir', resolved!.origins['outputDir']!, `${o.outputDir} is not an existing directory; create it first`);
    }
  }

  /** A new, unstarted tracker with these resolved options and location, and its own run id. */
  fork(): EmissionsTracker {
    const Kind = this.constructor as new (o: TrackerOptions, s: ConfigSources) => EmissionsTracker;
    return new Kind({}, { [kTemplate]: this } as ConfigSources);
  }

  /** The carbon intensity this tracker uses (the offline tracker insists on a location). */
  protected locate(): { intensity: Intensity; lookup?: boolean } {
    const o = this.options;
    if (o.countryIsoCode) resolveCountry(o.countryIsoCode, this.origins['countryIsoCode']);
    const intensity = attributed(() => intensityFor({ countryIsoCode: o.countryIsoCode, region: o.region, cloudProvider: o.cloudProvider,
      cloudRegion: o.cloudRegion, forceGCo2ePerKwh: o.forceCarbonIntensityGCo2eKwh, dataset: o.carbonIntensityDataset }), this.origins);
    const cloud = unknownCloud(o.cloudProvider, o.cloudRegion);
    if (cloud !== null) this.#pending.push(cloud);
    // No location given: the online tracker looks it up in the background once started (with a
    // forced intensity too, as upstream: the rows still say which country they are in).
    return { intensity, lookup: !(o.countryIsoCode || o.cloudProvider) };
  }

  /** This tracker's run id (a UUID, made on first use: a decorated call pays for it off its path), the CSV's run_id. */
  get runId(): string {
    this.#runId ??= randomUUID();
    return this.#runId;
  }

  /** The run's id on the CodeCarbon API (its POST /runs answer), once made; null before, or without the API output. */
  get apiRunId(): string | null {
    return (this.#out.outputs.list.find((o) => o.output instanceof ApiOutput)?.output as ApiOutput | undefined)?.runId ?? null;
  }

  /** The sampler this tracker reads (shared with every tracker of the same options), once started. */
  get sampler(): Sampler | null {
    return this.#sampler;
  }

  /** Resolves once measuring has started (the sampler's first sample), or to null when it could not. */
  ready(): Promise<SamplerInfo | null> {
    return this.#ready ?? Promise.resolve(null);
  }

  /** The carbon intensity in use, with its source (Electricity Maps' latest when a token is set). */
  get intensity(): Intensity {
    return this.#where.intensity;
  }

  /** The last record of a stopped run (every CSV field), or null. */
  get finalEmissionsData(): EmissionsRecord | null {
    return this.#final;
  }

  /** kg CO2eq of the last stopped run, or null. */
  get finalEmissions(): number | null {
    return this.#final === null ? null : Number(this.#final.emissions);
  }

  /** Whether this tracker writes the CSV files (output_methods, or save_to_file). */
  get writesCsv(): boolean {
    return this.#out.writesCsv;
  }

  /** Why the last write of the CSV files failed (file, errno, fix), or null when it succeeded. */
  get writeError(): OutputError | null {
    return this.#out.csv.error;
  }

  /**
   * Starts tracking: a mark, and the shared sampler on first use. Synchronous. Called while a stop()
   * not awaited is still making its record, the run takes marks (and tasks) at once and begins,
   * from this mark, once that record is written.
   */
  start(): void {
    if (this.#live) return this.#warn('start() called on a tracker that is already running: ignored');
    const t0 = now();
    if (this.#runs.ending === null) {
      this.#begin(t0, null);
      return;
    }
    // The run before is still being written: this one's tasks go to a book of its own meanwhile.
    const ledger = new TaskLedger((m) => this.#warn(m));
    ledger.restart(this.options.taskRecordsKept);
    this.#runs.queue(t0, ledger);
    this.#ledger = ledger;
    this.#live = true;
  }

  /** Begins a run at `t0`: with `ledger`, a queued run's, that already holds its tasks. False when it could not (the lock). */
  #begin(t0: number, ledger: TaskLedger | null): boolean {
    if (this.options.allowMultipleRuns === false) {
      const holder = acquireLock();
      if (holder !== null) {
        this.#warn(`another tracker (process ${holder}) holds ${lockPath()} and allow_multiple_runs is false: `
          + 'this one does not start; set allow_multiple_runs to true to run both');
        return false;
      }
    }
    this.#startMs = t0;
    if (ledger === null) this.#live = true; // a queued run's marks have gone to its ledger since its start()
    this.#final = null;
    this.#runId = null; // each run has its own id (and task file): upstream cannot restart at all
    if (ledger === null) this.#ledger.restart(this.options.taskRecordsKept);
    const runLedger = ledger ?? this.#ledger;
    this.#out.restart();
    this.#cpu0 = recentCpuTimes();
    const o = this.options;
    const sampler = samplerForOptions(o, this.engineOptions);
    this.#sampler = sampler;
    sampler.touch();
    follow(sampler, this.#onSamplerMessage);
    const first = !sampler.started;
    this.#ready = this.#whenReady(sampler.start());
    runLedger.attach(sampler);
    if (first) {
      // The first start: the run counts from the counters' reading in start(), where every channel is at 0.
      if (!Number.isNaN(sampler.originMs) && ledger === null) this.#startMs = sampler.originMs;
      warmRecords(o, this.#where.intensity, () => this.#startMs !== null);
    } else {
      this.#anchorStart();
    }
    if (this.#pending.length > 0) for (const w of this.#pending.splice(0)) queueMicrotask(() => this.#warn(w));
    if (this.handlesExit()) register(this);
    if (this.#out.wantsTimer(this.#measuring)) this.#startTimer();
    // The process's lookups, shared and bounded: see Whereabouts.lookUp().
    if (this.#lookup && this.#locating === null) this.#locating = this.#where.lookUp(o, () => this.#startMs !== null);
    return true;
  }

  /** The start promise, with this run's anchor once the timeline exists, and a warning (and null) when measuring cannot start. */
  #whenReady(started: Promise<SamplerInfo>): Promise<SamplerInfo | null> {
    return started.then((info) => {
      this.#anchorStart();
      return info;
    }, (e: unknown) => {
      this.#warn(`measuring could not start: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    });
  }

  /**
   * Asks the sampler to settle this run's start values (an anchor), so that they stay exact after
   * the ring has moved on. Not needed at the origin, where every value is 0 by construction.
   */
  #anchorStart(): void {
    const tl = this.#sampler?.timeline;
    if (this.#anchor !== null || this.#startMs === null || tl == null || this.#startMs === tl.originMs) return;
    this.#anchor = tl.anchor(this.#startMs);
  }

  /** Measurement events cost a timer: it runs only while someone listens for them. */
  override addEventListener(...args: Parameters<EventTarget['addEventListener']>): void {
    super.addEventListener(...args);
    if (args[0] === 'measurement' && !this.#measuring) {
      this.#measuring = true;
      if (this.#startMs !== null) this.#startTimer();
    }
  }

  #startTimer(): void {
    this.#timer ??= setInterval(() => this.#measure(), this.options.measurePowerSecs * 1000).unref();
  }

  /** Whether process exit and SIGINT/SIGTERM stop this tracker (the monitor CLI handles them itself). */
  protected handlesExit(): boolean {
    return true;
  }

  /** Writes the record so far (and the task rows); tracking goes on. Resolves to kg CO2eq so far. */
  async flush(): Promise<number | null> {
    await this.#runs.settled();
    if (this.#startMs === null) return null;
    const t1 = now();
    if ((await this.#ready) === null) return null;
    await this.#sampleAfter(t1);
    if (this.#startMs === null) return null;
    const record = this.#write(t1);
    await this.#out.writeTasks(this.#run(), this.#ledger, false, t1);
    return Number(record.emissions);
  }

  /**
   * A sample after `t1` (exact counters where the run needs them), the location and the platform's
   * background read awaited with it (the record must not pay for a report), then the live intensity.
   */
  async #sampleAfter(t1: number): Promise<void> {
    const s = this.#sampler!;
    const sampled = Promise.all([s.sampleNow(wantsExact(s, this.#startMs!, t1, this.options.gpuCounterPeriodMs)),
      this.#locating && holding(this.#locating), warmPlatform()]);
    readUtilisation(); // while the sampler thread takes its sample
    await sampled;
    await this.#where.refreshLive(this.options);
  }

  /**
   * Resolves once every output has finished what it was handed so far: uploads delivered, or
   * given up and said. stop() does not wait for them; a program that ends after stop() does (each
   * request is bounded by its time-out), and one that calls process.exit() is told what was not sent.
   */
  delivered(): Promise<void> {
    return this.#out.outputs.delivered();
  }

  /** After delivered(): what the API or the Pushgateway did not receive of the run, one line each (empty when all did). */
  undelivered(): string[] {
    return this.#out.outputs.undelivered();
  }

  /**
   * Stops tracking at this mark and writes the final record; resolves to the run's kg CO2eq (null
   * if not started). The run takes no mark after this call: a start() before it resolves is a new run.
   */
  stop(): Promise<number | null> {
    if (!this.#live) return Promise.resolve(null);
    const t1 = now();
    this.#live = false;
    this.#ledger.closeOpen(t1);
    return this.#runs.stop(t1, this.#ledger, (ending) => this.#written(ending));
  }

  /** The stop of the run begun, at its mark: a sample after it, its tasks sealed, its record written. */
  async #written(ending: Ending): Promise<number | null> {
    const { t1, ledger } = ending;
    const info = await this.#ready;
    if (info !== null) await this.#sampleAfter(t1);
    if (this.#runs.ending !== ending) return null; // discarded, or ended at exit, meanwhile
    if (info !== null) ledger.seal(this.#sampler!.timeline!, this.options.taskRecordsKept, () => this.#out.context(this.#run(), t1));
    const { record, written } = this.#finish(t1, info !== null, false, ledger);
    await written;
    if (ledger !== this.#ledger) ledger.release(); // a run queued after it has begun
    return record === null ? null : Number(record.emissions);
  }

  /** Ends the run without a record or any output (what it measured is dropped), and any run started after a stop still in flight. */
  async discard(): Promise<void> {
    this.#runs.clear();
    this.#live = false;
    void this.#finish(now(), false, false, this.#ledger);
  }

  /**
   * Ends the runs now: the process is exiting and cannot wait asynchronously. A stop in flight
   * ends its run at its own mark, a run going on ends here. Blocks for at most `exitWaitMs` for
   * the sampler thread to start (a process.exit() right after start()) and for a sample after the
   * end; failing that, the figures are those published, labelled provisional.
   */
  finishNow(): void {
    // A run queued behind a stop in flight begins when the one before it is written, here too.
    while (this.#startMs !== null) {
      const ending = this.#runs.ending;
      const t1 = ending?.t1 ?? now();
      const ledger = ending?.ledger ?? this.#ledger;
      if (ending === null) {
        this.#live = false;
        ledger.closeOpen(t1);
      }
      this.#runs.ending = null; // the stop in flight, if any, finds its run written
      this.#sampler?.settleSync(t1, exitWaitMs);
      this.#finish(t1, this.#sampler?.timeline != null, true, ledger);
    }
  }

  /**
   * Ends the run begun: when `measured`, its final record to every output, then its tasks (the
   * task file written at once when the process is `exiting`), then exit() on every output, as
   * upstream orders them; then begins the run queued after it, if any. `written` resolves when
   * the task file is.
   */
  #finish(t1: number, measured: boolean, exiting: boolean, ledger: TaskLedger): { record: EmissionsRecord | null; written: Promise<void> } {
    if (this.#startMs === null) return { record: null, written: Promise.resolve() };
    // The final record is the row just written, not a second reading of the timeline.
    const record = measured ? this.#write(t1) : null;
    this.#final = record;
    const written = measured ? this.#out.writeTasks(this.#run(), ledger, exiting, t1) : Promise.resolve();
    if (measured) this.#out.outputs.exit();
    this.#out.outputs.ended();
    if (this.#anchor !== null) this.#sampler!.timeline!.releaseAnchor(this.#anchor);
    if (this.#sampler !== null) unfollow(this.#sampler, this.#onSamplerMessage);
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#startMs = null;
    this.#anchor = null;
    if (this.#runs.ending?.ledger === ledger) this.#runs.ending = null;
    unregister(this);
    if (this.options.allowMultipleRuns === false) releaseLock();
    this.#beginQueued();
    return { record, written };
  }

  /** The run queued first begins, from its own start mark; a stop() it had meanwhile is then in flight. */
  #beginQueued(): void {
    const next = this.#runs.shift();
    if (next === undefined) return;
    if (this.#begin(next.startMs, next.ledger)) return this.#runs.began(next);
    // Not begun (the lock): it and the runs after it take no more marks.
    this.#runs.clear();
    this.#live = false;
  }

  /**
   * Marks the start of a task (no I/O); several may be open. Returns its name: `task_<n>` when none
   * is given, `<name>_<uuid4>` when a task of that name is already open (as upstream). A tracker
   * not yet started starts here, as CodeCarbon's start_task() measures without start().
   */
  startTask(name?: string): string {
    if (!this.#live) this.start();
    return this.#ledger.start(typeof name === 'string' || name === undefined ? name : taskName(name, 'startTask'));
  }

  /**
   * Marks the end of the named task, or of the last one started. Returns the task's id (a small
   * integer, no allocation) for taskRecord(), or -1 when no such task is open (said in a warning).
   */
  stopTask(name?: string): number {
    return this.#ledger.stop(typeof name === 'string' || name === undefined ? name : taskName(name, 'stopTask'));
  }

  /**
   * For trackEmissions({ tracker }): a task of `name` that may overlap others of that name (a
   * wrapped async function called again before the last call returned); the function returned ends
   * it and gives its id. Not part of the API.
   */
  [kConcurrentTask](name: string): () => number {
    if (!this.#live) this.start();
    const ledger = this.#ledger; // the task ends in its run's ledger, whatever runs come after
    const handle = ledger.startConcurrent(name);
    return () => ledger.stopConcurrent(handle);
  }

  /**
   * Ends the open task `name` (when one is) and starts the next of that name at the same mark: in
   * a loop, one call per iteration instead of a startTask()/stopTask() pair, so the boundary
   * between two iterations costs one clock read, not two (each is about 50 ns on a VM; a task's
   * span then includes the loop's own step to the next iteration). Returns the ended task's id
   * (for taskRecord()), or -1 when none of that name was open. stopTask(name) ends the last one.
   * A tracker not yet started starts here, as with startTask().
   * @throws TypeError when `name` is not a string.
   */
  nextTask(name: string): number {
    const key = typeof name === 'string' ? name : taskName(name, 'nextTask');
    if (key === undefined) {
      throw new TypeError(`nextTask(name): name must be a string (the task's name, as given to startTask()), got ${name === null ? 'null' : typeof name}: `
        + 'nextTask(\'step\') in the loop, stopTask(\'step\') after it');
    }
    if (!this.#live) this.start();
    return this.#ledger.next(key);
  }

  /**
   * The record of a finished task of the current (or last) run, by the id stopTask() returned:
   * energy per component (kWh), emissions (kg), duration (s), final and resolution, as its row in
   * the task file, with or without CSV output. Waits for the sample after the task's end. Null for
   * an unknown id, or a task folded into its name's row (past task_records_kept: see taskRecords()).
   */
  async taskRecord(id: number): Promise<TaskRecord | null> {
    await this.#runs.settled();
    const endMs = this.#ledger.endOf(id);
    if (Number.isNaN(endMs) || !(await this.#settledTo(endMs))) return null;
    return this.#ledger.record(id, this.#sampler!.timeline!, () => this.#out.context(this.#run(), now()));
  }

  /** Every finished task's record of the current (or last) run, then one row per folded name. */
  async taskRecords(): Promise<TaskRecord[]> {
    await this.#runs.settled();
    if (!(await this.#settledTo(now()))) return [];
    return this.#ledger.records(this.#sampler!.timeline!, () => this.#out.context(this.#run(), now()));
  }

  /** Waits until the timeline's values at `tMs` are settled (a sample after it); false when nothing was measured. */
  async #settledTo(tMs: number): Promise<boolean> {
    if (this.#ready === null || (await this.#ready) === null) return false;
    const s = this.#sampler!;
    if (!s.stopped && tMs > s.timeline!.settledMs()) await s.sampleNow(false);
    return true;
  }

  /** Runs `fn` between start() and stop(); its result or error comes back unchanged. */
  async run<T>(fn: () => T | Promise<T>): Promise<T> {
    this.start();
    try {
      return await fn();
    } finally {
      await this.stop();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** A 'warning' listener takes the message instead of stderr (as an 'error' listener takes an EventEmitter's error). */
  #warn(message: string): void {
    const heard = getEventListeners(this, 'warning').length > 0;
    this.dispatchEvent(new TrackerWarningEvent(message));
    if (!heard) printWarning(message, this.options);
  }

  /**
   * The record so far, without waiting and without writing it: up to the newest sample, so that
   * its duration and its energy cover the same span (samples come every sample_period_ms while the
   * process works, up to idle_sample_period_ms apart while it idles). Null before the first sample.
   */
  current(): EmissionsRecord | null {
    return this.#startMs === null || !this.#sampler?.timeline ? null : this.#out.record(this.#run(), this.#sampledUntil());
  }

  /** current()'s metric fields, read without /proc (for the scrape endpoint and otel); null when current() is. */
  #metricRecord(): MetricRecord | null {
    return this.#startMs === null || !this.#sampler?.timeline ? null : this.#out.metricRecord(this.#run(), this.#sampledUntil());
  }

  /** The time of the newest sample, within the run (a record to now would pair energy to then with time to now). */
  #sampledUntil(): number {
    return Math.max(this.#startMs!, Math.min(now(), this.#sampler!.timeline!.newestMs()));
  }

  /**
   * Every measure_power_secs while running: a measurement at this moment (see RunOutput.measure())
   * once a sample after it has come, and its event for listeners.
   */
  #measure(): void {
    const startMs = this.#startMs;
    if (startMs === null || !this.#sampler?.timeline) return;
    const t1 = now();
    void this.#sampler.sampleNow().then(() => {
      if (this.#startMs !== startMs) return; // stopped (or started again) meanwhile: the stop's record stands
      this.#out.measure(this.#run(), t1, (record) => { if (this.#measuring) this.dispatchEvent(new MeasurementEvent(record)); });
    }, () => {}); // a sampler that failed has said so through its error event
  }

  /** The current run, as its records read it (a started sampler), its start anchored first. */
  #run(): RunState {
    this.#anchorStart();
    return { sampler: this.#sampler!, startMs: this.#startMs, anchor: this.#anchor, cpu0: this.#cpu0, runId: this.runId };
  }

  /** Builds the record at t1 and hands it to every output (the CSV row first); returns it. */
  #write(t1: number): EmissionsRecord {
    return this.#out.write(this.#run(), t1);
  }
}

