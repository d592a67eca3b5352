// Sampler thread entry: boots from workerData as soon as piscina loads this module (no message from
// the main thread's event loop is needed), publishes the start mark's reading and a first sample,
// posts the ring, and leaves the sampling loop running.
import { BroadcastChannel, workerData } from 'node:worker_threads';
import { alignedClock, scriptedClock } from '../clock.js';
import { openSources, planHardware } from '../sources/detect.js';
import { SamplerLoop, safePeriodMs } from './loop.js';
import type { BootData, SamplerEvent, StartFailure, StartResult } from './protocol.js';
import { PhaseWriter, phaseDiscover, phaseNvml } from './phase.js';
import { kBootFailed, kBootOwner, kBootStarted, kBootState, kStateRunning } from './ring.js';

/** A test's fake hardware on the sampler's clock: `(tMs, data) => void`, run before each reading. */
async function loadTickHook(url: string): Promise<(tMs: number, data: unknown) => void> {
  return ((await import(url)) as { default: (tMs: number, data: unknown) => void }).default;
}

async function boot(data: BootData): Promise<void> {
  const header = new Int32Array(data.header);
  // piscina replaces a thread that died: the replacement must not start a second sampler.
  if (Atomics.compareExchange(header, kBootOwner, 0, 1) !== 0) return;
  const results = new BroadcastChannel(`${data.channel}:result`);
  const events = new BroadcastChannel(`${data.channel}:events`);
  const post = (m: StartResult | StartFailure, state: number): void => {
    results.postMessage(m);
    results.close();
    Atomics.store(header, kBootState, state);
    Atomics.notify(header, kBootState);
  };
  let running: Promise<void>;
  try {
    const o = data.options;
    const hook = data.internals?.tickHook === undefined ? null : await loadTickHook(data.internals.tickHook);
    const clock = data.internals?.clock === undefined ? alignedClock(data.clock) : scriptedClock(data.internals.clock);
    const hookData = data.internals?.tickHookData;
    const now = hook === null ? clock : (): number => { const t = clock(); hook(t, hookData); return t; };
    const phase = new PhaseWriter(data.header, alignedClock(data.clock));
    const warned = new Set<string>();
    const warn = (cause: string, message: string): void => {
      if (warned.has(cause)) return;
      warned.add(cause);
      events.postMessage({ type: 'warning', cause, message } satisfies SamplerEvent);
    };
    phase.set(phaseDiscover);
    const plan = planHardware(o, true, () => phase.set(phaseNvml));
    const sources = openSources(o, plan, warn);
    const channels = sources.flatMap((s) => s.channels);
    const periodMs = safePeriodMs(channels, o.samplePeriodMs);
    if (periodMs < o.samplePeriodMs) {
      warn('period-shortened', `sample period shortened from ${o.samplePeriodMs} ms to ${periodMs.toFixed(0)} ms `
        + 'so that no counter can wrap twice between two readings.');
    }
    const loop = new SamplerLoop({ capacity: o.ringCapacity, anchors: data.anchors, internals: data.internals, phase },
      now, sources, channels, periodMs, warn);
    loop.prime(data.mark);
    loop.writer.setState(kStateRunning);
    // Posted before the first tick (a source that blocks there is then named by the main thread),
    // once the loop has read the wake word (a wake right after the post is not missed).
    running = loop.run(events, () => post({ ok: true, buffer: loop.writer.buffer, shape: loop.writer.shape, channels, plan, periodMs,
      originMs: data.mark.tMs, sources: sources.map((x) => x.channels.map((c) => c.detail).join('; ')) }, kBootStarted));
  } catch (e) {
    post({ ok: false, message: e instanceof Error ? e.message : String(e) }, kBootFailed);
    events.close();
    return;
  }
  await running;
}

const data = (workerData as { codecarbon?: BootData } | null | undefined)?.codecarbon;
// Right after this module has loaded, not while it loads: piscina then tells the main thread this
// thread is ready (and unreferences its port) first, so that a driver call that never returns
// here cannot hold the process open.
if (data !== undefined) setImmediate(() => void boot(data));

/** piscina's task handler. The sampler never runs tasks: it boots from workerData when this module loads. */
export default function idle(): null {
  return null;
}
