// Sampler thread entry: boots from workerData as soon as piscina loads this module (no message from
// the main thread's event loop is needed), publishes the start mark's reading and a first sample,
// posts the ring, and leaves the sampling loop running.
import { BroadcastChannel, workerData } from 'node:worker_threads';
import { alignedClock, scriptedClock } from '../clock.js';
import { openSources, planHardware, type HardwarePlan } from '../sources/detect.js';
import { planGpus } from '../sources/gpu.js';
import type { ChannelInfo, EnergySource, Warn } from '../sources/source.js';
import { preloadIntegrator } from '../wasm/integrator.js';
import { SamplerLoop } from './loop.js';
import { safePeriodMs } from './rate.js';
import type { EngineOptions } from './options.js';
import { sourceRange, takeMark, type BootData, type ResumeData, type SamplerEvent, type StartFailure, type StartResult } from './protocol.js';
import { AbandonedError, PhaseWriter, phaseDiscover, phaseNvml } from './phase.js';
import { kBootFailed, kBootMark, kBootOwner, kBootStarted, kBootState, kMarkPending, kPublished, kState, kStateCrashed, kStateRunning, RingReader } from './ring.js';

/** A test's fake hardware on the sampler's clock: `(tMs, data) => void`, run before each reading. */
async function loadTickHook(url: string): Promise<(tMs: number, data: unknown) => void> {
  return ((await import(url)) as { default: (tMs: number, data: unknown) => void }).default;
}

/** How long a first thread waits for the start mark (the calling thread writes it within its start() call). */
const markWaitMs = 60_000;

async function boot(data: BootData): Promise<void> {
  const header = new Int32Array(data.header);
  // piscina replaces a thread that died: the replacement must not start a second sampler.
  if (Atomics.compareExchange(header, kBootOwner, 0, 1) !== 0) return;
  // The integrator compiles on V8's background threads while this one waits for the mark and discovers.
  const integrator = preloadIntegrator(true);
  const resume = data.resume;
  // The calling thread takes the start mark while this thread boots: wait for it (it is there long
  // before, in practice), and so for the channels made before it, before posting anything.
  const mark = data.mark ?? takeMark(header, data.markBuffer!, markWaitMs);
  if (mark === null) {
    // The start has failed on the calling thread (it says why), or it never came back: nothing to post to.
    if (Atomics.load(header, kBootMark) === kMarkPending) Atomics.store(header, kBootState, kBootFailed);
    return;
  }
  const results = resume === undefined ? new BroadcastChannel(`${data.channel}:result`) : null;
  const events = new BroadcastChannel(`${data.channel}:events`);
  const post = (m: StartResult | StartFailure, state: number): void => {
    results?.postMessage(m);
    results?.close();
    Atomics.store(header, kBootState, state);
    Atomics.notify(header, kBootState);
  };
  let running: Promise<void>;
  try {
    const o = data.options;
    const hook = data.internals?.tickHook === undefined ? null : await loadTickHook(data.internals.tickHook);
    const real = alignedClock(data.clock);
    const clock = data.internals?.clock === undefined ? real : scriptedClock(data.internals.clock);
    const hookData = data.internals?.tickHookData;
    const now = hook === null ? clock : (): number => { const t = clock(); hook(t, hookData); return t; };
    // The same clock as the ticks' where no test drives them: a tick's time then serves the phase too.
    const phase = new PhaseWriter(data.header, real);
    const warned = new Set<string>(resume?.warned);
    const warn = (cause: string, message: string): void => {
      if (warned.has(cause)) return;
      warned.add(cause);
      events.postMessage({ type: 'warning', cause, message } satisfies SamplerEvent);
    };
    const { plan, sources, channels, periodMs } = resume === undefined ? discover(o, phase, warn) : reopen(o, resume, phase, warn);
    const idlePeriodMs = safePeriodMs(channels, o.idleSamplePeriodMs);
    await integrator;
    const loop = new SamplerLoop({ capacity: o.ringCapacity, anchors: data.anchors, internals: data.internals, phase, idlePeriodMs, arena: data.arena,
      ...(resume === undefined ? {} : { ring: { buffer: resume.buffer, shape: resume.shape } }) }, now, sources, channels, periodMs, warn);
    if (resume === undefined) {
      loop.prime(mark);
      loop.writer.setState(kStateRunning);
    } else {
      loop.resume(retiredChannels(resume));
    }
    // Posted before the first tick (a source that blocks there is then named by the main thread),
    // once the loop has read the wake word (a wake right after the post is not missed).
    running = loop.run(events, () => {
      post({ ok: true, buffer: loop.writer.buffer, shape: loop.writer.shape, channels, plan, periodMs,
        originMs: mark.tMs, sources: sources.map((x) => x.channels.map((c) => c.detail).join('; ')),
        sourceChannels: sources.map((x) => x.channels.length) }, kBootStarted);
      if (data.internals?.codeCache !== undefined) writeCodeCache(data.internals.codeCache, warn);
    });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof AbandonedError) {
      // given up while stuck in discovery: the main thread has said so already
    } else if (resume === undefined) {
      post({ ok: false, message }, kBootFailed);
    } else {
      // A successor that cannot go on: the timeline ends at the stuck thread's last sample.
      events.postMessage({ type: 'error', message } satisfies SamplerEvent);
      const { control } = new RingReader(resume.buffer, resume.shape);
      Atomics.store(control, kState, kStateCrashed);
      Atomics.notify(control, kPublished);
      post({ ok: false, message }, kBootFailed);
    }
    events.close();
    return;
  }
  await running;
}

