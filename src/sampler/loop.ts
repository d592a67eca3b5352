// The sampling loop: reads every source at each tick and publishes cumulative energy to the ring.
import { performance } from 'node:perf_hooks';
import type { ChannelInfo, EnergySource } from '../sources/source.js';
import { createIntegrator, interpolate, type ChannelHealth, type EnergyIntegrator } from '../wasm/integrator.js';
import type { SamplerEvent, SamplerFaults, StartTask } from './protocol.js';
import { kStateCrashed, kStateStopped, kStop, kWake, RingWriter } from './ring.js';

/**
 * Longest period at which no counter can wrap twice between two readings: half the time the
 * fastest-wrapping counter takes to wrap at its max plausible power.
 */
export function safePeriodMs(channels: readonly ChannelInfo[], wantedMs: number): number {
  let ms = wantedMs;
  for (const c of channels) {
    if (c.kind !== 'counter' || !c.maxRange) continue;
    const wrapJ = Number(c.maxRange) * (c.scaleUj ?? 1) / 1e6;
    ms = Math.min(ms, (wrapJ / (2 * c.maxPowerW)) * 1000);
  }
  return Math.max(1, ms);
}

/** One sampler: its sources, its integrator and the ring it writes. */
export class SamplerLoop {
  readonly #ring: RingWriter;
  readonly #integrator: EnergyIntegrator;
  readonly #seen: ChannelHealth[];
  #ticks = 0;

  constructor(readonly config: { capacity: number; anchors: number; faults?: SamplerFaults | undefined },
    readonly now: () => number, readonly sources: EnergySource[], readonly channels: readonly ChannelInfo[],
    readonly periodMs: number, readonly warn: (cause: string, message: string) => void) {
    this.#integrator = createIntegrator(channels);
    this.#seen = channels.map(() => ({ rejected: 0, lastError: null, longGaps: 0 }));
    this.#ring = new RingWriter({ capacity: config.capacity, channels: channels.length, anchors: config.anchors });
  }

  get writer(): RingWriter {
    return this.#ring;
  }

  tick(): void {
    const crashAt = this.config.faults?.crashAfterTicks;
    if (crashAt !== undefined && this.#ticks >= crashAt) throw new Error(`injected sampler fault after ${crashAt} ticks`);
    this.#ticks++;
    const tMs = this.now();
    let offset = 0;
    for (const s of this.sources) {
      s.read(this.#integrator, offset, tMs);
      offset += s.channels.length;
    }
    this.#integrator.step(tMs);
    this.#reportHealth();
    this.#ring.publish(tMs, this.#integrator.totalsUj);
    this.#ring.settleAnchors((t, out) => this.#valuesAt(t, out));
  }

  /** Warns once per channel and cause about refused readings and gaps that could hide a wrap. */
  #reportHealth(): void {
    this.channels.forEach((c, i) => {
      const h = this.#integrator.health(i);
      const seen = this.#seen[i]!;
      if (h.rejected !== seen.rejected) {
        this.warn(`refused:${c.id}:${h.lastError}`, `${c.detail}: a reading was refused (${h.lastError}) and counted `
          + 'as an error, not as energy; measuring goes on from the next reading.');
      }
      if (h.longGaps !== seen.longGaps) {
        this.warn(`long-gap:${c.id}`, `${c.detail}: two readings were so far apart (was the process suspended?) that `
          + 'the counter could have wrapped more than once between them; the energy of that interval is a lower bound.');
      }
      this.#seen[i] = h;
    });
  }

  /** Cumulative values at `tMs` from the two samples around it (the writer's own ring). */
  #valuesAt(tMs: number, out: Float64Array): void {
    const ring = this.#ring;
    const newest = ring.published() - 1;
    const a = Math.max(ring.oldest(), ring.floorIndex(tMs, ring.oldest(), newest));
    const b = Math.min(newest, a + 1);
    const k = ring.shape.channels;
    const slots = new Float64Array(2 * (k + 1));
    ring.read(a, slots, 0);
    ring.read(b, slots, k + 1);
    interpolate(slots, a === b ? 1 : 2, k, Float64Array.of(tMs), out);
  }

  async run(port: StartTask['port']): Promise<void> {
    const control = this.#ring.control;
    let next = performance.now() + this.periodMs;
    try {
      let seen = Atomics.load(control, kWake);
      while (Atomics.load(control, kStop) === 0) {
        const waitMs = next - performance.now();
        let scheduled = true;
        if (waitMs > 0) {
          const r = Atomics.waitAsync(control, kWake, seen, waitMs);
          // A timer may fire a little early: it still counts as the scheduled tick, or the loop
          // would wake again a fraction of a millisecond later for a second one.
          scheduled = (r.async ? await r.value : r.value) === 'timed-out';
        }
        // Read before the tick: a wake that lands during the tick then ends the next wait at once.
        seen = Atomics.load(control, kWake);
        this.tick();
        if (scheduled) {
          next += this.periodMs;
          const t = performance.now();
          if (next <= t) next = t + this.periodMs; // fell behind (a suspended process): start afresh
        }
      }
      this.tick(); // a last sample, so that every mark made before the stop settles
      this.#ring.setState(kStateStopped);
      port.postMessage({ type: 'stopped' } satisfies SamplerEvent);
    } catch (e) {
      this.#ring.setState(kStateCrashed);
      const err = e instanceof Error ? e : new Error(String(e));
      port.postMessage({ type: 'error', message: err.message, stack: err.stack } satisfies SamplerEvent);
    } finally {
      this.sources.forEach((s) => s.close());
      port.close();
    }
  }
}

