// NVIDIA GPUs through a fake libnvidia-ml built from C and loaded through koffi for real: the
// binding, discovery and selection, and the hybrid timeline in a real sampler thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { Sampler } from '../src/sampler/sampler.js';
import { rowLayout, rowOffset } from '../src/sampler/layout.js';
import { CostWindow, GpuSource, nvidiaDriverPresent, planGpus, probeGpus, selectGpus, type GpuInfo } from '../src/sources/gpu.js';
import { Nvml, NvmlError } from '../src/sources/nvml.js';
import { fakeGpus, fakeNvmlEnv, fakeNvmlLibrary, fakeTruthJ, noGcc } from './helpers/nvml.js';
import { nvmlClock } from './fixtures/scripted.hook.js';
import { ScriptedClock, ScriptedRapl } from './helpers/scripted.js';
import { FakeProc } from './helpers/sysfs.js';

const gpuOptions = (o: Partial<Parameters<typeof planGpus>[0]> = {}) => ({
  nvmlLibrary: fakeNvmlLibrary(), gpuIds: null, cudaVisibleDevices: null, gpuCounterPeriodMs: 1000, ...o });

test('the binding: a missing library is named with the fix; values above 2^53 mJ stay exact; codes have names', { skip: noGcc }, () => {
  fakeNvmlEnv();
  assert.throws(() => Nvml.open('/nowhere/libnvidia-ml.so.1'), {
    name: 'NvmlLoadError',
    message: /^NVML library \/nowhere\/libnvidia-ml\.so\.1 could not be loaded \(.*No such file or directory\); install the NVIDIA driver, or point nvml_library \(config key, or CODECARBON_NVML_LIBRARY\) at libnvidia-ml\.so\.1/,
  });
  const nvml = Nvml.open(fakeNvmlLibrary());
  try {
    assert.equal(nvml.count(), 3);
    const big = nvml.energyMj(nvml.deviceByIndex(1));
    assert.equal(typeof big, 'bigint');
    assert.ok((big as bigint) > 2n ** 53n && (big as bigint) % 1000n !== 0n, `${big}`);
    assert.equal(nvml.energyMj(nvml.deviceByIndex(2)), 3); // NOT_SUPPORTED, returned as its code
    assert.equal(nvml.errorText(15), 'NVML_ERROR_GPU_IS_LOST (GPU is lost)');
    assert.throws(() => nvml.deviceByIndex(7), { name: 'NvmlError', message: 'nvmlDeviceGetHandleByIndex_v2 failed: NVML_ERROR_INVALID_ARGUMENT (Invalid Argument)' });
  } finally {
    nvml.close();
  }
  fakeNvmlEnv({ FAKE_NVML_INIT_ERROR: '9' });
  assert.throws(() => Nvml.open(fakeNvmlLibrary()), (e) => e instanceof NvmlError
    && e.message === 'nvmlInit_v2 failed: NVML_ERROR_DRIVER_NOT_LOADED (Driver Not Loaded)');
  fakeNvmlEnv();
});

test('discovery: every GPU with its UUID, power limit and counter support; no library is a reason, not an error', { skip: noGcc }, () => {
  fakeNvmlEnv();
  const plan = probeGpus(gpuOptions());
  assert.deepEqual(plan.found.map((g) => [g.index, g.uuid, g.name, g.powerLimitW, g.energyCounter]),
    fakeGpus.map((g, i) => [g.index, g.uuid, g.name, i === 2 ? 250 : 700, i !== 2]));
  assert.deepEqual(plan.found[0]!.migUuids, [fakeGpus[0].mig]);
  assert.deepEqual(plan.tracked, [0, 1, 2]);
  assert.match(plan.warnings.map((w) => w.message).join('\n'), /2 Tesla P100-PCIE-16GB \(GPU-1b2c3d4e-[0-9a-f-]+\): no energy counter .*nvml-power/);
  if (!nvidiaDriverPresent()) {
    // No driver: the default library is not even loaded (nor koffi), and that is a reason, not a warning.
    const none = probeGpus(gpuOptions({ nvmlLibrary: 'libnvidia-ml.so.1' }));
    assert.deepEqual([none.found, none.tracked, none.warnings], [[], [], []]);
    assert.match(none.reason, /^no NVIDIA driver on this machine \(no \/dev\/nvidiactl, no \/proc\/driver\/nvidia\/version\): GPUs are not measured/);
  }
  const configured = probeGpus(gpuOptions({ nvmlLibrary: '/opt/nvidia/libnvidia-ml.so.1' }));
  assert.match(configured.warnings[0]!.message, /^NVML library \/opt\/nvidia\/libnvidia-ml\.so\.1 could not be loaded .*: GPUs are not measured$/);
});

