// Sampler thread entry: discovers the sources, takes a first sample, leaves the loop running.
import { alignedClock } from '../clock.js';
import { openSources, planHardware } from '../sources/detect.js';
import { SamplerLoop, safePeriodMs } from './loop.js';
import type { SamplerEvent, StartResult, StartTask } from './protocol.js';
import { kStateRunning } from './ring.js';

/** The start task: discovers sources, publishes a first sample, leaves the loop running, returns. */
export default function start(task: StartTask): StartResult {
  const now = alignedClock(task.clock);
  const warned = new Set<string>();
  const warn = (cause: string, message: string): void => {
    if (warned.has(cause)) return;
    warned.add(cause);
    task.port.postMessage({ type: 'warning', cause, message } satisfies SamplerEvent);
  };
  const plan = planHardware(task.options, true);
  const sources = openSources(task.options, plan, warn);
  const channels = sources.flatMap((s) => s.channels);
  const periodMs = safePeriodMs(channels, task.options.samplePeriodMs);
  if (periodMs < task.options.samplePeriodMs) {
    warn('period-shortened', `sample period shortened from ${task.options.samplePeriodMs} ms to ${periodMs.toFixed(0)} ms `
      + 'so that no counter can wrap twice between two readings.');
  }
  const loop = new SamplerLoop({ capacity: task.options.ringCapacity, anchors: task.anchors, faults: task.faults },
    now, sources, channels, periodMs, warn);
  loop.tick();
  loop.writer.setState(kStateRunning);
  void loop.run(task.port);
  return { buffer: loop.writer.buffer, shape: loop.writer.shape, channels, plan, periodMs };
}
