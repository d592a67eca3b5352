// The sampling loop: reads every source at each tick and publishes cumulative energy to the ring.
// (The rate rule, BusyProbe and safePeriodMs() live in rate.ts.)
import { performance } from 'node:perf_hooks';
import type { MarkReading } from '../sources/mark.js';
import type { ChannelInfo, EnergySource, ReadingSink } from '../sources/source.js';
import { createIntegrator, type ChannelHealth, type ChannelSpec, type EnergyIntegrator } from '../wasm/integrator.js';
import { ArenaWarmer } from './arena.js';
import { ChannelGaps } from './gaps.js';
import { rowLayout, type HybridLayout, type RowLayout } from './layout.js';
import { AbandonedError, phaseIdle, phaseRead, type PhaseWriter } from './phase.js';
import type { SamplerEvent, SamplerInternals } from './protocol.js';
import { kExact, kNudges, kStateCrashed, kStateStopped, kStop, kWake, RingWriter, type RingShape } from './ring.js';
import { BusyProbe, busyShare, ownWakeMs, processCpuUs, SampleRate, threadCpuClock } from './rate.js';
import { RingWindow } from './window.js';

/**
 * A hybrid channel's counter bookkeeping: its counter is integrator channel `counter`; its ring
 * columns (`cols`) hold C (counter energy at the last reading), Pa (integrated power then) and tA.
 */
interface Hybrid {
  readonly ch: number;
  readonly counter: number;
  readonly cols: HybridLayout;
  read: boolean;
  retired: boolean;
  hasBase: boolean;
  /** C = base + the counter integrator's total; base moves when a reading is refused. */
  base: number;
  c: number;
  pa: number;
  tA: number;
  rejected: number;
}

/** A channel's ring column is its index. */
const sameColumn = (c: number): number => c;

/** One sampler: its sources, its integrator and the ring it writes. */
export class SamplerLoop {
  readonly #ring: RingWriter;
  readonly #integrator: EnergyIntegrator;
  readonly #seen: ChannelHealth[];
  #ticks = 0;

  readonly #hybrids: Hybrid[];
  readonly #row: Float64Array;
  readonly #sink: ReadingSink;
  readonly #window: RingWindow;
  /** The ring's values at a time, for settling anchors (made once: a tick makes no closure). */
  readonly #valueAt = (t: number, out: Float64Array): void => { this.#window.valueAt(t, out); };
  readonly #integrated: readonly ChannelInfo[];
  /** Per channel reporting utilisation: its ring column, its last reading (%) and the cumulative %·ms. */
  readonly #util: { readonly col: number; percent: number; total: number }[];
  readonly #utilOf: Map<number, { readonly col: number; percent: number; total: number }>;
  readonly #gaps: ChannelGaps;
  #lastTickMs = Number.NaN;
  /**
   * Per channel, the cumulative µJ this thread's integrator starts from: 0, or for a successor of a
   * stuck thread the last published values (its integrator starts afresh). `#based`: totals plus base.
   */
  readonly #base: Float64Array;
  readonly #based: Float64Array;
  #resumed = false;
  readonly layout: RowLayout;

  readonly #rate: SampleRate;
  readonly #busy: BusyProbe;
  /** Without a thread clock: the sampler's own time so far (ticks, and ownWakeMs per wake), µs. */
  #ownUs = 0;
  readonly #threadCpu = threadCpuClock();
  readonly #warmer: ArenaWarmer | null;