test('selection: indices, UUIDs, unique prefixes and MIG UUIDs; CUDA_VISIBLE_DEVICES when gpu_ids is unset', { skip: noGcc }, () => {
  const found: GpuInfo[] = fakeGpus.map((g) => ({ index: g.index, uuid: g.uuid, name: g.name, powerLimitW: 700, energyCounter: true,
    migUuids: 'mig' in g ? [g.mig] : [] }));
  const sel = (ids: string[]) => selectGpus(found, ids, 'gpu_ids', 'argument');
  assert.deepEqual(sel(['1', '0', '1']).tracked, [0, 1]);
  assert.deepEqual(sel([fakeGpus[2].uuid]).tracked, [2]);
  assert.deepEqual(sel(['GPU-9a8b', '5f1c3a2e']).tracked, [0, 1]);
  const mig = sel(['MIG-0a1b2c3d']);
  assert.deepEqual(mig.tracked, [0]);
  assert.match(mig.notes[0]!, /^MIG-0a1b2c3d is a MIG instance of GPU 0 NVIDIA H200 .*the whole GPU is measured$/);
  // CodeCarbon cuts characters off the left of "GPU-…" and never matches: a full UUID matches here.
  const none = sel(['GPU-ffff', '1']);
  assert.deepEqual(none.tracked, [1]); // an id that matches nothing selects nothing; the others stand
  assert.match(none.unmatched.join('\n'), /^gpu_ids \(from argument\): "GPU-ffff" matches no GPU; GPUs found: 0 NVIDIA H200 \(GPU-5f1c3a2e-[^)]+\); 1 NVIDIA H200 .*; 2 Tesla P100-PCIE-16GB .*; use indices, UUIDs/);
  assert.match(sel(['GPU-']).unmatched[0]!, /"GPU-" matches 3 GPUs \(.*\): give more of the UUID/);
  assert.deepEqual([sel(['3']).tracked, sel(['3']).unmatched.length], [[], 1]);
  assert.deepEqual(sel(['0']).unmatched, []);

  fakeNvmlEnv();
  const visible = (v: string | null, ids: string | null = null) => probeGpus(gpuOptions({ cudaVisibleDevices: v, gpuIds: ids }));
  assert.deepEqual(visible('2,GPU-9a8b').tracked, [1, 2]);
  assert.deepEqual(visible('').tracked, []);
  assert.match(visible('').reason, /^CUDA_VISIBLE_DEVICES = "": no GPU selected$/);
  const stopped = visible('1,7,0');
  assert.deepEqual(stopped.tracked, [1]); // as CUDA: nothing after an invalid entry
  assert.match(stopped.warnings.map((w) => w.message).join('\n'), /CUDA_VISIBLE_DEVICES \(from the environment\): "7" matches no GPU.*as CUDA does, the GPUs after it are not visible either/);
  assert.deepEqual(visible('1', '0').tracked, [0]); // gpu_ids wins
  const unmatched = visible(null, 'GPU-0000,2');
  assert.deepEqual(unmatched.tracked, [2]);
  assert.match(unmatched.warnings.map((w) => w.message).join('\n'),
    /^gpu_ids \(from arguments, CODECARBON_GPU_IDS or a config file\): "GPU-0000" matches no GPU; .*\. It is left out: GPUs 2 are measured, and the CPU and RAM as usual$/m);
});

