// Ordered probes: which sources this machine offers, which are chosen, and why the rest are not.
import type { EngineOptions } from '../sampler/options.js';
import { readCgroupLimits, usableCpus, type CgroupLimits } from './cgroup.js';
import { lookupTdp, readCpuInfo, type CpuInfo, type TdpMatch } from './cpu-info.js';
import { ConstantSource, openCpuEstimate } from './cpu-load.js';
import { memTotalBytes } from './proc.js';
import { readSlurmJob, type SlurmJob } from './slurm.js';
import { dimmCount, dimmModelW, openProcessRam } from './ram.js';
import { defaultRaplDir, openRapl, permissionMessage, planRapl, raplDirExists, raplRoots, type RaplPlan } from './rapl.js';
import { closeSession, GpuSource, planGpus, probeGpus, type GpuPlan } from './gpu.js';
import type { EnergySource, Warn } from './source.js';

/** What the machine offers and what the engine will use, with reasons; the `detect` CLI prints it. */
export interface HardwarePlan {
  readonly cpuInfo: CpuInfo;
  readonly tdp: TdpMatch;
  readonly cgroup: CgroupLimits;
  readonly usableCpus: number;
  readonly memTotalBytes: number;
  /** Memory the RAM model sizes: total RAM, or the cgroup's memory.max or the SLURM job's memory when smaller. */
  readonly ramModelBytes: number;
  /** The SLURM job this runs in (its CPUs are cpuInfo.threads and bound usableCpus), or null. */
  readonly slurm: SlurmJob | null;
  readonly arm: boolean;
  readonly rapl: RaplPlan;
  readonly cpu: { readonly source: string; readonly measured: boolean; readonly reason: string };
  readonly ram: { readonly source: string; readonly measured: boolean; readonly reason: string };
  readonly gpus: GpuPlan;
  readonly warnings: readonly { readonly cause: string; readonly message: string }[];
}

const gib = 1024 ** 3;

function chooseCpu(o: EngineOptions, rapl: RaplPlan, tdp: TdpMatch): HardwarePlan['cpu'] {
  if (o.forceCpuPower !== null) {
    return { source: o.trackingMode === 'process' ? 'cpu-process' : 'cpu-load', measured: false,
      reason: `force_cpu_power is set: RAPL skipped, load estimate with TDP ${o.forceCpuPower} W` };
  }
  const how = o.trackingMode === 'process' ? 'cpu-process' : 'cpu-load';
  if (o.forceModeCpuLoad) return { source: how, measured: false, reason: `force_mode_cpu_load is set; ${tdp.detail}` };
  if (rapl.cpu.length > 0) {
    const psys = rapl.cpu[0]!.domain === 'psys';
    return { source: psys ? 'rapl-psys' : 'rapl', measured: true,
      reason: `RAPL counters: ${rapl.cpu.map((z) => `${z.name} (${z.id})`).join(', ')}` };
  }
  return { source: how, measured: false, reason: `no readable RAPL package or psys zone; ${tdp.detail}` };
}

function chooseRam(o: EngineOptions, rapl: RaplPlan, ramModelBytes: number, arm: boolean): HardwarePlan['ram'] {
  if (o.forceRamPower !== null) return { source: 'ram-forced', measured: false, reason: `force_ram_power = ${o.forceRamPower} W` };
  if (rapl.ram.length > 0) {
    return { source: 'rapl-dram', measured: true, reason: `RAPL DRAM counters: ${rapl.ram.map((z) => z.id).join(', ')}` };
  }
  if (o.trackingMode === 'process') return { source: 'ram-process', measured: false, reason: 'DIMM model of the process tree\'s RSS' };
  const size = ramModelBytes / gib;
  return { source: 'dimm-model', measured: false,
    reason: `DIMM model: ${size.toFixed(1)} GiB → ${dimmCount(size)} DIMMs → ${dimmModelW(size, arm)} W` };
}

/**
 * Probes the machine: reads files, and asks NVML for its GPUs. Starts nothing; NVML is shut down
 * again unless `keepGpus` (the sampler thread, which goes on to read them, and which looks the
 * CPU's TDP up only when it will need it). `beforeGpus` runs before NVML
 * is asked (the sampler thread marks the phase: a driver that never answers is then named).
 */
