#!/usr/bin/env node
// The codecarbon command: `detect` says what this machine can measure, `monitor` tracks a command.
import { readFileSync } from 'node:fs';
import { CodeCarbonError } from '../errors.js';
import { resolveEngineOptions } from '../sampler/options.js';
import { planHardware } from '../sources/detect.js';
import { detectJson, detectText, detectUsage, parseDetect } from './detect.js';
import { bench, benchUsage } from './bench.js';
import { monitor, monitorUsage } from './monitor.js';

const usage = `Usage: codecarbon <command> [options]

Commands:
${detectUsage}
${monitorUsage}
${benchUsage}

Options:
  -h, --help       this text
  -v, --version    the package version`;

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
  const { json, help, options } = parseDetect(rest);
  if (help) {
    console.log(`Usage: codecarbon\n${detectUsage}`);
    return 0;
  }
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