test('codecarbon detect lists each GPU: index, UUID, name, power limit, energy counter', { skip: noGcc }, async () => {
  fakeNvmlEnv();
  const cli = new URL('../src/cli/main.js', import.meta.url).pathname;
  const proc = new FakeProc();
  const env = { PATH: process.env['PATH'], CODECARBON_NVML_LIBRARY: fakeNvmlLibrary(), CODECARBON_PROC_DIR: proc.root };
  const { stdout } = await promisify(execFile)(process.execPath, [cli, 'detect'], { env });
  assert.match(stdout, /^GPU {5}3 found \(NVML\), 3 tracked$/m);
  assert.match(stdout, /^ {8}0 {2}GPU-5f1c3a2e-8b7d-4e9f-a1c2-3d4e5f6a7b8c {2}NVIDIA H200, power limit 700 W, energy counter yes, MIG: MIG-0a1b/m);
  assert.match(stdout, /^ {8}2 {2}GPU-1b2c3d4e-5f60-4718-293a-4b5c6d7e8f90 {2}Tesla P100-PCIE-16GB, power limit 250 W, energy counter no$/m);
  const json = JSON.parse((await promisify(execFile)(process.execPath, [cli, 'detect', '--json'], { env: { ...env, CUDA_VISIBLE_DEVICES: '1' } })).stdout);
  assert.deepEqual(json.gpus.tracked, [1]);
  assert.equal(json.gpus.found[1].uuid, fakeGpus[1].uuid);
  proc.cleanup();
});

/**
 * A real sampler over one fake RAPL package and the fake GPUs, on a clock the test drives: the fake
 * library's time is the sampler's, so every reading is a function of times the test chose.
 */
function gpuSampler(t: import('node:test').TestContext, vars: Record<string, string>,
  o: { gpuIds?: string; gpuCounterPeriodMs?: number } = {}) {
  fakeNvmlEnv(vars);
  const clock = new ScriptedClock(10_000);
  const hw = new ScriptedRapl(1, 5, undefined, clock).withNvml(fakeNvmlLibrary());
  const proc = new FakeProc();
  const sampler = new Sampler({ raplDir: hw.root, procDir: proc.root, cgroupDir: proc.root, nvmlLibrary: fakeNvmlLibrary(),
    samplePeriodMs: 60_000, gpuCounterPeriodMs: o.gpuCounterPeriodMs ?? 500, gpuIds: o.gpuIds ?? null }, hw.internals);
  const uninstall = clock.install();
  t.after(async () => { await sampler.stop(); uninstall(); nvmlClock(fakeNvmlLibrary())(-1); hw.cleanup(); proc.cleanup(); fakeNvmlEnv(); });
  /** Moves the clock on `ms` in steps of `stepMs`, with a sample at each. */
  const run = async (ms: number, stepMs = 50): Promise<void> => {
    for (let done = 0; done < ms; done += stepMs) {
      clock.advance(stepMs);
      await sampler.sampleNow();
    }
  };
  return { sampler, clock, run };
}

/** Each counter reading in the ring: its time (tA) and counter energy (C, µJ), for hybrid column j. */
function counterReadings(sampler: Sampler, j: number): { tMs: number; cUj: number }[] {
  const tl = sampler.timeline!;
  const h = rowLayout(tl.channels).hybrids[j]!;
  const row = new Float64Array(tl.ring.shape.channels + 1);
  const out: { tMs: number; cUj: number }[] = [];
  for (let i = tl.ring.oldest(); i < tl.ring.published(); i++) {
    assert.ok(tl.ring.read(i, row));
    const tA = row[rowOffset(h.ta)]!;
    if (!Number.isNaN(tA) && out.at(-1)?.tMs !== tA) out.push({ tMs: tA, cUj: row[rowOffset(h.c)]! });
  }
  return out;
}

