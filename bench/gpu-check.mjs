#!/usr/bin/env node
// On a machine with an NVIDIA GPU (after `npm run build`): `node bench/gpu-check.mjs [seconds]`.
// Prints as JSON: the per-call cost of each NVML call the sampler uses, the energy counter's
// cadence, the sampler thread's CPU per GPU, and over a changing load (bursts of matrix products
// through python3 + torch when present, else idle) the hybrid GPU energy against the raw counter
// delta and against plain power integration. Goals: hybrid = counter delta between counter
// readings; sampler CPU ≤ 0.5 % of a core per GPU.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Sampler } from '../dist/src/sampler/sampler.js';
import { hybridColumns } from '../dist/src/sampler/timeline.js';
import { Nvml } from '../dist/src/sources/nvml.js';

const seconds = Number(process.argv[2] ?? 12);
const library = process.env.CODECARBON_NVML_LIBRARY || 'libnvidia-ml.so.1';
const out = { library, node: process.version, date: new Date().toISOString() };

/** Median and p99 of a call's wall time, in µs. */
function cost(fn, n) {
  const t = [];
  for (let i = 0; i < n; i++) { const t0 = performance.now(); fn(); t.push((performance.now() - t0) * 1000); }
  t.sort((a, b) => a - b);
  return { p50_us: +t[Math.floor(n / 2)].toFixed(2), p99_us: +t[Math.floor(n * 0.99)].toFixed(2), n };
}

let t0 = performance.now();
const nvml = Nvml.open(library);
const initMs = performance.now() - t0;
const dev = nvml.deviceByIndex(0);
out.gpu = { name: nvml.name(dev), uuid: nvml.uuid(dev), count: nvml.count(), powerLimitW: nvml.powerLimitW(dev) };
out.callCost = {
  nvmlInit_v2_ms: +initMs.toFixed(2),
  nvmlDeviceGetPowerUsage: cost(() => nvml.powerW(dev), 2000),
  nvmlDeviceGetUtilizationRates: cost(() => nvml.utilizationPercent(dev), 2000),
  nvmlDeviceGetTotalEnergyConsumption: cost(() => nvml.energyMj(dev), 100),
  nvmlDeviceGetName: cost(() => nvml.name(dev), 200),
  nvmlDeviceGetUUID: cost(() => nvml.uuid(dev), 200),
  nvmlDeviceGetPowerManagementLimit: cost(() => nvml.powerLimitW(dev), 200),
};

// Counter cadence: poll for 2 s, time between value changes.
{
  const changes = [];
  let last = nvml.energyMj(dev);
  let lastAt = performance.now();
  const end = lastAt + 2000;
  while (performance.now() < end) {
    const v = nvml.energyMj(dev);
    if (v !== last) { const now = performance.now(); changes.push(now - lastAt); last = v; lastAt = now; }
  }
  changes.sort((a, b) => a - b);
  out.counterCadenceMs = { median: changes.length ? +changes[Math.floor(changes.length / 2)].toFixed(1) : null, changes: changes.length };
}
t0 = performance.now();
nvml.close();
out.callCost.nvmlShutdown_ms = +(performance.now() - t0).toFixed(2);

/** CPU time of each thread of this process, ns (schedstat). */
function threadCpu() {
  const m = new Map();
  for (const tid of readdirSync('/proc/self/task')) {
    try { m.set(tid, Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0])); } catch { /* gone */ }
  }
  return m;
}

/** The sampler thread's CPU % over `ms` of wall time. */
async function samplerPct(options, ms) {
  const before = threadCpu();
  const sampler = new Sampler({ samplePeriodMs: 100, ...options });
  await sampler.start();
  await new Promise((r) => setTimeout(r, 500));
  const a = threadCpu();
  const w0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const b = threadCpu();
  const wall = (performance.now() - w0) * 1e6;
  await sampler.stop();
  const fresh = [...b].filter(([tid]) => !before.has(tid)).map(([tid, ns]) => ns - (a.get(tid) ?? ns));
  return (Math.max(0, ...fresh) / wall) * 100;
}
const cpuOnly = await samplerPct({ nvmlLibrary: '/nonexistent/libnvidia-ml.so.1' }, 5000);
const withGpu = await samplerPct({ nvmlLibrary: library, gpuIds: '0' }, 5000);
out.samplerCpu = { cpuOnlyPct: +cpuOnly.toFixed(3), oneGpuPct: +withGpu.toFixed(3), perGpuPct: +Math.max(0, withGpu - cpuOnly).toFixed(3), goalPerGpuPct: 0.5 };

