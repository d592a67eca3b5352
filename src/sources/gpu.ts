// NVIDIA GPUs through NVML: discovery, selection (gpu_ids, CUDA_VISIBLE_DEVICES) and the source
// that samples power at every tick and the exact energy counter at a slower, staggered cadence.
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { defaultNvmlLibrary } from './defaults.js';
import { NVML_GPU_IS_LOST, NVML_NOT_SUPPORTED, Nvml, type NvmlDevice } from './nvml.js';
import type { ChannelInfo, EnergySource, ReadingSink, Warn } from './source.js';

/** What `detect` and the records say of one GPU. */
export interface GpuInfo {
  readonly index: number;
  readonly uuid: string;
  readonly name: string;
  readonly powerLimitW: number | null;
  /** Whether nvmlDeviceGetTotalEnergyConsumption works (Volta and newer, not some vGPU/MIG setups). */
  readonly energyCounter: boolean;
  readonly migUuids: readonly string[];
}

/** The GPUs found, those tracked, and why. */
export interface GpuPlan {
  readonly found: readonly GpuInfo[];
  /** Indices (NVML's) of the GPUs measured. */
  readonly tracked: readonly number[];
  readonly reason: string;
}

/** What GPU discovery needs of the engine's options. */
export interface GpuOptions {
  readonly nvmlLibrary: string;
  /** gpu_ids as given (comma-separated indices, UUIDs, MIG UUIDs or unique UUID prefixes), or null. */
  readonly gpuIds: string | null;
  /** Where gpu_ids came from, for its error (default: the places it may come from). */
  readonly gpuIdsOrigin?: string;
  /** CUDA_VISIBLE_DEVICES of the tracked program, or null when unset. */
  readonly cudaVisibleDevices: string | null;
  /** Wanted period of energy counter readings per GPU, in ms. */
  readonly gpuCounterPeriodMs: number;
}

export { defaultNvmlLibrary };

/** Where an NVIDIA driver shows itself, on a host and in a container given GPUs. */
const driverMarks = ['/dev/nvidiactl', '/proc/driver/nvidia/version'];

/** Whether an NVIDIA kernel driver is present: without one, NVML (and koffi, 13 ms) is not loaded at all. */
export function nvidiaDriverPresent(): boolean {
  return driverMarks.some((p) => existsSync(p));
}

/** The NVML session of this thread: opened by discovery, used by the source, shut down with it. */
let session: { library: string; nvml: Nvml; devices: NvmlDevice[] } | null = null;

/** Shuts NVML down in this thread (nothing to do when it is not open). */
export function closeSession(): void {
  session?.nvml.close();
  session = null;
}

/** GPU `i` as "0 NVIDIA H200 (GPU-5f1c…)". */
const label = (g: GpuInfo): string => `${g.index} ${g.name} (${g.uuid})`;

/**
 * Which GPUs the ids select: indices, full or unique-prefix UUIDs (`GPU-…`, with or without the
 * prefix), MIG UUIDs (their parent GPU is measured: NVML gives no per-instance power). An id that
 * matches nothing (or several) selects nothing; `unmatched` says so for each, with the GPUs found.
 */
export function selectGpus(found: readonly GpuInfo[], ids: readonly string[], key: string, origin: string):
  { tracked: number[]; notes: string[]; unmatched: string[] } {
  const tracked = new Set<number>();
  const notes: string[] = [];
  const unmatched: string[] = [];
  const list = found.length === 0 ? 'none' : found.map(label).join('; ');
  for (const raw of ids) {
    const id = raw.trim();
    if (id === '') continue;
    let matches: GpuInfo[];
    if (/^\d+$/.test(id)) {
      matches = found.filter((g) => g.index === Number(id));
    } else if (/^mig-/i.test(id)) {
      matches = found.filter((g) => g.migUuids.some((m) => m.toLowerCase().startsWith(id.toLowerCase())));
      if (matches.length === 1) notes.push(`${id} is a MIG instance of GPU ${label(matches[0]!)}: NVML has no per-instance power, so the whole GPU is measured`);
    } else {
      const want = id.toLowerCase().replace(/^gpu-/, '');
      matches = found.filter((g) => g.uuid.toLowerCase().replace(/^gpu-/, '').startsWith(want));
    }
    if (matches.length !== 1) {
      unmatched.push(`${key} (from ${origin}): ${JSON.stringify(id)} ${matches.length === 0 ? 'matches no GPU'
        : `matches ${matches.length} GPUs (${matches.map(label).join('; ')}): give more of the UUID`}; GPUs found: ${list}; `
        + 'use indices, UUIDs (GPU-…), MIG UUIDs (MIG-…) or unique UUID prefixes');
      continue;
    }
    tracked.add(matches[0]!.index);
  }
  return { tracked: [...tracked].sort((a, b) => a - b), notes, unmatched };
}