export function planHardware(o: EngineOptions, keepGpus = false, beforeGpus?: () => void): HardwarePlan {
  const warnings: { cause: string; message: string }[] = [];
  // A SLURM job counts for its allocation: its CPUs and memory, not the node's (as upstream).
  const job = o.slurmJobId === null ? null : readSlurmJob({ SLURM_JOB_ID: o.slurmJobId }, (message) => warnings.push({ cause: 'slurm', message }));
  const node = readCpuInfo(o.procDir);
  const cpuInfo = job?.cpus == null ? node : { ...node, threads: job.cpus };
  const cgroup = readCgroupLimits(o.cgroupDir, o.procDir);
  const total = memTotalBytes(o.procDir);
  const ramModelBytes = Math.min(total, cgroup.memoryMaxBytes ?? Infinity, job?.memBytes ?? Infinity);
  const arm = process.arch.startsWith('arm');
  const rapl = planRapl(raplRoots(o.raplDir), o.raplPreferPsys);
  // The sampler thread looks the TDP up only when it will estimate the CPU: matching a model
  // against 4,900 table entries costs its start-up milliseconds and garbage for nothing otherwise.
  const tdp = keepGpus && rapl.cpu.length > 0 && o.forceCpuPower === null && !o.forceModeCpuLoad
    ? { tdpW: 0, origin: 'not-needed' as const, detail: 'TDP not looked up: RAPL counters measure the CPU' }
    : lookupTdp(cpuInfo, o.forceCpuPower);
  const denied = rapl.choices.filter((c) => c.zone.unreadableReason === 'EACCES' || c.zone.unreadableReason === 'EPERM')
    .filter((c) => ['package', 'psys', 'dram'].includes(c.zone.domain)).map((c) => `${c.zone.path}/energy_uj`);
  if (denied.length > 0) warnings.push({ cause: 'rapl-permission', message: permissionMessage(denied) });
  if (o.raplDir !== defaultRaplDir && !raplDirExists(o.raplDir)) {
    warnings.push({ cause: 'rapl-dir', message: `rapl_dir ${o.raplDir} is not a directory: no RAPL counter can be read there; `
      + `fix rapl_dir (or CODECARBON_RAPL_DIR), or leave it unset for ${defaultRaplDir}` });
  }
  beforeGpus?.();
  const { warnings: gpuWarnings, ...gpus } = (keepGpus ? planGpus : probeGpus)(o);
  warnings.push(...gpuWarnings);
  return {
    cpuInfo, tdp, cgroup, usableCpus: Math.min(usableCpus(cgroup), job?.cpus ?? Infinity), memTotalBytes: total, ramModelBytes, arm, rapl, slurm: job,
    cpu: chooseCpu(o, rapl, tdp),
    ram: chooseRam(o, rapl, ramModelBytes, arm),
    gpus,
    warnings,
  };
}

/**
 * Opens the chosen sources: CPU first, then RAM, then GPUs (after planHardware(o, true) in this thread).
 * `standIn(i)`, when given and not null for source i, takes that source's place unopened: a successor
 * of a sampler thread stuck in its read does not touch that hardware again.
 */
export function openSources(o: EngineOptions, plan: HardwarePlan, warn: Warn,
  standIn: (i: number) => EnergySource | null = () => null): EnergySource[] {
  const opens: (() => EnergySource)[] = [];
  const cpuRapl = plan.cpu.measured;
  const ramRapl = plan.ram.source === 'rapl-dram';
  if (cpuRapl || ramRapl) {
    opens.push(() => openRapl({ ...plan.rapl, cpu: cpuRapl ? plan.rapl.cpu : [] }, warn, ramRapl));
  }
  if (!cpuRapl) {
    opens.push(() => openCpuEstimate({ tdp: plan.tdp, mode: o.trackingMode, procDir: o.procDir, pid: o.pid,
      usableCpus: plan.usableCpus, warn }));
  }
  if (plan.ram.source === 'ram-forced') {
    opens.push(() => new ConstantSource({ id: 'ram-forced', component: 'ram', source: 'ram-forced', measured: false,
      detail: `constant ${o.forceRamPower} W from force_ram_power` }, o.forceRamPower!));
  } else if (plan.ram.source === 'ram-process') {
    opens.push(() => openProcessRam(o.procDir, o.pid, plan.arm, warn));
  } else if (plan.ram.source === 'dimm-model') {
    const watts = dimmModelW(plan.ramModelBytes / gib, plan.arm);
    opens.push(() => new ConstantSource({ id: 'dimm-model', component: 'ram', source: 'dimm-model', measured: false,
      detail: `estimate: ${plan.ram.reason}` }, watts));
  }
  if (plan.gpus.tracked.length > 0) opens.push(() => new GpuSource(plan.gpus, o, warn));
  else closeSession(); // GPUs found but none selected: NVML is not needed any more
  return opens.map((open, i) => standIn(i) ?? open());
}
