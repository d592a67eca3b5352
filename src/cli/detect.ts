// `codecarbon detect`: the hardware plan as text for a person, or as stable JSON.
import { existsSync } from 'node:fs';
import { CodeCarbonError } from '../errors.js';
import { resolveEngineOptions, type EngineOptions } from '../sampler/options.js';
import { planHardware, type HardwarePlan } from '../sources/detect.js';
import { flagValue, inFlagWords, warningInFlagWords } from './flags.js';
import { detectUsage } from './usage.js';

const detectFlags: Record<string, keyof EngineOptions> = {
  '--rapl-dir': 'raplDir', '--tracking-mode': 'trackingMode', '--gpu-ids': 'gpuIds', '--nvml-library': 'nvmlLibrary',
};

/** Every option detect accepts. */
export const detectOptionFlags: readonly string[] = ['--json', ...Object.keys(detectFlags), '-h', '--help'];

/** detect's arguments: JSON or text, help, and the engine options given. */
export function parseDetect(args: string[]): { json: boolean; help: boolean; options: Partial<EngineOptions> } {
  const options: Record<string, string> = {};
  let json = false;
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a === '-h' || a === '--help') help = true;
    else if (a in detectFlags) {
      options[detectFlags[a]!] = flagValue(args, i++, `\n\nUsage:\n${detectUsage}`);
    } else throw new CodeCarbonError('ERR_CODECARBON_USAGE', `unknown option for detect: ${a}\n\nUsage:\n${detectUsage}`);
  }
  return { json, help, options: options as Partial<EngineOptions> };
}

const gib = 1024 ** 3;

/** The stable, machine-readable form of a hardware plan (schema 1). */
export function detectJson(plan: HardwarePlan): object {
  return {
    schema: 1,
    cpu: {
      model: plan.cpuInfo.model, sockets: plan.cpuInfo.sockets, threads: plan.cpuInfo.threads,
      usableCpus: plan.usableCpus, cgroupCpuQuota: plan.cgroup.cpuQuota, slurm: plan.slurm,
      tdp: { watts: plan.tdp.tdpW, origin: plan.tdp.origin, entry: plan.tdp.entry ?? null, detail: plan.tdp.detail },
    },
    rapl: {
      roots: plan.rapl.roots,
      zones: plan.rapl.choices.map(({ zone, use, reason }) => ({
        id: zone.id, name: zone.name, path: zone.path, domain: zone.domain, provider: zone.provider,
        readable: zone.readable, maxEnergyRangeUj: zone.maxRangeUj === 0n ? null : zone.maxRangeUj.toString(),
        use, reason,
      })),
    },
    ram: { totalBytes: plan.memTotalBytes, modelBytes: plan.ramModelBytes, cgroupMemoryMaxBytes: plan.cgroup.memoryMaxBytes },
    gpus: { found: plan.gpus.found, tracked: plan.gpus.tracked, reason: plan.gpus.reason },
    use: { cpu: plan.cpu, ram: plan.ram },
    warnings: plan.warnings.map((w) => w.message),
  };
}

/** The plan as a person reads it. */
export function detectText(plan: HardwarePlan): string {
  const { cpuInfo, rapl } = plan;
  const lines = [
    `CPU     ${cpuInfo.model ?? '(model unreadable)'}: ${cpuInfo.threads} threads, ${cpuInfo.sockets} socket(s), `
      + `${plan.usableCpus} usable${plan.cgroup.cpuQuota === null ? '' : ' (cgroup cpu.max)'}`,
    `        ${plan.tdp.detail}`,
    ...(plan.slurm === null ? [] : [`        SLURM job ${plan.slurm.jobId}: ${plan.slurm.cpus ?? '?'} CPUs, `
      + `${plan.slurm.memBytes === null ? '?' : (plan.slurm.memBytes / gib).toFixed(1)} GiB allocated (counted instead of the node's)`]),
    `RAPL    ${rapl.choices.length > 0 ? `${rapl.roots.join(', ')}: ${rapl.choices.length} zone(s)`
      : rapl.roots.map((r) => `${r}: ${existsSync(r) ? 'no zones found' : 'no such directory'}`).join('; ')}`,
    ...rapl.choices.map(({ zone, use, reason }) => `        ${zone.id.padEnd(18)} ${zone.name.padEnd(16)} `
      + `${use === null ? 'skipped' : `used (${use})`}: ${reason}`),
    `RAM     ${(plan.memTotalBytes / gib).toFixed(1)} GiB`
      + (plan.ramModelBytes < plan.memTotalBytes ? `, ${(plan.ramModelBytes / gib).toFixed(1)} GiB ${plan.slurm?.memBytes === plan.ramModelBytes
        ? 'allocated to the SLURM job' : 'allowed by the cgroup'}` : ''),
    ...(plan.gpus.found.length === 0 ? [`GPU     none found: ${plan.gpus.reason}`] : [
      `GPU     ${plan.gpus.found.length} found (NVML), ${plan.gpus.tracked.length} tracked`,
      ...plan.gpus.found.map((g) => `        ${String(g.index).padEnd(3)}${g.uuid}  ${g.name}, power limit `
        + `${g.powerLimitW === null ? 'unknown' : `${g.powerLimitW} W`}, energy counter ${g.energyCounter ? 'yes' : 'no'}`
        + `${g.migUuids.length > 0 ? `, MIG: ${g.migUuids.join(', ')}` : ''}${plan.gpus.tracked.includes(g.index) ? '' : ' (not tracked)'}`),
    ]),
    '',
    'Energy will come from:',
    `  CPU   ${plan.cpu.source} (${plan.cpu.measured ? 'measured' : 'estimated'}): ${plan.cpu.reason}`,
    `  RAM   ${plan.ram.source} (${plan.ram.measured ? 'measured' : 'estimated'}): ${plan.ram.reason}`,
    `  GPU   ${plan.gpus.tracked.length === 0 ? 'none' : 'nvml (measured)'}: ${plan.gpus.reason}`,
  ];
  if (plan.warnings.length > 0) lines.push('', 'Warnings:', ...plan.warnings.map((w) => `  ${w.message}`));
  return lines.join('\n');
}

/** `codecarbon detect …`: prints the hardware plan; resolves to the exit status. */
export async function detect(args: string[]): Promise<number> {
  const { json, help, options } = parseDetect(args);
  if (help) {
    console.log(`Usage: codecarbon\n${detectUsage}`);
    return 0;
  }
  const flagOf = Object.fromEntries(Object.entries(detectFlags).map(([flag, option]) => [option, flag]));
  const given = new Set(Object.keys(options));
  let resolved: EngineOptions;
  try {
    resolved = resolveEngineOptions(options);
  } catch (e) {
    throw inFlagWords(e, flagOf, given);
  }
  const found = planHardware(resolved);
  const plan = { ...found, warnings: found.warnings.map((w) => ({ ...w, message: warningInFlagWords(w.message, flagOf, given) })) };
  console.log(json ? JSON.stringify(detectJson(plan), null, 2) : detectText(plan));
  return 0;
}