test('hybrid GPU channels: totals between counter readings equal the counter; short intervals follow the square wave', { skip: noGcc }, async (t) => {
  // 4 s square wave (2 s at 80 W, 2 s at 680 W), a counter that moves every 10 ms, read every 500 ms.
  const square = { periodMs: 4000, lowW: 80, highW: 680 };
  const { sampler, run } = gpuSampler(t, { FAKE_NVML_SQUARE: '4000:80:680', FAKE_NVML_STEP_MS: '10' });
  const info = await sampler.start();
  assert.deepEqual(info.channels.filter((c) => c.component === 'gpu').map((c) => [c.source, c.measured, c.counter !== undefined]),
    [['nvml', true, true], ['nvml', true, true], ['nvml-power', true, false]]);
  await run(4200);
  await sampler.sampleNow(true);
  const tl = sampler.timeline!;
  const gpu0 = info.channels.findIndex((c) => c.id === `nvml:${fakeGpus[0].uuid}`);
  const reads = counterReadings(sampler, 0);
  assert.ok(reads.length >= 8, `${reads.length} counter readings in 4.2 s at a 500 ms cadence`);
  // Between any two counter readings the channel's energy is the counter's delta, exactly.
  const first = reads[0]!;
  const last = reads.at(-1)!;
  const whole = tl.energyBetween(first.tMs, last.tMs);
  assert.equal(whole.final, true);
  assert.ok(Math.abs(whole.energyUj[gpu0]! - (last.cUj - first.cUj)) < 1e-3, `${whole.energyUj[gpu0]} vs ${last.cUj - first.cUj}`);
  // …and the counter is the fake's exact integral (at its 10 ms steps: one step is 6.8 J at most).
  const step = (tMs: number): number => Math.floor(tMs / 10) * 10;
  const truthCounterJ = fakeTruthJ(0, step(first.tMs), step(last.tMs), square);
  assert.ok(Math.abs((last.cUj - first.cUj) / 1e6 - truthCounterJ) < 7, `${(last.cUj - first.cUj) / 1e6} J vs ${truthCounterJ} J`);
  // GPU 1's counter is above 2^53 mJ: read as a bigint, its deltas stay exact.
  const reads1 = counterReadings(sampler, 1);
  const [f1, l1] = [reads1[0]!, reads1.at(-1)!];
  const truth1 = fakeTruthJ(1, step(f1.tMs), step(l1.tMs), square);
  assert.ok(Math.abs((l1.cUj - f1.cUj) / 1e6 - truth1) < 7, `GPU 1: ${(l1.cUj - f1.cUj) / 1e6} J vs ${truth1} J`);
  // Short intervals in counter windows clear of a square edge: within 5 % of the truth.
  let checked = 0;
  for (let i = 1; i < reads.length; i++) {
    const a = reads[i - 1]!.tMs;
    const b = reads[i]!.tMs;
    const phase = (x: number): number => Math.floor(x / 2000);
    if (phase(a - 150) !== phase(b) || b - a < 400) continue; // an edge (or the power samples' lag) inside
    const t0 = a + 50;
    const t1 = a + 250;
    const e = tl.energyBetween(t0, t1).energyUj[gpu0]! / 1e6;
    const truth = fakeTruthJ(0, t0, t1, square);
    assert.ok(Math.abs(e - truth) / truth < 0.05, `[${t0.toFixed(0)}, ${t1.toFixed(0)}]: ${e.toFixed(2)} J vs truth ${truth.toFixed(2)} J`);
    checked++;
  }
  assert.ok(checked >= 2, `${checked} clean windows checked`);
  // The GPU without a counter integrates power: never zero over a run.
  const p100 = info.channels.findIndex((c) => c.source === 'nvml-power');
  assert.ok(whole.energyUj[p100]! > 0);
  // After the last counter reading a GPU's figure is provisional: not final until the next one.
  await run(100);
  const tail = tl.energyBetween(last.tMs, sampler.now());
  assert.equal(tail.final, false);
  assert.ok(tail.energyUj[gpu0]! > 0);
});