  /** `periodMs`: the full rate's period; `idlePeriodMs`: the longest, while idle (default: the full rate's). */
  constructor(readonly config: { capacity: number; anchors: number; internals?: SamplerInternals | undefined; phase?: PhaseWriter;
    idlePeriodMs?: number;
    /** Task slots to make ready for the marks as a task book asks (arena.ts). */
    arena?: SharedArrayBuffer | undefined;
    /** An existing ring to go on writing (a successor's), with the shape it was made with. */
    ring?: { buffer: SharedArrayBuffer; shape: RingShape } },
    readonly now: () => number, readonly sources: EnergySource[], readonly channels: readonly ChannelInfo[],
    readonly periodMs: number, readonly warn: (cause: string, message: string) => void) {
    const idleMs = Math.max(periodMs, config.idlePeriodMs ?? periodMs);
    this.#rate = new SampleRate(periodMs, idleMs, Math.max(1000, 10 * periodMs), performance.now());
    this.#warmer = config.arena === undefined ? null : new ArenaWarmer(config.arena);
    this.#busy = new BusyProbe(busyShare, performance.now(), processCpuUs, this.#threadCpu ?? (() => this.#ownUs));
    const k = channels.length;
    this.layout = rowLayout(channels);
    // Integrator channels: one per channel, then one energy counter per hybrid channel.
    this.#hybrids = this.layout.hybrids.map((cols, j) => ({ ch: cols.ch, cols, counter: k + j, read: false, retired: false,
      hasBase: false, base: 0, c: 0, pa: 0, tA: Number.NaN, rejected: 0 }));
    const counterSpecs: ChannelSpec[] = this.#hybrids.map((h) => ({ kind: 'counter', scaleUj: channels[h.ch]!.counter!.scaleUj,
      maxRange: 0n, maxPowerW: channels[h.ch]!.counter!.maxPowerW }));
    this.#integrated = [...channels, ...this.#hybrids.map((h) => channels[h.ch]!)];
    this.#integrator = createIntegrator([...channels, ...counterSpecs]);
    this.#seen = this.#integrated.map(() => ({ rejected: 0, lastError: null, longGaps: 0 }));
    this.#util = this.layout.utilization.map(({ col }) => ({ col, percent: Number.NaN, total: 0 }));
    this.#utilOf = new Map(this.layout.utilization.map(({ ch }, j) => [ch, this.#util[j]!]));
    const shape = { capacity: config.capacity, channels: this.layout.columns, anchors: config.anchors };
    if (config.ring !== undefined && JSON.stringify(config.ring.shape) !== JSON.stringify(shape)) {
      throw new Error(`the timeline to go on writing has shape ${JSON.stringify(config.ring.shape)}, these channels need ${JSON.stringify(shape)}`);
    }
    this.#ring = new RingWriter(shape, config.ring?.buffer);
    this.#base = new Float64Array(k);
    this.#based = new Float64Array(this.#integrated.length);
    this.#row = new Float64Array(this.layout.columns);
    // A channel silent for 10 periods (at least 2 s, and 3 idle periods) is stale: a period or two is a skipped reading.
    this.#gaps = new ChannelGaps(channels, Math.max(2000, 10 * periodMs, 3 * idleMs), this.#ring, this.layout.unmeasured, warn);
    const it = this.#integrator;
    const byChannel = new Map(this.#hybrids.map((h) => [h.ch, h]));
    this.#sink = {
      setCounter: (i, v) => it.setCounter(i, v),
      setPower: (i, w) => it.setPower(i, w),
      setHybridCounter: (i, v) => {
        const h = byChannel.get(i)!;
        it.setCounter(h.counter, v);
        h.read = true;
      },
      retireHybrid: (i) => {
        byChannel.get(i)!.retired = true;
        this.#gaps.retire(i);
      },
      setUtilization: (i, percent) => { this.#utilOf.get(i)!.percent = percent; },
      rebase: (i, sinceMs) => {
        it.rebase(i);
        this.#gaps.lose(sinceMs);
      },
    };
    this.#window = new RingWindow(this.#ring, this.layout);
  }

  get writer(): RingWriter {
    return this.#ring;
  }

  /**
   * The first sample, at the start mark: the readings the calling thread took there (RAPL counters,
   * CPU times), so that energy counts from the mark. A channel without one (a GPU) holds its first
   * reading back to the mark, an extrapolation measuredFromMs() reports.
   */
  prime(mark: MarkReading): void {
    let offset = 0;
    for (const s of this.sources) {
      s.prime?.(this.#sink, offset, mark);
      offset += s.channels.length;
    }
    this.#integrate(mark.tMs);
    for (let c = 0; c < this.channels.length; c++) if (!this.#integrator.hasReading(c)) this.#integrator.setOrigin(c, mark.tMs);
  }

  /**
   * For a successor of a thread given up while stuck in a read, instead of prime(): every value goes
   * on from the ring's last published sample, the channels of `retired` stop there (their source is
   * not read again), and the time from that sample to this thread's first is unmeasured (nothing
   * read it), so rows overlapping it say so rather than count it as zero energy.
   */
  resume(retired: readonly number[]): void {
    const ring = this.#ring;
    const last = ring.published() - 1;
    const row = new Float64Array(this.layout.stride);
    if (last < 0 || !ring.read(last, row)) throw new Error('the timeline to go on writing has no readable last sample');
    const col = (c: number): number => row[1 + c]!;
    for (let c = 0; c < this.channels.length; c++) this.#base[c] = col(c);
    for (const h of this.#hybrids) {
      [h.c, h.pa, h.tA] = [col(h.cols.c), col(h.cols.pa), col(h.cols.ta)];
      // Its counter's first reading here goes on from the last exact total (the span between is unmeasured).
      h.hasBase = !Number.isNaN(h.tA);
      h.base = h.c;
    }
    for (const u of this.#util) u.total = col(u.col);
    this.#gaps.resume(col(this.layout.unmeasured), row[0]!);
    for (const ch of retired) {
      const h = this.#hybrids.find((x) => x.ch === ch);
      if (h !== undefined) h.retired = true;
      this.#gaps.retire(ch);
    }
    this.#resumed = true;
  }

  /**
   * One sample of every source; `exact` also reads the slow counters (the first tick always does).
   * `served`: the wake count read before this tick, published with it.
   */
  tick(exact = false, served?: number): void {
    const crashAt = this.config.internals?.crashAfterTicks;
    if (crashAt !== undefined && this.#ticks >= crashAt) throw new Error(`injected sampler fault after ${crashAt} ticks`);
    exact ||= this.#ticks === 0;
    this.#ticks++;
    const tMs = this.now();
    const phase = this.config.phase;
    // A clock read costs a woken thread 10-20 µs here (its caches gone cold in the wait): one read serves both where it can.
    const since = phase === undefined ? 0 : phase.realNow === this.now ? tMs : phase.realNow();
    let offset = 0;
    for (let i = 0; i < this.sources.length; i++) {
      const s = this.sources[i]!;
      phase?.set(phaseRead + i, since); // a read that never returns is named by the main thread
      s.read(this.#sink, offset, tMs, exact, this.#rate.periodMs / this.periodMs);
      offset += s.channels.length;
    }
    phase?.set(phaseIdle, since);
    this.#integrate(tMs, served);
  }

  /** Integrates the readings set for time `tMs`, publishes the sample and settles anchors. */
  #integrate(tMs: number, served?: number): void {
    this.#integrator.step(tMs);
    this.#reportHealth();
    const raw = this.#integrator.totalsUj;
    const totals = this.#based;
    const base = this.#base;
    const row = this.#row;
    for (let c = 0; c < this.channels.length; c++) row[c] = totals[c] = base[c]! + raw[c]!;
    for (let c = this.channels.length; c < totals.length; c++) totals[c] = raw[c]!;
    // Indexed loops, here and below: an iterator per loop and tick is garbage in code run too rarely to be optimized.
    const hybrids = this.#hybrids;
    for (let j = 0; j < hybrids.length; j++) this.#settleCounter(hybrids[j]!, tMs, totals);
    for (let j = 0; j < this.#util.length; j++) {
      const u = this.#util[j]!;
      // Each reading holds until the next: the interval just ended counts at the newest one.
      if (u.percent >= 0 && this.#lastTickMs < tMs) u.total += u.percent * (tMs - this.#lastTickMs);
      row[u.col] = u.total;
    }
    this.#lastTickMs = tMs;
    let settled = this.#gaps.update(this.#ring.published(), tMs, totals, this.#integrator, sameColumn);
    // A GPU's values after its last counter reading are provisional.
    for (let j = 0; j < hybrids.length; j++) {
      const h = hybrids[j]!;
      if (!h.retired) settled = Number.isNaN(h.tA) ? -Infinity : Math.min(settled, h.tA);
    }
    row[this.layout.settled] = settled;
    row[this.layout.unmeasured] = this.#gaps.unmeasuredMs;
    this.#ring.publish(tMs, row, served);
    if (!this.#resumed) this.#ring.setMeasuredFrom(this.#gaps.measuredFromMs());
    this.#ring.settleAnchors(settled, this.#valueAt);
  }

  /**
   * After a counter reading of hybrid `h`: its exact energy becomes the channel's, from the
   * integrated power at the first reading on. A refused reading (the counter went backwards: a
   * driver reload) counts that interval from the power readings instead, and goes on from there.
   */
  #settleCounter(h: Hybrid, tMs: number, totals: Float64Array): void {
    const row = this.#row;
    if (h.retired) {
      // No counter any more: the power readings (if any still come) extend the last exact total.
      const p = totals[h.ch]!;
      h.c += Math.max(0, p - h.pa);
      h.pa = p;
      h.tA = tMs;
    } else if (h.read) {
      h.read = false;
      const p = totals[h.ch]!;
      const counted = totals[h.counter]!;
      const rejected = this.#integrator.health(h.counter).rejected;
      if (!h.hasBase) {
        h.base = p - counted;
        h.hasBase = true;
      } else if (rejected !== h.rejected) {
        h.base = h.c + (p - h.pa) - counted;
      }
      h.rejected = rejected;
      h.c = h.base + counted;
      h.pa = p;
      h.tA = tMs;
    }
    row[h.cols.c] = h.c;
    row[h.cols.pa] = h.pa;
    row[h.cols.ta] = h.tA;
  }

  /** Warns once per channel and cause about refused readings and gaps that could hide a wrap. */
  #reportHealth(): void {
    for (let i = 0; i < this.#integrated.length; i++) {
      const seen = this.#seen[i]!;
      // Most ticks nothing changed: one sum of two counters per channel, no object.
      if (this.#integrator.healthStamp(i) === seen.rejected + seen.longGaps) continue;
      const c = this.#integrated[i]!;
      const h = this.#integrator.health(i);
      if (h.rejected !== seen.rejected && i >= this.channels.length) {
        this.warn(`refused:${c.id}:counter:${h.lastError}`, `${c.detail}: an energy counter reading was refused (${h.lastError === 'reset'
          ? 'it went backwards: the driver was reloaded' : h.lastError}); that interval is counted from the power readings instead.`);
      } else if (h.rejected !== seen.rejected) {
        this.warn(`refused:${c.id}:${h.lastError}`, `${c.detail}: a reading was refused (${h.lastError}) and counted `
          + 'as an error, not as energy; measuring goes on from the next reading.');
      }
      if (h.longGaps !== seen.longGaps) {
        this.warn(`long-gap:${c.id}`, `${c.detail}: two readings were so far apart (was the process suspended?) that `
          + 'the counter could have wrapped more than once between them; the energy of that interval is a lower bound.');
      }
      this.#seen[i] = h;
    }
  }

  #closed = false;

  #closeSources(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.sources) {
      try {
        s.close();
      } catch {
        // a source that cannot close (a device gone) has nothing left to release
      }
    }
  }

  /** The run loop's state: the next scheduled tick, the period in force, the wake count seen, the end of the last tick. */
  #next = 0;
  #period = 0;
  #wakeSeen = 0;
  #t = 0;
  /** Whether a sample has been asked for since the last tick began (made once: a tick makes no closure). */
  readonly #wakeAsked = (): boolean => Atomics.load(this.#ring.control, kWake) !== this.#wakeSeen;

  /** Waits for the next tick (or a wake), ticks, and sets the period and the schedule that follow. */
  #turn(control: Int32Array): void {
    const waitMs = this.#next - this.#t;
    let scheduled = true;
    // A blocking wait: this thread runs nothing else, and a futex wait is far cheaper than the
    // event loop's timer and promise (an empty worker waking at 10 Hz, same windows on a VM:
    // 0.03-0.07 % of a core against 0.07-0.15 %). Atomics.notify() on kWake ends it; terminate()
    // interrupts it. Events this thread posts need no turn of its loop to be delivered.
    // A wait that ends a little early still counts as the scheduled tick, or the loop would
    // wake again a fraction of a millisecond later for a second one.
    if (waitMs > 0) scheduled = Atomics.wait(control, kWake, this.#wakeSeen, waitMs) === 'timed-out';
    // Woken by nudges alone (ring.nudge()): no sample asked for, a task book wants its slots ready
    // now. They are made so, and the schedule goes on as it was. (A nudge whose wake count lands
    // after this look wakes the next wait: an ask taken here for a nudge is served then.)
    const wake = Atomics.load(control, kWake);
    const nudges = Atomics.exchange(control, kNudges, 0);
    if (!scheduled && wake - this.#wakeSeen <= nudges && Atomics.load(control, kStop) === 0) {
      this.#wakeSeen = wake;
      const w0 = performance.now();
      this.#warmer?.warm(this.#wakeAsked);
      this.#t = performance.now();
      if (this.#threadCpu === null) this.#ownUs += (this.#t - w0 + ownWakeMs) * 1000;
      return;
    }
    // Read before the tick: a wake that lands during the tick then ends the next wait at once.
    this.#wakeSeen = Atomics.load(control, kWake);
    const t0 = this.#threadCpu === null ? performance.now() : 0;
    this.tick(Atomics.exchange(control, kExact, 0) === 1, this.#wakeSeen);
    // Pages a task book will store marks in, faulted in here rather than under its marks: after a
    // scheduled sample; after one asked for (whose thread, woken perhaps on this very CPU, waited)
    // only while a book wants slots not ready yet (its nudge may have come with that ask).
    if (scheduled || this.#warmer?.behind() === true) this.#warmer?.warm(this.#wakeAsked);
    const t = performance.now();
    this.#t = t;
    if (this.#threadCpu === null) this.#ownUs += (t - t0 + ownWakeMs) * 1000;
    // Evaluated in full every tick: each probe keeps its own window.
    const busy = this.#busy.busy(t);
    const period = this.#period;
    const nextPeriod = this.#rate.next(this.#ring.takeActive() || busy || !scheduled, t);
    if (nextPeriod !== period) this.#ring.setPeriodMs(nextPeriod);
    if (scheduled || nextPeriod < period) {
      // Back to the full rate at once when marks come; otherwise the schedule goes on.
      let next = nextPeriod < period ? t + nextPeriod : this.#next + nextPeriod;
      if (next <= t) next = t + nextPeriod; // fell behind (a suspended process): start afresh
      this.#next = next;
    }
    this.#period = nextPeriod;
  }

  /**
   * Samples until asked to stop: a first, exact sample at once, then every period or when woken.
   * `ready` runs once the wake word has been read, before that first sample: whoever it tells
   * may wake the sampler from then on without the wake being missed. The calling thread stays
   * in this call until the stop (it waits between ticks, blocked); the promise only carries a
   * failure the way the caller awaits it.
   */
  async run(port: { postMessage(m: SamplerEvent): void; close(): void }, ready: () => void = () => {}): Promise<void> {
    const control = this.#ring.control;
    this.#period = this.#rate.periodMs;
    this.#next = performance.now() + this.#period;
    this.#ring.setPeriodMs(this.#period);
    try {
      this.#wakeSeen = Atomics.load(control, kWake);
      ready();
      this.tick(true, this.#wakeSeen);
      // The time after the last tick: each wait runs from there (a few µs of bookkeeping ago).
      this.#t = performance.now();
      // One wait and tick per call: V8 optimizes a method called ten times a second, not a loop
      // entered once (this one stayed in the baseline tier, boxing every number it computed).
      while (Atomics.load(control, kStop) === 0) this.#turn(control);
      this.tick(true, Atomics.load(control, kWake)); // a last, exact sample, so that every mark made before the stop settles
      // Sources are closed (NVML shut down) before the main thread hears of the stop and ends the thread.
      this.#closeSources();
      this.#ring.setState(kStateStopped);
      port.postMessage({ type: 'stopped' } satisfies SamplerEvent);
    } catch (e) {
      // Given up while stuck in a read: a successor writes the ring now; touch nothing, say nothing.
      if (e instanceof AbandonedError) return;
      this.#closeSources();
      this.#ring.setState(kStateCrashed);
      const err = e instanceof Error ? e : new Error(String(e));
      port.postMessage({ type: 'error', message: err.message, stack: err.stack } satisfies SamplerEvent);
    } finally {
      port.close();
    }
  }
}

