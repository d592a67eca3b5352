#!/usr/bin/env node
// The codecarbon command: `detect` says what this machine can measure, `monitor` tracks a command.
import { readFileSync } from 'node:fs';
import { CodeCarbonError } from '../errors.js';
import { resolveEngineOptions, type EngineOptions } from '../sampler/options.js';
import { planHardware } from '../sources/detect.js';
import { detectJson, detectText } from './detect.js';
import { bench, benchUsage } from './bench.js';
import { monitor, monitorUsage } from './monitor.js';

const usage = `Usage: codecarbon <command> [options]

Commands:
  detect [--json] [--rapl-dir DIR] [--tracking-mode machine|process] [--gpu-ids IDS] [--nvml-library PATH]
      What this machine offers (CPU model and TDP, RAPL zones, RAM, GPUs),
      what will be measured or estimated, and why.
${monitorUsage}
${benchUsage}

Options:
  -h, --help       this text
  -v, --version    the package version`;

const detectFlags: Record<string, keyof EngineOptions> = {
  '--rapl-dir': 'raplDir', '--tracking-mode': 'trackingMode', '--gpu-ids': 'gpuIds', '--nvml-library': 'nvmlLibrary',
};

function parseDetect(args: string[]): { json: boolean; options: Partial<EngineOptions> } {
  const options: Record<string, string> = {};
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a in detectFlags) {
      const value = args[++i];
      if (value === undefined) throw new CodeCarbonError('ERR_CODECARBON_USAGE', `${a} needs a value\n\n${usage}`);
      options[detectFlags[a]!] = value;
    } else throw new CodeCarbonError('ERR_CODECARBON_USAGE', `unknown option for detect: ${a}\n\n${usage}`);
  }
  return { json, options: options as Partial<EngineOptions> };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help') {
    console.log(usage);
    return command === undefined ? 1 : 0;
  }
  if (command === '-v' || command === '--version') {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    console.log(pkg.version);
    return 0;
  }
  if (command === 'monitor') return monitor(rest);
  if (command === 'bench') return bench(rest);
  if (command !== 'detect') throw new CodeCarbonError('ERR_CODECARBON_USAGE', `unknown command: ${command}\n\n${usage}`);
  const { json, options } = parseDetect(rest);
  const plan = planHardware(resolveEngineOptions(options));
  console.log(json ? JSON.stringify(detectJson(plan), null, 2) : detectText(plan));
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof CodeCarbonError)) throw e;
  console.error(`codecarbon: ${e.message}`);
  process.exitCode = 2;
}