/**
 * Loads NVML (once per thread) and lists the GPUs and the ones to track. A machine without the
 * library or the driver has no GPUs to measure: that is a reason, not an error. A gpu_ids entry
 * that matches no GPU is left out with a warning, as upstream does: the rest is measured.
 */
export function planGpus(o: GpuOptions): GpuPlan & { warnings: { cause: string; message: string }[] } {
  const warnings: { cause: string; message: string }[] = [];
  if (session !== null && session.library !== o.nvmlLibrary) closeSession();
  // GPUs asked for by id and none to be had: said, where a machine without GPUs is not news.
  const askedFor = (why: string): void => {
    if (o.gpuIds !== null && o.gpuIds.trim() !== '') {
      warnings.push({ cause: 'gpu-ids:none', message: `gpu_ids = ${o.gpuIds} (from ${o.gpuIdsOrigin ?? 'argument'}) asks for GPUs, but ${why}: `
        + 'no GPU is measured, the CPU and RAM are as usual' });
    }
  };
  if (session === null && o.nvmlLibrary === defaultNvmlLibrary && !nvidiaDriverPresent()) {
    const why = `no NVIDIA driver on this machine (no ${driverMarks.join(', no ')})`;
    askedFor(why);
    return { found: [], tracked: [], warnings, reason: `${why}: GPUs are not measured; set nvml_library to load one anyway` };
  }
  if (session === null) {
    try {
      const nvml = Nvml.open(o.nvmlLibrary);
      try {
        const n = nvml.count();
        session = { library: o.nvmlLibrary, nvml, devices: Array.from({ length: n }, (_, i) => nvml.deviceByIndex(i)) };
      } catch (e) {
        nvml.close();
        throw e;
      }
    } catch (e) {
      const why = (e as Error).message;
      // A configured library that cannot be used is worth a warning; the default one missing is a machine without NVIDIA GPUs.
      if (o.nvmlLibrary !== defaultNvmlLibrary) warnings.push({ cause: 'nvml-load', message: `${why}: GPUs are not measured` });
      else askedFor(`NVML could not be loaded (${why})`);
      return { found: [], tracked: [], reason: `no NVIDIA GPU measured: ${why}`, warnings };
    }
  }
  const { nvml, devices } = session;
  const found: GpuInfo[] = devices.map((d, index) => {
    const energy = nvml.energyMj(d);
    return { index, uuid: nvml.uuid(d), name: nvml.name(d), powerLimitW: nvml.powerLimitW(d),
      energyCounter: typeof energy === 'bigint', migUuids: nvml.migUuids(d) };
  });
  let tracked = found.map((g) => g.index);
  let why = `all ${found.length} GPUs found`;
  if (o.gpuIds !== null && o.gpuIds.trim() !== '') {
    const sel = selectGpus(found, o.gpuIds.split(','), 'gpu_ids', o.gpuIdsOrigin ?? 'arguments, CODECARBON_GPU_IDS or a config file');
    tracked = sel.tracked;
    why = `gpu_ids = ${o.gpuIds}`;
    sel.notes.forEach((n, i) => warnings.push({ cause: `gpu-mig:${i}`, message: n }));
    sel.unmatched.forEach((m, i) => warnings.push({ cause: `gpu-ids:${i}`, message: `${m}. It is left out: `
      + `${tracked.length === 0 ? 'no GPU is measured' : `GPUs ${tracked.join(', ')} are measured`}, and the CPU and RAM as usual` }));
  } else if (o.cudaVisibleDevices !== null) {
    const visible = o.cudaVisibleDevices.trim();
    why = `CUDA_VISIBLE_DEVICES = ${JSON.stringify(o.cudaVisibleDevices)}`;
    if (visible === '' || visible === 'NoDevFiles') {
      tracked = [];
    } else {
      // As CUDA reads it: the entries up to the first one that names no GPU.
      const ids = visible.split(',');
      tracked = [];
      for (const id of ids) {
        const sel = selectGpus(found, [id], 'CUDA_VISIBLE_DEVICES', 'the environment');
        if (sel.unmatched.length > 0) {
          warnings.push({ cause: 'cuda-visible-devices', message: `${sel.unmatched[0]}; as CUDA does, the GPUs after it are not visible either` });
          break;
        }
        tracked.push(...sel.tracked.filter((t) => !tracked.includes(t)));
        sel.notes.forEach((n) => warnings.push({ cause: `gpu-mig:${id}`, message: n }));
      }
    }
  }
  tracked.sort((a, b) => a - b);
  if (found.length === 0) why = 'NVML found no GPU';
  if (tracked.length === 0 && found.length > 0) why += ': no GPU selected';
  const tracking = found.filter((g) => tracked.includes(g.index));
  const noCounter = tracking.filter((g) => !g.energyCounter);
  const reason = tracking.length === 0 ? why
    : `${why}; ${tracking.map((g) => `${label(g)}: ${g.energyCounter ? 'energy counter + power samples' : 'power samples only (no energy counter)'}`).join('; ')}`;
  if (noCounter.length > 0) {
    warnings.push({ cause: 'nvml-no-counter', message: `${noCounter.map(label).join('; ')}: no energy counter (pre-Volta, or a vGPU/MIG `
      + 'setup): the energy is integrated from power readings (nvml-power), less exact' });
  }
  return { found, tracked, reason, warnings };
}

