// `codecarbon bench FILE`: runs a tinybench suite with energy attached and prints the table.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Bench } from 'tinybench';
import { attachEnergy, type EnergyBenchOptions } from '../bench/index.js';
import { CodeCarbonError } from '../errors.js';

export const benchUsage = `  bench FILE [options]
      Runs the tinybench suite FILE exports (a Bench, or a function returning one) with energy
      attached, and prints tinybench's table with energy per operation, power and gCO2e/op.
      --baseline-ms N   measure idle power for N ms first (dynamic energy per op, ± spread)
      --json            print everything as JSON instead    --csv FILE   also write CSV
      --offline --country-iso-code CODE [--region R]        location without network`;

function parse(args: string[]): { file: string; json: boolean; csv: string | null; options: EnergyBenchOptions } {
  const options: Record<string, unknown> = {};
  let file: string | null = null;
  let json = false;
  let csv: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new CodeCarbonError('ERR_CODECARBON_USAGE', `${a} needs a value`);
      return v;
    };
    if (a === '--json') json = true;
    else if (a === '--offline') options['offline'] = true;
    else if (a === '--csv') csv = value();
    else if (a === '--country-iso-code') options['countryIsoCode'] = value();
    else if (a === '--region') options['region'] = value();
    else if (a === '--baseline-ms') {
      const ms = Number(value());
      if (!(ms > 0)) throw new CodeCarbonError('ERR_CODECARBON_USAGE', `--baseline-ms expects a number of ms > 0, got ${args[i]}`);
      options['baseline'] = { durationMs: ms };
    } else if (a.startsWith('-') || file !== null) {
      throw new CodeCarbonError('ERR_CODECARBON_USAGE', `unknown argument for bench: ${a}\n\nUsage:\n${benchUsage}`);
    } else file = a;
  }
  if (file === null) throw new CodeCarbonError('ERR_CODECARBON_USAGE', `bench needs a FILE\n\nUsage:\n${benchUsage}`);
  return { file, json, csv, options: options as EnergyBenchOptions };
}

/** `codecarbon bench …`; resolves to the exit code. */
export async function bench(args: string[]): Promise<number> {
  const { file, json, csv, options } = parse(args);
  const mod = await import(pathToFileURL(resolve(file)).href) as { default?: unknown };
  const exported = typeof mod.default === 'function' && !('tasks' in mod.default) ? await (mod.default as () => unknown)() : mod.default;
  if (typeof exported !== 'object' || exported === null || !('run' in exported) || !('tasks' in exported)) {
    throw new CodeCarbonError('ERR_CODECARBON_USAGE', `${file} must export default a tinybench Bench (or a function returning one), `
      + 'with its tasks added and not yet run: export default bench;');
  }
  const suite = exported as Bench;
  const energy = await attachEnergy(suite, options);
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
