// Main-thread handle of the sampler thread: a synchronous start at the mark, interval energy, sample-now, stop.
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { clockPair, now } from '../clock.js';
import { SamplerError } from '../errors.js';
import type { HardwarePlan } from '../sources/detect.js';
import { avoidProcessReport } from '../machine.js';
import { readMark } from '../sources/mark.js';
import type { ChannelInfo } from '../sources/source.js';
import { TaskArena } from './arena.js';
import { SamplerErrorEvent, SamplerWarningEvent, type GivenUpSource } from './events.js';
import { resolveEngineOptions, type EngineOptions } from './options.js';
import { abandonPhase, describePhase, phaseAbandoned, phaseIdle, phaseRead, readPhase } from './phase.js';
import { newPool, type Pool } from './pool.js';
import { giveMark, markBytes, refuseMark, sourceRange, threadInternals, type BootData, type ResumeData, type SamplerEvent, type SamplerInternals, type StartFailure, type StartResult } from './protocol.js';
import { kBootFailed, kBootInts, kBootStarting, kBootState, kServed, kStateCrashed, kStateStopped, RingReader } from './ring.js';
import { ThreadChannels } from './channels.js';
import { Timeline } from './timeline.js';
import { endStuckThreadsAtExit, waitFor } from './waits.js';

export { SamplerErrorEvent, SamplerWarningEvent, type GivenUpSource };

/** What the sampler found and uses, available once it has started. */
export interface SamplerInfo {
  readonly channels: readonly ChannelInfo[];
  readonly plan: HardwarePlan;
  readonly periodMs: number;
}

const anchorCount = 64;
/** How often, at least, an idle process looks whether its sampler thread is stuck in a read. */
const watchdogMs = 15_000;
let samplerCount = 0;

/**
 * One sampler thread, in a private one-thread piscina pool, writing a shared timeline. The first
 * start() reads the cheap counters on the calling thread (the start mark) and creates the thread,
 * which boots and samples without the main thread's event loop turning. Marks are plain `now()`
 * readings; energies are read from the timeline without crossing threads.
 */
export class Sampler extends EventTarget {
  readonly options: EngineOptions;
  readonly #internals: SamplerInternals | undefined;
  #pool: Pool | null = null;
  #header: Int32Array | null = null;
  #channels: ThreadChannels | null = null;
  #starting: Promise<SamplerInfo> | null = null;
  #originMs = Number.NaN;
  #info: SamplerInfo | null = null;
  #failure: SamplerError | null = null;
  #timeline: Timeline | null = null;
  /** The timeline's ring once the thread has started (see touch()). */
  #ring: RingReader | null = null;
  #sources: readonly string[] = [];
  #sourceChannels: readonly number[] = [];
  #boot: BootData | null = null;
  #givenUp: GivenUpSource[] = [];
  /** Causes of the warnings heard from the sampler threads: a successor does not say them again. */
  readonly #warned = new Set<string>();
  #watchdog: ReturnType<typeof setInterval> | null = null;
  #stopped = false;
  #stuck: string | null = null;
  /** Slots for task marks that the thread makes ready, lent to one task book at a time (from start() on). */
  arena: TaskArena | null = null;

  /** @throws ConfigError for an option that cannot be used. */
  constructor(options: Partial<EngineOptions> = {}, internals: SamplerInternals = {}) {
    super();
    setMaxListeners(0, this); // every tracker sharing this sampler listens for its warnings
    this.options = resolveEngineOptions(options);
    this.#internals = internals;
  }

  /** A mark: the current time in the timeline's base (ms). No I/O, no message. */
  now(): number {
    return now();
  }

  get info(): SamplerInfo | null {
    this.#receive();
    return this.#info;
  }

  /** True once stop() was called: a stopped sampler does not start again. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * True once its thread has ended for good: stopped, or crashed (read off the ring, before the
   * thread's error message has arrived). A later run needs a new sampler; this one's timeline
   * stays readable for the runs it measured.
   */
  get ended(): boolean {
    return this.#stopped || this.#ring?.state() === kStateCrashed;
  }

  /**
   * Why the sampler thread is taken as stuck (one read has lasted longer than sourceTimeoutMs: a
   * driver that does not answer), or null. Once stuck, waits on it end at once with what is published.
   */
  get stuck(): string | null {
    return this.#stuck;
  }

  /**
   * Sources given up because a read of theirs never returned (a wedged driver): their channels
   * stopped there, and a successor thread went on reading the others into the same timeline.
   */
  get givenUp(): readonly GivenUpSource[] {
    return this.#givenUp;
  }