// A changing load: 1.5 s bursts of bf16 matrix products, 1 s pauses.
const py = `
import time, torch
a = torch.randn(8192, 8192, device='cuda', dtype=torch.bfloat16); b = torch.randn(8192, 8192, device='cuda', dtype=torch.bfloat16)
end = time.time() + ${seconds}
while time.time() < end:
    t = time.time()
    while time.time() - t < 1.5: (a @ b); torch.cuda.synchronize()
    time.sleep(1.0)
`;
let load = null;
let loadErr = '';
let loadExit = null;
try {
  load = spawn('python3', ['-c', py], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CUDA_VISIBLE_DEVICES: '0' } });
  load.stderr.on('data', (b) => { loadErr += b; });
  load.once('exit', (code) => { loadExit = code; });
  await new Promise((resolve, reject) => { load.once('spawn', resolve); load.once('error', reject); });
} catch { load = null; }

const sampler = new Sampler({ samplePeriodMs: 100, nvmlLibrary: library, gpuIds: '0' });
const info = await sampler.start();
const gpu = info.channels.findIndex((c) => c.component === 'gpu');
const direct = Nvml.open(library);
const d0 = direct.deviceByIndex(0);
await new Promise((r) => setTimeout(r, 300));
const m0 = sampler.now(); const c0 = direct.energyMj(d0);
await new Promise((r) => setTimeout(r, seconds * 1000));
const m1 = sampler.now(); const c1 = direct.energyMj(d0);
if (load && loadExit === null) { load.kill(); await new Promise((r) => load.once('exit', r)); }
await sampler.sampleNow(true);
const tl = sampler.timeline;
const hybridJ = tl.energyBetween(m0, m1).energyUj[gpu] / 1e6;
// Plain power integration: the channel's own column (integrated power) at the two marks.
const rowAt = (t) => {
  const i = tl.ring.floorIndex(t, tl.ring.oldest(), tl.ring.published() - 1);
  const a = new Float64Array(tl.ring.shape.channels + 1); const b = new Float64Array(tl.ring.shape.channels + 1);
  tl.ring.read(i, a); tl.ring.read(i + 1, b);
  const f = (t - a[0]) / (b[0] - a[0]);
  return a.map((v, c) => v + (b[c] - v) * f);
};
const powerJ = (rowAt(m1)[gpu + 1] - rowAt(m0)[gpu + 1]) / 1e6;
// Exactness: between the first and last counter readings, hybrid total vs the counter columns.
const aux = hybridColumns(info.channels)[0]?.aux;
const reads = [];
for (let i = tl.ring.oldest(); i < tl.ring.published(); i++) {
  const r = new Float64Array(tl.ring.shape.channels + 1);
  tl.ring.read(i, r);
  if (aux !== undefined && !Number.isNaN(r[aux + 3]) && reads.at(-1)?.t !== r[aux + 3]) reads.push({ t: r[aux + 3], c: r[aux + 1] });
}
const first = reads[0]; const last = reads.at(-1);
out.changingLoad = {
  load: !load ? 'idle (no python3)' : loadExit !== null && loadExit !== 0 ? `idle: python3 torch failed: ${loadErr.trim().split('\n').at(-1)}`
    : 'bf16 8192³ matmul bursts, 1.5 s on, 1 s off',
  seconds,
  rawCounterDeltaJ: +(Number(c1 - c0) / 1000).toFixed(1),
  hybridJ: +hybridJ.toFixed(1),
  powerIntegrationJ: +powerJ.toFixed(1),
  hybridVsCounterPct: +(((hybridJ - Number(c1 - c0) / 1000) / (Number(c1 - c0) / 1000)) * 100).toFixed(2),
  powerVsCounterPct: +(((powerJ - Number(c1 - c0) / 1000) / (Number(c1 - c0) / 1000)) * 100).toFixed(2),
  counterReadings: reads.length,
  betweenReadings: first && last ? { hybridJ: +(tl.energyBetween(first.t, last.t).energyUj[gpu] / 1e6).toFixed(3), counterJ: +((last.c - first.c) / 1e6).toFixed(3) } : null,
};
direct.close();
await sampler.stop();
console.log(JSON.stringify(out, null, 2));