/** `detect`'s view: the plan without keeping NVML open. */
export function probeGpus(o: GpuOptions): GpuPlan & { warnings: { cause: string; message: string }[] } {
  try {
    return planGpus(o);
  } finally {
    closeSession();
  }
}

/** Share of one core that counter readings may take per GPU. */
const counterCpuBudget = 0.005;

interface Tracked {
  readonly info: GpuInfo;
  readonly device: NvmlDevice;
  readonly channel: number;
  readonly hybrid: boolean;
  /** Where in the counter period this GPU's readings fall (j / n for the j-th of n): spread evenly. */
  readonly phase: number;
  lost: boolean;
  lastCounterMs: number;
  nextCounterMs: number;
  /** The wall-clock cost of the last counter readings, ms (the first reading's left out: see #readCounter()). */
  readonly costs: CostWindow;
}

/**
 * The typical cost of a call, from its last few: their median. On a busy machine a call preempted
 * midway looks many times dearer than it is; one such call (or two of five) leaves the median as
 * it was, where a mean would stretch the counter's cadence for nothing. A lasting change of cost
 * moves it within three calls. Until two calls are known, the cadence is the one asked for.
 */
export class CostWindow {
  readonly #ms = new Float64Array(5);
  readonly #sorted = new Float64Array(5);
  #n = 0;

  add(ms: number): void {
    this.#ms[this.#n % this.#ms.length] = ms;
    this.#n++;
  }

