// Sampler thread entry: reads every source at each tick and publishes cumulative energy to the ring.
import { performance } from 'node:perf_hooks';
import { alignedClock } from '../clock.js';
import { openSources, planHardware } from '../sources/detect.js';
import type { ChannelInfo, EnergySource } from '../sources/source.js';
import { createIntegrator, interpolate, type EnergyIntegrator } from '../wasm/integrator.js';
import type { SamplerEvent, StartResult, StartTask } from './protocol.js';
import { kStateCrashed, kStateRunning, kStateStopped, kStop, kWake, RingWriter } from './ring.js';

/**
 * Longest period at which no counter can wrap twice between two readings: half the time the
 * fastest-wrapping counter takes to wrap at its max plausible power.
 */
function safePeriodMs(channels: readonly ChannelInfo[], wantedMs: number): number {
  let ms = wantedMs;
  for (const c of channels) {
    if (c.kind !== 'counter' || !c.maxRange) continue;
    const wrapJ = Number(c.maxRange) * (c.scaleUj ?? 1) / 1e6;
    ms = Math.min(ms, (wrapJ / (2 * c.maxPowerW)) * 1000);
  }
  return Math.max(1, ms);
}

class SamplerLoop {
  readonly #ring: RingWriter;
  readonly #integrator: EnergyIntegrator;
  readonly #refusalsSeen: number[];
  #ticks = 0;

  constructor(readonly task: StartTask, readonly now: () => number, readonly sources: EnergySource[],
    readonly channels: readonly ChannelInfo[], readonly periodMs: number, readonly warn: (c: string, m: string) => void) {
    this.#integrator = createIntegrator(channels);
    this.#refusalsSeen = channels.map(() => 0);
    this.#ring = new RingWriter({ capacity: task.options.ringCapacity, channels: channels.length, anchors: task.anchors });
  }

  get ring(): RingWriter {
    return this.#ring;
  }

  tick(): void {
    const crashAt = this.task.faults?.crashAfterTicks;
    if (crashAt !== undefined && this.#ticks >= crashAt) throw new Error(`injected sampler fault after ${crashAt} ticks`);
    this.#ticks++;
    const tMs = this.now();
    let offset = 0;
    for (const s of this.sources) {
      s.read(this.#integrator, offset, tMs);
      offset += s.channels.length;
    }
    if (this.#integrator.step(tMs) > 0) this.#reportRefusals();
    this.#ring.publish(tMs, this.#integrator.totalsUj);
    this.#ring.settleAnchors((t, out) => this.#valuesAt(t, out));
  }

  #reportRefusals(): void {
    this.channels.forEach((c, i) => {
      const h = this.#integrator.health(i);
      if (h.rejected === this.#refusalsSeen[i]) return;
      this.#refusalsSeen[i] = h.rejected;
      this.warn(`refused:${c.id}:${h.lastError}`, `${c.detail}: a reading was refused (${h.lastError}) and counted `
        + 'as an error, not as energy; measuring goes on from the next reading.');
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
        if (waitMs > 0) {
          const r = Atomics.waitAsync(control, kWake, seen, waitMs);
          if (r.async) await r.value;
        }
        // Read before the tick: a wake that lands during the tick then ends the next wait at once.
        seen = Atomics.load(control, kWake);
        this.tick();
        const t = performance.now();
        while (next <= t) next += this.periodMs;
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

/** The start task: discovers sources, publishes a first sample, leaves the loop running, returns. */
export default function start(task: StartTask): StartResult {
  const now = alignedClock(task.clock);
  const warned = new Set<string>();
  const warn = (cause: string, message: string): void => {
    if (warned.has(cause)) return;
    warned.add(cause);
    task.port.postMessage({ type: 'warning', cause, message } satisfies SamplerEvent);
  };
  const plan = planHardware(task.options);
  const sources = openSources(task.options, plan, warn);
  const channels = sources.flatMap((s) => s.channels);
  const periodMs = safePeriodMs(channels, task.options.samplePeriodMs);
  if (periodMs < task.options.samplePeriodMs) {
    warn('period-shortened', `sample period shortened from ${task.options.samplePeriodMs} ms to ${periodMs.toFixed(0)} ms `
      + 'so that no counter can wrap twice between two readings.');
  }
  const loop = new SamplerLoop(task, now, sources, channels, periodMs, warn);
  loop.tick();
  loop.ring.setState(kStateRunning);
  void loop.run(task.port);
  return { buffer: loop.ring.buffer, shape: loop.ring.shape, channels, plan, periodMs };
}
