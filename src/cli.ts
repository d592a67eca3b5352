#!/usr/bin/env node
// The codecarbon command: `detect` says what this machine can measure and how.
import { readFileSync } from 'node:fs';
import { CodeCarbonError } from './errors.js';
import { resolveEngineOptions, type EngineOptions } from './sampler/options.js';
import { planHardware, type HardwarePlan } from './sources/detect.js';

const usage = `Usage: codecarbon <command> [options]

Commands:
  detect [--json] [--rapl-dir DIR] [--tracking-mode machine|process]
      What this machine offers (CPU model and TDP, RAPL zones, RAM, GPUs),
      what will be measured or estimated, and why.

Options:
  -h, --help       this text
  -v, --version    the package version`;

const gib = 1024 ** 3;

/** The stable, machine-readable form of a hardware plan (schema 1). */
export function detectJson(plan: HardwarePlan): object {
  return {
    schema: 1,
    cpu: {
      model: plan.cpuInfo.model, sockets: plan.cpuInfo.sockets, threads: plan.cpuInfo.threads,
      usableCpus: plan.usableCpus, cgroupCpuQuota: plan.cgroup.cpuQuota,
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
    gpus: { found: plan.gpus.found, reason: plan.gpus.reason },
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
    `RAPL    ${rapl.roots.join(', ')}: ${rapl.choices.length === 0 ? 'no zones found' : `${rapl.choices.length} zone(s)`}`,
    ...rapl.choices.map(({ zone, use, reason }) => `        ${zone.id.padEnd(18)} ${zone.name.padEnd(16)} `
      + `${use === null ? 'skipped' : `used (${use})`}: ${reason}`),
    `RAM     ${(plan.memTotalBytes / gib).toFixed(1)} GiB`
      + (plan.ramModelBytes < plan.memTotalBytes ? `, ${(plan.ramModelBytes / gib).toFixed(1)} GiB allowed by the cgroup` : ''),
    `GPU     none found: ${plan.gpus.reason}`,
    '',
    'Energy will come from:',
    `  CPU   ${plan.cpu.source} (${plan.cpu.measured ? 'measured' : 'estimated'}): ${plan.cpu.reason}`,
    `  RAM   ${plan.ram.source} (${plan.ram.measured ? 'measured' : 'estimated'}): ${plan.ram.reason}`,
  ];
  if (plan.warnings.length > 0) lines.push('', 'Warnings:', ...plan.warnings.map((w) => `  ${w.message}`));
  return lines.join('\n');
}

function parseDetect(args: string[]): { json: boolean; options: Partial<EngineOptions> } {
  const options: Record<string, string> = {};
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a === '--rapl-dir' || a === '--tracking-mode') {
      const value = args[++i];
      if (value === undefined) throw new CodeCarbonError('ERR_CODECARBON_USAGE', `${a} needs a value\n\n${usage}`);
      options[a === '--rapl-dir' ? 'raplDir' : 'trackingMode'] = value;
    } else throw new CodeCarbonError('ERR_CODECARBON_USAGE', `unknown option for detect: ${a}\n\n${usage}`);
  }
  return { json, options: options as Partial<EngineOptions> };
}

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help') {
    console.log(usage);
    return command === undefined ? 1 : 0;
  }
  if (command === '-v' || command === '--version') {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    console.log(pkg.version);
    return 0;
  }
  if (command !== 'detect') throw new CodeCarbonError('ERR_CODECARBON_USAGE', `unknown command: ${command}\n\n${usage}`);
  const { json, options } = parseDetect(rest);
  const plan = planHardware(resolveEngineOptions(options));
  console.log(json ? JSON.stringify(detectJson(plan), null, 2) : detectText(plan));
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof CodeCarbonError)) throw e;
  console.error(`codecarbon: ${e.message}`);
  process.exitCode = 2;
}