  /**
   * The median of the kept costs (the lower middle of an even count, so the cheaper of two); 0
   * before two: one call alone may be a preempted one.
   */
  get medianMs(): number {
    const k = Math.min(this.#n, this.#ms.length);
    if (k < 2) return 0;
    const s = this.#sorted.subarray(0, k);
    s.set(this.#ms.subarray(0, k));
    s.sort();
    return s[(k - 1) >> 1]!;
  }
}

/** Samples the tracked GPUs: power at every tick, the energy counter of one GPU at a time when due. */
export class GpuSource implements EnergySource {
  readonly channels: ChannelInfo[];
  readonly #gpus: Tracked[];
  readonly #nvml: Nvml;
  readonly #periodMs: number;

  constructor(plan: GpuPlan, o: GpuOptions, readonly warn: Warn) {
    if (session === null) throw new Error('GpuSource: planGpus() first');
    this.#nvml = session.nvml;
    this.#periodMs = o.gpuCounterPeriodMs;
    const devices = session.devices;
    const tracking = plan.found.filter((g) => plan.tracked.includes(g.index));
    this.channels = tracking.map((g) => {
      const maxPowerW = Math.max(2 * (g.powerLimitW ?? 1000), 100);
      const base = { id: `nvml:${g.uuid}`, component: 'gpu' as const, measured: true, kind: 'power' as const, maxPowerW,
        utilization: true as const };
      return g.energyCounter
        ? { ...base, source: 'nvml' as const, counter: { scaleUj: 1000, maxPowerW },
          detail: `GPU ${label(g)}: energy counter (exact) spread over power samples` }
        : { ...base, source: 'nvml-power' as const, detail: `GPU ${label(g)}: integrated power readings (no energy counter)` };
    });
    const hybrids = tracking.filter((g) => g.energyCounter).length;
    let h = 0;
    this.#gpus = tracking.map((info, channel) => ({
      info, device: devices[info.index], channel, hybrid: info.energyCounter, phase: info.energyCounter ? h++ / hybrids : 0,
      lost: false, lastCounterMs: -Infinity, nextCounterMs: Infinity, costs: new CostWindow(),
    }));
  }

  /** Effective counter period: the wanted one, or longer when a reading costs more than the CPU budget. */
  #counterPeriodMs(costMs: number): number {
    return Math.max(this.#periodMs, costMs / counterCpuBudget);
  }

  read(sink: ReadingSink, offset: number, tMs: number, exact: boolean, slowdown = 1): void {
    // While the process idles, the sampler's ticks slow down (20 times by default) and so does the
    // counter's cadence (a reading costs 4 ms of CPU on an H200): the power readings carry the
    // energy between, and a stop or a flush reads the counter anyway.
    let due: Tracked | null = null;
    let dueBy = 0;
    for (const g of this.#gpus) {
      if (g.lost) continue;
      const w = this.#nvml.powerW(g.device);
      if (w >= 0) sink.setPower(offset + g.channel, w);
      else if (this.#failed(g, -w, 'nvmlDeviceGetPowerUsage', sink, offset)) continue;
      const u = this.#nvml.utilizationPercent(g.device);
      if (u >= 0) sink.setUtilization(offset + g.channel, u);
      if (!g.hybrid) continue;
      const since = tMs - g.lastCounterMs;
      if (exact || g.lastCounterMs === -Infinity) {
        // A stop or a flush of a long run waits for exact totals (the tracker asks no more often).
        this.#readCounter(g, sink, offset, tMs);
        continue;
      }
      const over = since - g.nextCounterMs * slowdown;
      // The most overdue GPU only: one tick blocks for one counter reading at most.
      if (over >= 0 && (due === null || over > dueBy)) { due = g; dueBy = over; }
    }
    if (due !== null) this.#readCounter(due, sink, offset, tMs);
  }

  #readCounter(g: Tracked, sink: ReadingSink, offset: number, tMs: number): void {
    const t0 = performance.now();
    const mj = this.#nvml.energyMj(g.device);
    // The first reading (every GPU's, at start) also pays the library's first call: not a reading's cost.
    if (g.lastCounterMs !== -Infinity) g.costs.add(performance.now() - t0);
    // After the first reading, GPU j of n waits j/n of a period more: spread evenly.
    g.nextCounterMs = this.#counterPeriodMs(g.costs.medianMs) * (g.lastCounterMs === -Infinity ? 1 + g.phase : 1);
    g.lastCounterMs = tMs;
    if (typeof mj === 'bigint') sink.setHybridCounter(offset + g.channel, mj);
    else this.#failed(g, mj, 'nvmlDeviceGetTotalEnergyConsumption', sink, offset);
  }

  /** A failed call: a lost GPU stops (true); anything else is skipped this tick with one warning per cause. */
  #failed(g: Tracked, code: number, call: string, sink: ReadingSink, offset: number): boolean {
    if (code === NVML_GPU_IS_LOST) {
      g.lost = true;
      if (g.hybrid) sink.retireHybrid(offset + g.channel);
      this.warn(`gpu-lost:${g.info.uuid}`, `GPU ${label(g.info)} stopped answering (${call}: ${this.#nvml.errorText(code)}): `
        + 'its energy until then is kept; it is not measured from here on, the other components are');
      return true;
    }
    this.warn(`gpu-read:${g.info.uuid}:${code}`, `GPU ${label(g.info)}: ${call} failed (${this.#nvml.errorText(code)}); `
      + `${code === NVML_NOT_SUPPORTED ? 'it is' : 'such readings are'} skipped and measuring goes on`);
    return false;
  }

  close(): void {
    closeSession();
  }
}

/** CodeCarbon's gpu_model: "2 x NVIDIA H200", joined with ", " when the models differ. */
export function gpuModel(plan: GpuPlan): string {
  const counts = new Map<string, number>();
  for (const g of plan.found) if (plan.tracked.includes(g.index)) counts.set(g.name, (counts.get(g.name) ?? 0) + 1);
  return [...counts].map(([name, n]) => `${n} x ${name}`).join(', ');
}