  /** True once start() has been called (the thread exists, or failed to boot). */
  get started(): boolean {
    return this.#starting !== null;
  }

  /** Time of the start mark's reading, the first sample (NaN before start()). */
  get originMs(): number {
    return this.#originMs;
  }

  /** The timeline, as soon as the sampler thread has posted it (no event-loop turn needed to see it). */
  get timeline(): Timeline | null {
    this.#receive();
    return this.#timeline;
  }

  /**
   * The process is active (a tracker starts): the sampler goes back to its full rate (a store to
   * shared memory; nothing before the thread has started). Marks do not call it: a busy process is
   * seen by the sampler itself (BusyProbe), at no cost to a mark.
   */
  touch(): void {
    this.#ring?.touch();
  }

  /** Holds the full rate until release(): for a benchmark harness, whose marks are seconds apart. */
  holdFullRate(): void {
    this.#ring?.hold(1);
  }

  releaseFullRate(): void {
    this.#ring?.hold(-1);
  }

  /**
   * Starts the sampler thread (once) inside this call: reads the start mark's counters here, creates
   * the thread, and returns; resolves when the thread has published its first samples.
   */
  start(): Promise<SamplerInfo> {
    if (this.#stopped) return Promise.reject(new SamplerError('this sampler was stopped; create a new one'));
    if (this.#starting === null) {
      try {
        this.#spawn();
        this.#starting = this.#whenStarted();
      } catch (e) {
        this.#starting = Promise.reject(new SamplerError(`the sampler thread failed to start: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
      }
    }
    return this.#starting;
  }

  /**
   * Sets the thread going first (its ~50 ms of booting then overlap what follows), then, while it
   * boots, makes the channels it will post on and takes the start mark, which it waits for.
   */
  #spawn(): void {
    const header = new Int32Array(new SharedArrayBuffer(kBootInts * 4));
    const markBuffer = new SharedArrayBuffer(markBytes);
    const channel = `codecarbon-sampler-${process.pid}-${++samplerCount}-${Math.random().toString(36).slice(2)}`;
    this.#header = header;
    this.arena = new TaskArena();
    const boot: BootData = { options: this.options, clock: clockPair(), markBuffer, header: header.buffer as SharedArrayBuffer, arena: this.arena.buffer,
      channel, anchors: anchorCount, ...(this.#internals === undefined ? {} : { internals: threadInternals(this.#internals) }) };
    this.#pool = this.#newPool(boot);
    try {
      this.#channels = new ThreadChannels(channel, (r) => this.#accept(r), (m) => this.#onEvent(m));
      const beforeMark = this.#internals?.beforeMark;
      const at = beforeMark === undefined ? undefined : now();
      if (at !== undefined) beforeMark!(at);
      const mark = readMark(this.options, at);
      this.#originMs = mark.tMs;
      giveMark(header, markBuffer, mark);
      // A successor thread gets the mark with its boot data.
      const { markBuffer: _, ...rest } = boot;
      this.#boot = { ...rest, mark };
    } catch (e) {
      refuseMark(header);
      void this.#pool.destroy().catch(() => {});
      this.#pool = null;
      throw e;
    }
  }

  /** A private pool of one thread that boots from `boot` as soon as its module loads. */
  #newPool(boot: BootData): Pool {
    const pool = newPool({ codecarbon: boot });
    pool.on('error', (e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      // The first thread died before it booted (its module did not load): the start fails with why, rather than wait for ever.
      const header = new Int32Array(boot.header);
      if (boot.resume !== undefined || Atomics.compareExchange(header, kBootState, kBootStarting, kBootFailed) !== kBootStarting) return this.#fail(message, e);
      this.#failure = new SamplerError(`the sampler thread failed to start: ${message}`, { cause: e });
      Atomics.notify(header, kBootState);
    });
    return pool;
  }

  /** Resolves once the thread has posted its start result (waiting on the boot word, not on a message). */
  async #whenStarted(): Promise<SamplerInfo> {
    const header = this.#header!;
    // A pending Atomics.waitAsync does not keep the process alive; this timer does.
    const keepAlive = setInterval(() => {}, 1000);
    try {
      while (Atomics.load(header, kBootState) === kBootStarting) {
        if (this.#checkStuck()) throw new SamplerError(`the sampler thread failed to start: ${this.#stuck}`);
        const r = Atomics.waitAsync(header, kBootState, kBootStarting, this.#checkEveryMs);
        if (r.async) await r.value;
      }
    } finally {
      clearInterval(keepAlive);
    }
    const info = await this.#settleStart();
    this.#channels?.deliverEvents(); // discovery's warnings before start() resolves
    if (!this.#stopped) {
      // Between waits nobody would notice a read that never returns: looked at every 15 s (a timer
      // that wakes an idle process costs it about 1 ms of CPU on a small VM: once a second would
      // cost an idle tracker more than its sampler does). Waits look every time-out / 4.
      this.#watchdog = setInterval(() => this.#checkStuck(), Math.max(watchdogMs, this.options.sourceTimeoutMs / 2));
      this.#watchdog.unref();
    }
    return info;
  }

  /** The start result once received, or the failure as a SamplerError. */
  async #settleStart(): Promise<SamplerInfo> {
    this.#receive();
    if (this.#info !== null) return this.#info;
    const failure = this.#failure ?? new SamplerError('the sampler thread ended before it started sampling');
    await this.#pool?.destroy();
    this.#pool = null;
    throw failure;
  }

  /** Takes the start result off its channel if it has been posted: synchronous. */
  #receive(): void {
    if (this.#info === null) this.#channels?.takeResult();
  }

  #accept(r: StartResult | StartFailure): void {
    this.#channels?.closeResults();
    if (!r.ok) {
      this.#failure = new SamplerError(`the sampler thread failed to start: ${r.message}`);
      return;
    }
    const ring = new RingReader(r.buffer, r.shape);
    this.#ring = ring;
    this.arena?.wakeWith(() => ring.nudge());
    this.#timeline = new Timeline(this.#ring, r.channels, r.periodMs, r.originMs);
    this.#sources = r.sources;
    this.#sourceChannels = r.sourceChannels;
    this.#info = { channels: r.channels, plan: r.plan, periodMs: r.periodMs };
  }

  /**
   * Waits, blocking this thread, until the sampler thread has started and published a sample at or
   * after `tMs`, for at most `timeoutMs`; for the process's exit, which cannot wait asynchronously.
   * Returns false when that did not happen in time (what is published is then all there is).
   */
  settleSync(tMs: number, timeoutMs: number): boolean {
    const header = this.#header;
    if (header === null) return false;
    const deadline = performance.now() + timeoutMs;
    while (Atomics.load(header, kBootState) === kBootStarting) {
      const left = deadline - performance.now();
      if (left <= 0 || this.#checkStuck()) return false;
      Atomics.wait(header, kBootState, kBootStarting, Math.min(left, this.#checkEveryMs));
    }
    const ring = this.timeline?.ring;
    if (ring === undefined) return false;
    const wake = ring.wake(false, false); // taken after now, and so after tMs
    for (;;) {
      // Any sample taken after the wake serves it, and changes the word waited on.
      const served = Atomics.load(ring.control, kServed);
      const published = ring.published();
      if (ring.hasServed(wake) || (published > 0 && ring.timeOf(published - 1) >= tMs)) return true;
      const state = ring.state();
      if (state === kStateStopped || state === kStateCrashed) return false;
      const left = deadline - performance.now();
      if (left <= 0 || this.#checkStuck()) return false;
      Atomics.wait(ring.control, kServed, served, Math.min(left, this.#checkEveryMs));
    }
  }

  /** How often a wait looks whether the sampler thread is stuck. */
  get #checkEveryMs(): number {
    return Math.min(1000, this.options.sourceTimeoutMs / 4);
  }

  /**
   * Whether the sampler thread has been in one read (or in discovery) longer than sourceTimeoutMs and
   * measuring has stopped. The first time a read has: the thread is given up (a thread stuck in a
   * native call cannot be terminated; it is let go, and the process's exit made to end it anyway).
   * A read of a source: that source's channels stop there, with a warning naming it, and a successor
   * thread goes on reading the others into the same timeline (false: measuring goes on). Stuck in
   * discovery, or no successor possible: an error event, and measuring stops (true).
   */
  #checkStuck(): boolean {
    if (this.#stuck !== null) return true;
    if (this.#header === null) return false;
    const header = this.#header.buffer as SharedArrayBuffer;
    const { code, sinceMs } = readPhase(header);
    if (code === phaseIdle || code === phaseAbandoned || !(performance.now() - sinceMs > this.options.sourceTimeoutMs)) return false;
    if (!abandonPhase(header, code)) return false; // it came back just now: slow, not stuck
    endStuckThreadsAtExit();
    avoidProcessReport();
    // Let go, not destroyed: a thread in a native call cannot be terminated, and a pending
    // termination would keep the process alive. The thread and its port are unreferenced.
    this.#pool = null;
    const what = `the sampler thread has been ${describePhase(code, this.#sources)} for more than `
      + `${this.options.sourceTimeoutMs / 1000} s (source_timeout_ms): a driver that does not answer?`;
    if (code >= phaseRead && this.#succeed(code - phaseRead, what)) return false;
    this.#stuck = what;
    this.#stopWatchdog();
    this.dispatchEvent(new SamplerErrorEvent(new SamplerError(`${this.#stuck} Measuring stops here; what was measured until then `
      + 'is kept and rows after it say so; restart the process, and check the hardware\'s driver (nvidia-smi for NVIDIA GPUs)')));
    return true;
  }

  /**
   * Gives source `i` up and starts a successor thread that goes on writing the timeline without it.
   * False when there is nothing to go on with (no timeline yet, or the thread could not be made).
   */
  #succeed(i: number, what: string): boolean {
    const timeline = this.#timeline;
    const boot = this.#boot;
    if (timeline === null || boot === null || this.#givenUp.length >= this.#sourceChannels.length) return false;
    const info = this.#info!;
    const channels = info.channels.slice(...sourceRange(this.#sourceChannels, i));
    const ring = timeline.ring;
    const published = ring.published();
    const atMs = published > 0 ? ring.timeOf(published - 1) : this.#originMs;
    const given: GivenUpSource = { index: i, source: this.#sources[i] ?? `source ${i}`, channels, atMs };
    const header = new Int32Array(new SharedArrayBuffer(kBootInts * 4));
    const resume: ResumeData = { buffer: ring.buffer as SharedArrayBuffer, shape: ring.shape, channels: info.channels, plan: info.plan,
      periodMs: info.periodMs, sourceChannels: this.#sourceChannels, givenUp: [...this.#givenUp.map((g) => g.index), i],
      warned: [...this.#warned] };
    try {
      this.#pool = this.#newPool({ ...boot, header: header.buffer as SharedArrayBuffer, resume });
    } catch {
      return false; // no successor: measuring stops, every component labelled so
    }
    this.#givenUp.push(given);
    this.#header = header;
    const components = [...new Set(channels.map((c) => c.component.toUpperCase()))].join(' and ');
    this.dispatchEvent(new SamplerWarningEvent(`given-up:${i}`, `${what} ${components} measuring stops at its last reading `
      + `(what it measured until then is kept; rows after it say "incomplete" and count its time as unmeasured); `
      + 'the other components go on, read by a new sampler thread. Restart the process to measure it again, and check '
      + 'the hardware\'s driver (nvidia-smi for NVIDIA GPUs).'));
    return true;
  }

  #stopWatchdog(): void {
    if (this.#watchdog !== null) clearInterval(this.#watchdog);
    this.#watchdog = null;
  }

  #onEvent(m: SamplerEvent): void {
    if (m.type === 'warning') {
      this.#warned.add(m.cause);
      this.dispatchEvent(new SamplerWarningEvent(m.cause, m.message));
    }
    else if (m.type === 'error') this.#fail(m.message, m.stack);
  }

  #fail(message: string, cause: unknown): void {
    this.dispatchEvent(new SamplerErrorEvent(new SamplerError(
      `the sampler thread stopped on an error: ${message}; energy measured until then is kept`, { cause })));
  }

  /**
   * Resolves once a sample taken after this call is published (or the sampler has ended). With
   * `exact`, that sample also reads the slow energy counters (GPUs: about 4 ms each, in the
   * sampler thread), so that totals up to now are exact rather than provisional.
   */
  sampleNow(exact = false): Promise<void> {
    // A started thread is woken within this call: what the caller does until it awaits runs
    // while the thread takes its sample.
    const ring = this.#info === null || this.#stopped ? undefined : this.#timeline?.ring;
    if (ring === undefined) return this.start().then(() => this.#served(this.#timeline!.ring, exact));
    return this.#served(ring, exact);
  }

  /** Wakes the thread for a sample, resolving once one taken after the wake is published. */
  async #served(ring: RingReader, exact: boolean): Promise<void> {
    const wake = ring.wake(false, exact);
    await waitFor(ring, () => ring.hasServed(wake), () => this.#checkStuck(), this.#checkEveryMs, kServed);
    this.#channels?.deliverEvents(); // the warnings the thread posted before that sample
  }

  /** Stops the thread cooperatively (it takes a last sample and closes its files), then the pool. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopWatchdog();
    if (this.#starting === null) return;
    if (await this.#starting.then(() => false, () => true)) return; // it never started; the pool is already destroyed
    const ring = this.#timeline!.ring;
    ring.wake(true);
    await waitFor(ring, () => false, () => this.#checkStuck(), this.#checkEveryMs);
    this.#channels?.close();
    await this.#pool?.destroy();
    this.#pool = null;
  }
}
