// RAPL zones whose power a test scripts, read by a real sampler at its own tick times (exact truth).
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { scriptedClock, setClock } from '../../src/clock.js';
import type { SamplerInternals } from '../../src/sampler/protocol.js';
import { setSamplerInternals } from '../../src/sampler/shared.js';
import { counterUj, energyUj, nvmlClock, writeCounter, type ScriptedZone } from '../fixtures/scripted.hook.js';
import { FakeRapl } from './sysfs.js';
import { fakeTracker } from './tracker.js';

const maxChanges = 4096;

/**
 * A clock the test drives, for marks on the main thread and the sampler thread's samples alike:
 * with it, every mark and every sample falls at a time the test chose (adjacent marks coincide
 * exactly, nothing depends on how the machine schedules threads).
 */
export class ScriptedClock {
  readonly buffer = new SharedArrayBuffer(8);
  readonly #time = new Float64Array(this.buffer);

  constructor(startMs = 1000) {
    this.#time[0] = startMs;
  }

  get ms(): number {
    return this.#time[0]!;
  }

  advance(ms: number): number {
    this.#time[0] = this.#time[0]! + ms;
    return this.#time[0]!;
  }

  /** Marks read this clock until the returned function is called. */
  install(): () => void {
    setClock(scriptedClock(this.buffer));
    return () => setClock(null);
  }
}

/**
 * Fake package zones (`intel-rapl:0`, …) at a power the test sets with setWatts(). The sampler
 * thread writes each zone's counter as the exact integral of its schedule just before it reads it,
 * so `truthJ()` is what a perfect meter would say, whatever the machine's load. With `nvml` (the
 * fake library's path), the fake GPUs' clock follows the sampler's ticks too.
 */
export class ScriptedRapl {
  readonly rapl: FakeRapl;
  readonly #zones: ScriptedZone[];
  #nvml: string | null = null;

  /**
   * `zones`: how many package zones (or their names: `dram` zones measure RAM); `root`: where to
   * make the tree (default a temp dir of its own); `clock`: a scripted clock the sampler follows;
   * `counter`: where the counters start and where they wrap (default 0 and RAPL's usual range).
   */
  constructor(zones: number | readonly string[] = 1, initialW = 0, root?: string, readonly clock?: ScriptedClock,
    counter: { startUj?: number; rangeUj?: number } = {}) {
    const names = typeof zones === 'number' ? Array.from({ length: zones }, (_, i) => `package-${i}`) : zones;
    const rangeUj = counter.rangeUj ?? 262_143_328_850;
    const startUj = counter.startUj ?? 0;
    this.rapl = new FakeRapl(names.map((name, i) => ({ id: `intel-rapl:${i}`, name, energyUj: startUj, maxRangeUj: rangeUj })), 'flat', root);
    this.#zones = names.map((_, i) => ({
      file: join(this.rapl.path(`intel-rapl:${i}`), 'energy_uj'),
      log: new Float64Array(new SharedArrayBuffer(8 * (2 + 2 * maxChanges))),
      startUj, rangeUj,
    }));
    names.forEach((_, i) => this.setWatts(initialW, i, clock?.ms));
  }

  #now(): number {
    return this.clock?.ms ?? performance.now();
  }

  get root(): string {
    return this.rapl.root;
  }

  /** What a sampler needs to follow the schedule: pass to new Sampler(options, internals). */
  get internals(): SamplerInternals {
    return { tickHook: new URL('../fixtures/scripted.hook.js', import.meta.url).href, tickHookData: { zones: this.#zones, nvml: this.#nvml },
      beforeMark: (atMs: number) => this.writeNow(atMs), ...(this.clock === undefined ? {} : { clock: this.clock.buffer }) };
  }

  /** The fake NVML library `library` follows this schedule's clock from now on (ticks, and the start mark). */
  withNvml(library: string): this {
    this.#nvml = library;
    return this;
  }

  /** Trackers made until the returned function is called sample through this schedule (and read its clock). */
  forTrackers(): () => void {
    setSamplerInternals(this.internals);
    const uninstall = this.clock?.install();
    return () => {
      setSamplerInternals(null);
      uninstall?.();
    };
  }

  /** Zone `zone` draws `watts` from now (or from `atMs`, the timeline's time base); changes come in time order. */
  setWatts(watts: number, zone = 0, atMs = this.#now()): void {
    const log = this.#zones[zone]!.log;
    const count = new Int32Array(log.buffer, 0, 1);
    const n = Atomics.load(count, 0);
    if (n >= maxChanges) throw new Error(`ScriptedRapl: more than ${maxChanges} power changes`);
    log[2 + 2 * n] = atMs;
    log[3 + 2 * n] = watts;
    Atomics.store(count, 0, n + 1);
  }

  /** Writes every counter as of now (or `atMs`): what the start mark, read on the calling thread, then sees. */
  writeNow(atMs?: number): void {
    const t = atMs ?? this.#now();
    for (const z of this.#zones) writeCounter(z.file, counterUj(z, t));
    if (this.#nvml !== null) nvmlClock(this.#nvml)(t);
  }

  /** The scripted energy of zone `zone` (all zones when omitted) between two times, in J. */
  truthJ(t0Ms: number, t1Ms: number, zone?: number): number {
    const zones = zone === undefined ? this.#zones : [this.#zones[zone]!];
    return zones.reduce((j, z) => j + (energyUj(z.log, t1Ms) - energyUj(z.log, t0Ms)) / 1e6, 0);
  }

  cleanup(): void {
    this.rapl.cleanup();
  }
}

/**
 * An offline tracker (France) on a clock the test drives, over one RAPL package at 10 W (RAM
 * negligible), sampling only when asked (a 60 s period); its warnings collected.
 */
export function scriptedTracker(t: import('node:test').TestContext, options: import('../../src/types.js').TrackerOptions = {}) {
  const clock = new ScriptedClock(1000);
  const hw = new ScriptedRapl(1, 10, undefined, clock);
  t.after(hw.forTrackers());
  const { tracker, dir } = fakeTracker({ raplDir: hw.root, forceRamPower: 1e-6, samplePeriodMs: 60_000, ...options });
  const warnings: string[] = [];
  tracker.addEventListener('warning', (e) => warnings.push((e as Event & { message: string }).message));
  return { tracker, clock, hw, dir, warnings };
}
