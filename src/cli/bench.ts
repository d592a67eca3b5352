// `codecarbon bench FILE`: runs a tinybench suite with energy attached and prints the table.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Bench } from 'tinybench';
import { errorText } from '../bench/format.js';
import { attachEnergy, keepTaskHooksOutOfPhases, type EnergyBenchOptions } from '../bench/index.js';
import { readNumber } from '../config/values.js';
import { CodeCarbonError } from '../errors.js';
import { existingFirstLine, probeWritable, writeFix } from '../output/csv.js';
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

/** Node's codes for a file its module loader will not run (a README.md, a .ts file, JSON). */
const refusedByLoader = new Set(['ERR_UNKNOWN_FILE_EXTENSION', 'ERR_IMPORT_ASSERTION_TYPE_MISSING', 'ERR_IMPORT_ATTRIBUTE_MISSING']);

/** The fix for a FILE that is not a suite. */
const suiteFix = 'give the path of a file that exports a tinybench Bench';

/** A thrown value in a few words, as Node names an error: `Error [CODE]: message`. */
function thrownText(e: unknown): string {
  if (!(e instanceof Error)) return `a ${typeof e} was thrown: ${String(e)}`;
  const code = (e as NodeJS.ErrnoException).code;
  return `${e.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${e.message}`;
}

/** The error's message, and where in the suite it was thrown (`suite.mjs:3:7`, the file as named) when its stack says. */
function thrownIn(e: unknown, file: string, path: string): string {
  const stack = e instanceof Error ? e.stack ?? '' : '';
  const url = pathToFileURL(path).href;
  const at = stack.split('\n').slice(1).map((line) => /\((.*):(\d+):(\d+)\)$|at (.*):(\d+):(\d+)$/.exec(line.trim()))
    .find((m) => m !== null && [url, path].includes(m[1] ?? m[4] ?? ''));
  return at == null ? thrownText(e) : `${thrownText(e)}, at ${file}:${at[2] ?? at[5]}:${at[3] ?? at[6]}`;
}

/** The module at `path`, imported; a file Node will not load, or whose code fails as it loads, is said in a usage error. */
async function importSuite(file: string, path: string): Promise<{ default?: unknown }> {
  try {
    return await import(pathToFileURL(path).href) as { default?: unknown };
  } catch (e) {
    // Node's loader refuses the file before any of it runs: its kind, not the suite, is wrong.
    if (e instanceof SyntaxError) {
      // Not JavaScript (a data file), or a suite with a typo: Node's stack here is its loader's, not the file's line.
      throw usageError(`bench: ${file} could not be loaded as JavaScript (SyntaxError: ${e.message}): \`node --check ${file}\` `
        + `shows the line; ${suiteFix}`);
    }
    if (refusedByLoader.has((e as NodeJS.ErrnoException).code ?? '')) {
      throw usageError(`bench: ${file} is not a JavaScript module Node can load (${(e as Error).message}); ${suiteFix} `
        + '(.js, .mjs or .cjs; a .ts suite compiled to .js first)');
    }
    // The suite's own code threw, or an import of its failed: what and where, not the harness's stack.
    throw usageError(`bench: ${file} failed as it loaded (${thrownIn(e, file, path)}); \`node ${file}\` runs it alone and shows the whole stack`);
  }
}

/** The suite FILE exports, as a tinybench Bench. */
async function load(file: string): Promise<Bench> {
  const path = resolve(file);
  if (!existsSync(path)) throw usageError(`bench: ${file} was not found (no file at ${path}); ${suiteFix}`);
  if (statSync(path).isDirectory()) throw usageError(`bench: ${file} is a directory; ${suiteFix} (e.g. ${join(file, 'suite.js')})`);
  // The tasks are added as the suite loads, before the harness is attached: the suite's own
  // tinybench keeps their beforeAll/afterAll out of the measured phases from the start.
  const unhook = await hookSuiteTinybench(path);
  let exported: unknown;
  try {
    const mod = await importSuite(file, path);
    const factory = typeof mod.default === 'function' && !('tasks' in mod.default) ? mod.default as () => unknown : null;
    try {
      exported = factory === null ? mod.default : await factory();
    } catch (e) {
      throw usageError(`bench: ${file}'s default export threw when called to make the Bench (${thrownIn(e, file, path)}); `
        + 'it must return a tinybench Bench with its tasks added');
    }
  } finally {
    unhook();
  }
  if (typeof exported !== 'object' || exported === null || !('run' in exported) || !('tasks' in exported)) {
    throw usageError(`${file} must export default a tinybench Bench (or a function returning one), `
      + 'with its tasks added and not yet run: export default bench;');
  }
  return exported as Bench;
}

