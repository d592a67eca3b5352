// `codecarbon bench FILE`: runs a tinybench suite with energy attached and prints the table.
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Bench } from 'tinybench';
import { attachEnergy, type EnergyBenchOptions } from '../bench/index.js';
import { readNumber } from '../config/values.js';
import { CodeCarbonError } from '../errors.js';
import { flagValue, inFlagWords } from './flags.js';
import { benchUsage } from './usage.js';

const valueFlags: Record<string, string> = {
  '--csv': 'csv', '--country-iso-code': 'countryIsoCode', '--region': 'region', '--cloud-provider': 'cloudProvider',
  '--cloud-region': 'cloudRegion', '--baseline-ms': 'baseline',
};

/** Every option bench accepts. */
export const benchFlags: readonly string[] = ['--json', '--offline', ...Object.keys(valueFlags), '-h', '--help'];

const usageError = (message: string): CodeCarbonError => new CodeCarbonError('ERR_CODECARBON_USAGE', message);

interface BenchArgs { file: string | null; help: boolean; json: boolean; csv: string | null; options: EnergyBenchOptions }

function parse(args: string[]): BenchArgs {
  const options: Record<string, unknown> = {};
  const parsed: BenchArgs = { file: null, help: false, json: false, csv: null, options };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const key = valueFlags[a];
    if (a === '--json') parsed.json = true;
    else if (a === '--offline') options['offline'] = true;
    else if (a === '-h' || a === '--help') parsed.help = true;
    else if (key !== undefined) {
      const v = flagValue(args, i++);
      if (key === 'csv') parsed.csv = v;
      else if (key !== 'baseline') options[key] = v;
      else if ((readNumber(v) ?? 0) > 0) options['baseline'] = { durationMs: readNumber(v) };
      else throw usageError(`--baseline-ms expects a number of ms > 0 (e.g. 2000), got ${JSON.stringify(v)}`);
    } else if (a.startsWith('-') || parsed.file !== null) {
      throw usageError(`unknown argument for bench: ${a}\n\nUsage:\n${benchUsage}`);
    } else parsed.file = a;
  }
  return parsed;
}

/** The suite FILE exports, as a tinybench Bench. */
async function load(file: string): Promise<Bench> {
  const path = resolve(file);
  if (!existsSync(path)) {
    throw usageError(`bench: ${file} was not found (no file at ${path}); give the path of a file that exports a tinybench Bench`);
  }
  const mod = await import(pathToFileURL(path).href) as { default?: unknown };
  const exported = typeof mod.default === 'function' && !('tasks' in mod.default) ? await (mod.default as () => unknown)() : mod.default;
  if (typeof exported !== 'object' || exported === null || !('run' in exported) || !('tasks' in exported)) {
    throw usageError(`${file} must export default a tinybench Bench (or a function returning one), `
      + 'with its tasks added and not yet run: export default bench;');
  }
  return exported as Bench;
}

/** `codecarbon bench …`; resolves to the exit code. */
export async function bench(args: string[]): Promise<number> {
  const { file, help, json, csv, options } = parse(args);
  if (help) {
    console.log(`Usage: codecarbon\n${benchUsage}`);
    return 0;
  }
  if (file === null) throw usageError(`bench needs a FILE\n\nUsage:\n${benchUsage}`);
  const suite = await load(file);
  const energy = await attachEnergy(suite, options).catch((e: unknown) => {
    const given = new Set(Object.keys(options));
    throw inFlagWords(e, Object.fromEntries(Object.entries(valueFlags).map(([flag, option]) => [option, flag])), given);
  });
  try {
    await suite.run();
    if (csv !== null) writeFileSync(csv, await energy.csv());
    if (json) console.log(JSON.stringify(await energy.report(), null, 2));
    else console.table(await energy.table());
  } finally {
    await energy.stop();
  }
  return 0;
}