interface Opened {
  readonly plan: HardwarePlan;
  readonly sources: EnergySource[];
  readonly channels: readonly ChannelInfo[];
  readonly periodMs: number;
}

/** The first thread: discovers the hardware and opens what it chose. */
function discover(o: EngineOptions, phase: PhaseWriter, warn: Warn): Opened {
  phase.set(phaseDiscover);
  const plan = planHardware(o, true, () => phase.set(phaseNvml));
  plan.warnings.forEach((w) => warn(w.cause, w.message));
  const sources = openSources(o, plan, warn);
  const channels = sources.flatMap((s) => s.channels);
  const periodMs = safePeriodMs(channels, o.samplePeriodMs);
  if (periodMs < o.samplePeriodMs) {
    warn('period-shortened', `sample period shortened from ${o.samplePeriodMs} ms to ${periodMs.toFixed(0)} ms `
      + 'so that no counter can wrap twice between two readings.');
  }
  return { plan, sources, channels, periodMs };
}

/**
 * A successor: the first thread's plan and channels, its sources opened again but those given up,
 * which stay silent stand-ins (their hardware is not touched: a driver that never answered once is
 * not asked again). NVML is loaded again only when its GPUs are still read.
 */
function reopen(o: EngineOptions, r: ResumeData, phase: PhaseWriter, warn: Warn): Opened {
  const gpuSource = r.plan.gpus.tracked.length > 0 ? r.sourceChannels.length - 1 : -1;
  if (gpuSource >= 0 && !r.givenUp.includes(gpuSource)) {
    phase.set(phaseNvml);
    planGpus(o);
  }
  const sources = openSources(o, r.plan, warn, (i) => (r.givenUp.includes(i)
    ? new SilentSource(r.channels.slice(...sourceRange(r.sourceChannels, i))) : null));
  return { plan: r.plan, sources, channels: r.channels, periodMs: r.periodMs };
}

/** The build's: this thread's compiled code as its start left it, written by worker-entry.cjs's hook for later threads. */
function writeCodeCache(path: string, warn: Warn): void {
  const write = (globalThis as Record<symbol, unknown>)[Symbol.for('codecarbon.writeCodeCache')];
  try {
    if (typeof write !== 'function') throw new Error('this thread was not loaded through worker.entry.cjs');
    (write as (path: string) => void)(path);
  } catch (e) {
    warn('code-cache', `the code cache could not be written to ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The channels of the sources given up. */
function retiredChannels(r: ResumeData): number[] {
  return r.givenUp.flatMap((i) => {
    const [from, to] = sourceRange(r.sourceChannels, i);
    return Array.from({ length: to - from }, (_, c) => from + c);
  });
}

/** A source given up: keeps its channels' places in the row, reads nothing. */
class SilentSource implements EnergySource {
  constructor(readonly channels: readonly ChannelInfo[]) {}
  read(): void {}
  close(): void {}
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