test('a lost GPU stops with a warning, keeps what it measured; a driver reload is not a wrap', { skip: noGcc }, async (t) => {
  // A slow square wave and a fine counter step, so that only the reload is under test here.
  const square = { periodMs: 8000, lowW: 80, highW: 680 };
  const { sampler, run } = gpuSampler(t, { FAKE_NVML_LOST: '1:12', FAKE_NVML_RESET: '0:400', FAKE_NVML_SQUARE: '8000:80:680',
    FAKE_NVML_STEP_MS: '10' }, { gpuIds: '0,1' });
  const warnings: string[] = [];
  sampler.addEventListener('warning', (e) => warnings.push((e as Event & { message: string }).message));
  const info = await sampler.start();
  const t0 = sampler.now();
  await run(1500);
  await sampler.sampleNow(true);
  const t1 = sampler.now();
  const e = sampler.timeline!.energyBetween(t0, t1);
  const truth0 = fakeTruthJ(0, t0, t1, square);
  const [gpu0, gpu1] = [0, 1].map((i) => info.channels.findIndex((c) => c.id === `nvml:${fakeGpus[i]!.uuid}`));
  assert.deepEqual(info.channels.filter((c) => c.component === 'gpu').length, 2);
  assert.match(warnings.join('\n'), /GPU 1 NVIDIA H200 \(GPU-9a8b[^)]+\) stopped answering \(nvmlDeviceGet\w+: NVML_ERROR_GPU_IS_LOST \(GPU is lost\)\): its energy until then is kept/);
  assert.match(warnings.join('\n'), /GPU 0 .*: an energy counter reading was refused \(it went backwards: the driver was reloaded\); that interval is counted from the power readings instead/);
  assert.ok(e.energyUj[gpu1!]! > 0, 'GPU 1 kept its energy from before it was lost');
  // Across the reload, GPU 0's total is still close to the truth (power-integrated over that interval).
  assert.ok(Math.abs(e.energyUj[gpu0!]! / 1e6 - truth0) / truth0 < 0.1, `${e.energyUj[gpu0!]! / 1e6} J vs ${truth0} J`);
  assert.equal(sampler.timeline!.energyBetween(t0, sampler.timeline!.settledMs()).final, true);
  await new Promise((r) => setImmediate(r)); // the warnings travel on a channel
});

test('counter readings are staggered, one per tick, and follow the cadence', { skip: noGcc }, async (t) => {
  const { sampler, run } = gpuSampler(t, {}, { gpuIds: '0,1', gpuCounterPeriodMs: 300 });
  await sampler.start();
  await run(1300);
  const reads = [counterReadings(sampler, 0), counterReadings(sampler, 1)];
  for (const [j, r] of reads.entries()) {
    // At start, then every 300 ms (GPU 1 first waits half a period more): in 1.3 s of 50 ms ticks,
    // GPU 0 at 0, 300, 600, 900, 1200 and GPU 1 at 0, 450, 750, 1050; never closer than the period.
    assert.equal(r.length, j === 0 ? 5 : 4, `GPU ${j}: ${r.length} readings in 1.3 s at 300 ms`);
    const gaps = r.slice(1).map((x, i) => x.tMs - r[i]!.tMs);
    assert.ok(gaps.every((g) => g >= 295), `gaps ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`);
  }
  const times0 = new Set(reads[0]!.slice(1).map((r) => r.tMs));
  assert.ok(reads[1]!.slice(1).every((r) => !times0.has(r.tMs)), 'no tick read both counters after the first');
  const lib = (createRequire(import.meta.url)('koffi') as { load(p: string): { func(s: string): (d?: number) => number } }).load(fakeNvmlLibrary());
  const energyReads = lib.func('long fake_nvml_energy_reads(int)');
  assert.ok(energyReads(0) <= reads[0]!.length + 1, `${energyReads(0)} energy reads on GPU 0`);
  const inited = lib.func('int fake_nvml_inited()');
  assert.equal(inited(), 1, 'NVML is initialised while the sampler runs');
  await sampler.stop();
  assert.equal(inited(), 0, 'nvmlShutdown ran when the sampler stopped');
});

