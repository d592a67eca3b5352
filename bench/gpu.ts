// GPU benchmarks on the fake NVML library: sampler CPU per GPU with an H200-like 4 ms energy
// read, and what reconciling a hybrid channel adds to reading marks off the timeline.
import { performance } from 'node:perf_hooks';
import { SamplerLoop } from '../src/sampler/loop.js';
import { resolveEngineOptions } from '../src/sampler/options.js';
import { Sampler } from '../src/sampler/sampler.js';
import { openSources, planHardware } from '../src/sources/detect.js';
import { interpolate } from '../src/wasm/integrator.js';
import { fakeNvmlEnv, fakeNvmlLibrary } from '../test/helpers/nvml.js';
import { fourZones, newThreadCpuPct } from './engine.js';
import type { Figure } from './run.js';
import { median, perCallNs } from './stats.js';

/**
 * Sampler thread CPU with 4 RAPL zones, without and with two fake GPUs whose energy read busy-waits
 * 4 ms: at the full rate (10 Hz, held), and idle at the default settings (the sampler slowed down).
 */
export async function gpuSamplerCpu(): Promise<Figure[]> {
  const pct = async (gpuIds: string | null, idle: boolean): Promise<number> => {
    const rapl = fourZones();
    const sampler = new Sampler({ raplDir: rapl.root, samplePeriodMs: 100, idleSamplePeriodMs: idle ? 2000 : 100,
      nvmlLibrary: gpuIds === null ? '/nonexistent/libnvidia-ml.so.1' : fakeNvmlLibrary(), gpuIds });
    try {
      return await newThreadCpuPct(async () => {
        await sampler.start();
        return () => sampler.stop();
      }, idle ? 15_000 : 500, idle ? 20_000 : 5000);
    } finally {
      rapl.cleanup();
    }
  };
  fakeNvmlEnv({ FAKE_NVML_ENERGY_COST_US: '4000' });
  const cpuOnly = await pct(null, false);
  const twoGpus = await pct('0,1', false);
  const cpuOnlyIdle = await pct(null, true);
  const twoGpusIdle = await pct('0,1', true);
  fakeNvmlEnv();
  const method = 'the sampler thread\'s schedstat over 5 s at 10 Hz (the full rate held, as while marks are made) with 4 fake RAPL zones, '
    + 'then with 2 fake GPUs (test/fixtures/fake-nvml.c) whose energy counter read busy-waits 4 ms as an H200\'s does; counter read every '
    + '1 s (default); per GPU = (with − without) / 2';
  const idleMethod = 'as above at the default settings while the main thread idles: the sampler slowed down to 2 s and the counters '
    + 'to every 20 s; 20 s window after 15 s of settling (as the idle tracker\'s figure)';
  return [
    { name: 'sampler thread CPU, CPU only (this run)', value: cpuOnly, unit: '% of one core', method },
    { name: 'sampler thread CPU per GPU (4 ms energy read, power every tick)', value: Math.max(0, twoGpus - cpuOnly) / 2,
      unit: '% of one core', goal: '≤ 0.5 %', method },
    { name: 'sampler thread CPU per GPU, idle (4 ms energy read)', value: Math.max(0, twoGpusIdle - cpuOnlyIdle) / 2,
      unit: '% of one core', goal: '≤ 0.1 %', method: `${idleMethod}; this run: ${twoGpusIdle.toFixed(3)} % with the two GPUs, `
        + `${cpuOnlyIdle.toFixed(3)} % without (a difference below 0, within this machine's noise, is given as 0)` },
    { name: 'sampler thread CPU, CPU only, idle', value: cpuOnlyIdle, unit: '% of one core', method: idleMethod },
  ];
}

/** Reading 10^6 marks over a timeline with 4 channels, plain and with one of them a hybrid GPU channel. */
export async function reconcileCost(): Promise<Figure[]> {
  const nSlots = 10_000;
  const k = 4;
  const stride = k + 1 + 3;
  const slots = new Float64Array(nSlots * stride);
  const acc = new Float64Array(k);
  let c = 0; let pa = 0; let ta = 0;
  for (let s = 0; s < nSlots; s++) {
    slots[s * stride] = s * 100;
    for (let ch = 0; ch < k; ch++) { acc[ch]! += Math.random() * 1e6; slots[s * stride + 1 + ch] = acc[ch]!; }
    if (s % 10 === 0) { c = acc[3]! * 1.02; pa = acc[3]!; ta = s * 100; } // a counter reading every 1 s
    slots.set([c, pa, ta], s * stride + 1 + k);
  }
  const n = 1_000_000;
  const queries = Float64Array.from({ length: n }, () => Math.random() * nSlots * 100);
  const out = new Float64Array(n * k);
  const time = (hybrid: boolean): number => {
    let best = Infinity;
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      interpolate(slots, nSlots, k, queries, out, { stride, hybrids: hybrid ? [{ ch: 3, c: k }] : [] });
      best = Math.min(best, performance.now() - t0);
    }
    return (best * 1e6) / n;
  };
  time(true); // warm-up
  const plain = time(false);
  const hybrid = time(true);
  const method = '10^6 marks over 10^4 samples of 4 channels (one hybrid, a counter reading every 10 samples), one batch, best of 5';
  return [
    { name: 'batch read per mark, no hybrid channel', value: plain, unit: 'ns', method },
    { name: 'batch read per mark, one hybrid GPU channel reconciled', value: hybrid, unit: 'ns', method },
    { name: 'hybrid reconciliation added per mark', value: Math.max(0, hybrid - plain), unit: 'ns', method },
  ];
}

/** One sampler tick with 4 RAPL zones, without and with two hybrid fake GPUs (power, utilisation, counter bookkeeping). */
export async function gpuTickCost(): Promise<Figure[]> {
  fakeNvmlEnv();
  const rapl = fourZones();
  const tick = (gpuIds: string | null): number => {
    const o = resolveEngineOptions({ raplDir: rapl.root, nvmlLibrary: gpuIds === null ? '/nonexistent/libnvidia-ml.so.1' : fakeNvmlLibrary(), gpuIds }, {});
    const sources = openSources(o, planHardware(o, true), () => {});
    const loop = new SamplerLoop({ capacity: 4096, anchors: 64 }, () => performance.now(), sources, sources.flatMap((x) => x.channels), 100, () => {});
    const ns = median(perCallNs(() => loop.tick(), 2000, 21));
    sources.forEach((x) => x.close());
    return ns / 1000;
  };
  const cpu = tick(null);
  const gpus = tick('0,1');
  rapl.cleanup();
  const method = 'median of 21 batches of 2,000 ticks on this thread: 4 fake RAPL zones, then also 2 fake GPUs (an energy counter read is due once a second, as by default)';
  return [
    { name: 'sampler tick, 4 RAPL zones (this run)', value: cpu, unit: 'µs', method },
    { name: 'sampler tick added per hybrid GPU (power, utilisation, reconciliation columns)', value: Math.max(0, gpus - cpu) / 2, unit: 'µs', method },
  ];
}