/**
 * Wraps the tinybench the suite at `path` imports (resolved from its folder) so that its tasks'
 * hooks stay out of their phases; the undo. A suite whose tinybench cannot be found here is
 * measured as it is (attachEnergy() still keeps the bench's setup and teardown out).
 */
async function hookSuiteTinybench(path: string): Promise<() => void> {
  let url: string;
  try {
    url = pathToFileURL(createRequire(path).resolve('tinybench')).href;
  } catch {
    return () => {};
  }
  const mod = await import(url) as { Bench?: unknown };
  return typeof mod.Bench === 'function' && typeof (mod.Bench as { prototype?: { add?: unknown } }).prototype?.add === 'function'
    ? keepTaskHooksOutOfPhases(mod.Bench as Parameters<typeof keepTaskHooksOutOfPhases>[0]) : () => {};
}

/** Why the CSV cannot be written to `path`, with the fix (the CSV output's, in --csv's words). */
function csvFailure(path: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const instead = 'give --csv another path';
  return `--csv ${path}: could not write (${code ?? String(e)}): ${writeFix(code, { dir: instead, file: instead, name: instead })}`;
}

/**
 * A --csv path that cannot be written fails before the suite runs, not after minutes of it; one
 * that holds something else (the suite itself, a tracker's emissions.csv) is not overwritten.
 */
function checkCsvPath(path: string, suite: string | null): void {
  if (suite !== null && resolve(path) === resolve(suite)) {
    throw usageError(`--csv ${path} is the suite file itself: give the CSV another path; nothing was run`);
  }
  const first = existingFirstLine(path);
  if (first !== '' && !first.startsWith('task,runs,')) {
    throw usageError(`--csv ${path} holds something else (its first line: ${JSON.stringify(first.slice(0, 60))}), which it would `
      + 'replace: give another path, or remove the file; nothing was run');
  }
  const failed = probeWritable(path);
  if (failed !== null) throw usageError(`${csvFailure(path, failed)}; nothing was run`);
}

/** `codecarbon bench …`; resolves to the exit code. */
export async function bench(args: string[]): Promise<number> {
  const { file, help, json, csv, options } = parse(args);
  if (help) {
    console.log(`Usage: codecarbon\n${benchUsage}`);
    return 0;
  }
  if (file === null) throw usageError(`bench needs a FILE\n\nUsage:\n${benchUsage}`);
  if (csv !== null) checkCsvPath(csv, file);
  const suite = await load(file);
  const energy = await attachEnergy(suite, options).catch((e: unknown) => {
    const given = new Set(Object.keys(options));
    throw inFlagWords(e, Object.fromEntries(Object.entries(valueFlags).map(([flag, option]) => [option, flag])), given);
  });
  try {
    await suite.run();
    // One reading for every rendering: the table and the CSV give the same figures.
    const results = await energy.results();
    if (json) console.log(JSON.stringify(await energy.report(results), null, 2));
    else console.table(await energy.table(results));
    if (csv !== null) {
      try {
        writeFileSync(csv, await energy.csv(results));
      } catch (e) {
        // Checked before the run, lost since: the results above are printed all the same.
        console.error(`codecarbon: ${csvFailure(csv, e)}; the results are the ${json ? 'JSON' : 'table'} above`);
        return 74; // EX_IOERR, as monitor gives for a row it cannot write
      }
    }
  } finally {
    await energy.stop();
  }
  // A task that threw is a failed suite, as a test runner says: its figures above cover what ran.
  const errored = suite.tasks.filter((t) => t.result.state === 'errored');
  const unmeasured = new Set(energy.unmeasured().map((u) => u.name));
  for (const t of errored) {
    console.error(`codecarbon: bench: task '${String(t.name)}' errored (${errorText(t)}); `
      + (unmeasured.has(String(t.name)) ? 'in warm-up, so it did not run and has no figures' : 'its figures cover the operations before the error'));
  }
  return errored.length > 0 ? 1 : 0;
}