test('a counter reading that costs 4 ms (as on an H200) is read at most every 800 ms: 0.5 % of a core per GPU', { skip: noGcc }, async (t) => {
  const { sampler, run } = gpuSampler(t, { FAKE_NVML_ENERGY_COST_US: '4000' }, { gpuIds: '0', gpuCounterPeriodMs: 200 });
  await sampler.start();
  // The clock is the test's, the 4 ms of CPU per reading are real: a loaded machine can only make a reading dearer, the period longer.
  await run(20_000, 200);
  const reads = counterReadings(sampler, 0);
  const gaps = reads.slice(1).map((r, i) => r.tMs - reads[i]!.tMs);
  // At least 3 unless a reading costs more than 40 ms of wall time; at most every 800 ms.
  assert.ok(reads.length >= 3 && reads.length <= 26, `${reads.length} readings in 20 s`);
  // The first two gaps can be shorter: the cost is learnt from the second and third readings (the
  // first also pays the library's first call; one reading alone may have been preempted).
  assert.ok(gaps.slice(2).every((g) => g >= 790), `gaps ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`);
});

test('while the process idles (the sampler slowed down), counter readings slow down by the same factor; power is still read every tick', { skip: noGcc }, () => {
  fakeNvmlEnv({ FAKE_NVML_COUNT: '1' });
  const o = gpuOptions({ gpuIds: '0', gpuCounterPeriodMs: 1000 });
  const reads = (slowdown: number, tickMs: number): { counters: number; powers: number } => {
    const plan = planGpus(o);
    const source = new GpuSource(plan, o, () => {});
    let counters = 0;
    let powers = 0;
    const sink = { setCounter() {}, setPower() { powers++; }, setHybridCounter() { counters++; }, retireHybrid() {}, setUtilization() {}, rebase() {} };
    // 60 s of ticks at the period in force (the source's cadence follows the times given, not a clock).
    for (let t = 0; t <= 60_000; t += tickMs) source.read(sink, 0, t, false, slowdown);
    source.close();
    return { counters, powers };
  };
  const full = reads(1, 100);
  const idle = reads(20, 2000);
  assert.equal(full.powers, 601);
  assert.ok(full.counters >= 55 && full.counters <= 61, `${full.counters} counter readings in 60 s at the full rate`);
  assert.equal(idle.powers, 31);
  assert.ok(idle.counters >= 3 && idle.counters <= 4, `${idle.counters} counter readings in 60 s idle (every 20 s)`);
});

test('a counter reading\'s cost is the median of the last five: a preempted call or two leave the cadence as it was; a lasting change moves it within three', () => {
  const w = new CostWindow();
  assert.equal(w.medianMs, 0);
  w.add(40); // the first call counted was preempted: alone, it does not stretch the cadence
  assert.equal(w.medianMs, 0);
  w.add(4);
  assert.equal(w.medianMs, 4);
  for (let i = 0; i < 3; i++) w.add(4);
  w.add(40); // a call preempted 36 ms
  w.add(400); // and another: two of the five kept
  assert.equal(w.medianMs, 4);
  for (let i = 0; i < 5; i++) w.add(4);
  w.add(12); // the driver got slower
  w.add(12);
  assert.equal(w.medianMs, 4);
  w.add(12);
  assert.equal(w.medianMs, 12);
});
