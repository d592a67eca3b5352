// Main-thread handle of the sampler thread: start, marks, interval energy, sample-now, stop.
import { setMaxListeners } from 'node:events';
import { MessageChannel } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { Piscina } from 'piscina';
import { clockPair } from '../clock.js';
import { SamplerError } from '../errors.js';
import type { HardwarePlan } from '../sources/detect.js';
import type { ChannelInfo } from '../sources/source.js';
import { resolveEngineOptions, type EngineOptions } from './options.js';
import type { SamplerEvent, SamplerFaults, StartResult, StartTask } from './protocol.js';
import { kPublished, kStateCrashed, kStateStopped, RingReader } from './ring.js';
import { Timeline } from './timeline.js';

/** What the sampler found and uses, available once it has started. */
export interface SamplerInfo {
  readonly channels: readonly ChannelInfo[];
  readonly plan: HardwarePlan;
  readonly periodMs: number;
}

/** A problem a source met while sampling; dispatched once per cause. */
export class SamplerWarningEvent extends Event {
  constructor(readonly cause: string, readonly message: string) {
    super('warning');
  }
}

/** The sampler thread failed; what it measured before stays readable. */
export class SamplerErrorEvent extends Event {
  constructor(readonly error: SamplerError) {
    super('error');
  }
}

const anchorCount = 64;

/**
 * One sampler thread, in a private one-thread piscina pool, writing a shared timeline. Marks are
 * plain `now()` readings; energies are read from the timeline without crossing threads.
 */
export class Sampler extends EventTarget {
  readonly options: EngineOptions;
  readonly #faults: SamplerFaults | undefined;
  #pool: Piscina | null = null;
  #starting: Promise<SamplerInfo> | null = null;
  #info: SamplerInfo | null = null;
  #timeline: Timeline | null = null;
  #stopped = false;

  /** @throws ConfigError for an option that cannot be used. */
  constructor(options: Partial<EngineOptions> = {}, internals: { faults?: SamplerFaults } = {}) {
    super();
    setMaxListeners(0, this); // every tracker sharing this sampler listens for its warnings
    this.options = resolveEngineOptions(options);
    this.#faults = internals.faults;
  }

  /** A mark: the current time in the timeline's base (ms). No I/O, no message. */
  now(): number {
    return performance.now();
  }

  get info(): SamplerInfo | null {
    return this.#info;
  }

  /** True once stop() was called: a stopped sampler does not start again. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** The timeline, once the first sample exists. */
  get timeline(): Timeline | null {
    return this.#timeline;
  }

  /** Starts the sampler thread (once); resolves when the first sample is published. */
  start(): Promise<SamplerInfo> {
    if (this.#stopped) return Promise.reject(new SamplerError('this sampler was stopped; create a new one'));
    this.#starting ??= this.#spawn();
    return this.#starting;
  }

  async #spawn(): Promise<SamplerInfo> {
    // Loaded here, not at import: importing this package should cost next to nothing.
    const { Piscina } = await import('piscina');
    const pool = new Piscina({
      filename: new URL('./worker.js', import.meta.url).href,
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Infinity,
      // With 'sync', an idle worker blocks in Atomics.wait and the sampling loop stalls.
      atomics: 'disabled',
    });
    this.#pool = pool;
    pool.on('error', (e: unknown) => this.#fail(e instanceof Error ? e.message : String(e), e));
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (m: SamplerEvent) => this.#onEvent(m));
    port1.unref();
    const task: StartTask = { options: this.options, clock: clockPair(), port: port2, anchors: anchorCount, faults: this.#faults };
    let result: StartResult;
    try {
      result = await pool.run(task, { transferList: [port2] }) as StartResult;
    } catch (e) {
      await pool.destroy();
      throw new SamplerError(`the sampler thread failed to start: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    this.#timeline = new Timeline(new RingReader(result.buffer, result.shape), result.channels, result.periodMs);
    this.#info = { channels: result.channels, plan: result.plan, periodMs: result.periodMs };
    return this.#info;
  }

  #onEvent(m: SamplerEvent): void {
    if (m.type === 'warning') this.dispatchEvent(new SamplerWarningEvent(m.cause, m.message));
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
  async sampleNow(exact = false): Promise<void> {
    await this.start();
    const ring = this.#timeline!.ring;
    const target = performance.now();
    ring.wake(false, exact);
    await waitFor(ring, () => {
      const p = ring.published();
      return p > 0 && ring.timeOf(p - 1) >= target;
    });
  }

  /** Stops the thread cooperatively (it takes a last sample and closes its files), then the pool. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#starting === null) return;
    try {
      await this.#starting;
    } catch {
      return; // it never started; #spawn already destroyed the pool
    }
    const ring = this.#timeline!.ring;
    ring.wake(true);
    await waitFor(ring, () => false);
    await this.#pool?.destroy();
    this.#pool = null;
  }
}

/** Waits on the ring's publish counter until `done()` or the sampler has ended. */
async function waitFor(ring: RingReader, done: () => boolean): Promise<void> {
  // A pending Atomics.waitAsync does not keep the process alive; this timer does.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    for (;;) {
      const published = ring.published();
      if (done()) return;
      const state = ring.state();
      if (state === kStateStopped || state === kStateCrashed) return;
      const r = Atomics.waitAsync(ring.control, kPublished, published, 1000);
      if (r.async) await r.value;
    }
  } finally {
    clearInterval(keepAlive);
  }
}
