// `codecarbon monitor [-- command]`: tracks a command (or the machine) and reports its energy and emissions.
import { spawn, type ChildProcess } from 'node:child_process';
import { logLevels } from '../config/keys.js';
import { readNumber } from '../config/values.js';
import { CodeCarbonError, ConfigError } from '../errors.js';
import { probeWritable, writeFix } from '../output/csv.js';
import { outputPath } from '../output/paths.js';
import { methodsOf } from '../output/select.js';
import { OfflineEmissionsTracker } from '../offline.js';
import { printWarning, type TrackerWarningEvent } from '../events.js';
import { EmissionsTracker } from '../tracker.js';
import type { TrackerOptions } from '../types.js';
import { flagValue, inFlagWords, warningInFlagWords } from './flags.js';
import { shellLine } from './quote.js';
import { finish, liveLine } from './report.js';
import { forward, SignalCatcher, signalStatus, stopPatiently } from './signals.js';
import { monitorUsage } from './usage.js';

const valueFlags: Record<string, keyof TrackerOptions> = {
  '--country-iso-code': 'countryIsoCode', '--region': 'region', '--measure-power-secs': 'measurePowerSecs',
  '--output-dir': 'outputDir', '--output-file': 'outputFile', '--project-name': 'projectName',
  '--cloud-provider': 'cloudProvider', '--cloud-region': 'cloudRegion', '--gpu-ids': 'gpuIds', '--nvml-library': 'nvmlLibrary',
  '--api-call-interval': 'apiCallInterval', '--log-level': 'logLevel', '--experiment-id': 'experimentId',
  '--api-endpoint': 'apiEndpoint', '--output-methods': 'outputMethods', '--prometheus-listen-address': 'prometheusListenAddress',
};

/** Flags without a value, and the option each sets. */
const switches: Record<string, [keyof TrackerOptions, unknown]> = { '--api': ['saveToApi', true], '--no-api': ['saveToApi', false] };

/** Every option monitor accepts. */
export const monitorFlags: readonly string[] = ['--offline', ...Object.keys(switches), ...Object.keys(valueFlags), '-h', '--help'];

const usageError = (message: string): CodeCarbonError => new CodeCarbonError('ERR_CODECARBON_USAGE', message);

interface MonitorArgs {
  offline: boolean;
  help: boolean;
  options: Record<string, unknown>;
  /** Each option set, with the flag that set it (for errors in the command line's words). */
  flags: Record<string, string>;
  command: string[] | null;
}

/** The error for `args[i]`, which is none of monitor's options: a command given without its "--" is told so. */
function notAnOption(args: readonly string[], i: number): CodeCarbonError {
  const a = args[i]!;
  if (a.startsWith('-')) return usageError(`unknown option for monitor: ${a}\n\nUsage:\n${monitorUsage}`);
  return usageError(`monitor: ${JSON.stringify(a)} is not an option; to run a command, put "--" before it: `
    + `codecarbon ${shellLine(['monitor', ...args.slice(0, i), '--', ...args.slice(i)])}`);
}

function parse(args: string[]): MonitorArgs {
  const options: Record<string, unknown> = {};
  const flags: Record<string, string> = {};
  let offline = false;
  let help = false;
  let i = 0;
  for (; i < args.length && args[i] !== '--'; i++) {
    const a = args[i]!;
    const key = valueFlags[a];
    if (a === '--offline') offline = true;
    else if (a === '-h' || a === '--help') help = true;
    else if (switches[a] !== undefined) [options[switches[a][0]], flags[switches[a][0]]] = [switches[a][1], a];
    else if (key !== undefined) {
      const v = flagValue(args, i++);
      flags[key] = a;
      if (key === 'measurePowerSecs' && !((readNumber(v) ?? 0) > 0)) {
        throw usageError(`${a} expects a number of seconds > 0 (e.g. 15 or 0.5), got ${JSON.stringify(v)}`);
      }
      options[key] = v;
    } else throw notAnOption(args, i);
  }
  const list = typeof options['outputMethods'] === 'string' ? options['outputMethods'].split(',').map((m) => m.trim().toLowerCase()) : null;
  if (list !== null && flags['saveToApi'] !== undefined && list.includes('api') !== options['saveToApi']) {
    // output_methods decides alone (as CodeCarbon's does): the switch would be dropped without a word.
    throw usageError(`${flags['saveToApi']} contradicts --output-methods ${String(options['outputMethods'])}, which decides the outputs alone; `
      + `drop ${flags['saveToApi']}, or ${options['saveToApi'] === true ? 'add' : 'remove'} api in --output-methods`);
  }
  if (i === args.length - 1) {
    throw usageError('monitor: "--" must be followed by the command to run; leave "--" out to track the whole machine until Ctrl-C');
  }
  if (i < args.length && args[i + 1]!.trim() === '') {
    throw usageError(`monitor: the command after "--" is empty (${JSON.stringify(args[i + 1])}): give the program to run, e.g. -- node app.js`);
  }
  return { offline, help, options, flags, command: i < args.length ? args.slice(i + 1) : null };
}

/** Every option's flag, for messages about options the user did not give (an offline run without a location). */
const flagOf: Record<string, string> = Object.fromEntries(Object.entries(valueFlags).map(([flag, option]) => [option, flag]));

/** Output methods that cannot work from the command line, and what to use instead. */
const codeOnlyMethods: Record<string, string> = {
  logger: 'it writes to a logger object (loggingLogger), which only code can pass; use the code API: '
    + 'new EmissionsTracker({ outputMethods: [\'logger\'], loggingLogger: console })',
  otel: 'it reports on the MeterProvider of the process that tracks, and monitor registers none (the command is another '
    + 'process); use the code API in your application after registering a MeterProvider, or --prometheus-listen-address '
    + 'for a scrape endpoint',
};

/**
 * @throws ConfigError when the options choose an output that cannot work from the command line
 * (logger, otel), naming where the choice came from (the flag, a variable, a file's line).
 */
function checkCliOutputs(tracker: EmissionsTracker): void {
  const o = tracker.options;
  for (const m of methodsOf(o)) {
    const why = codeOnlyMethods[m];
    if (why === undefined) continue;
    const fromList = o.outputMethods !== null && o.outputMethods !== undefined;
    const [key, option] = fromList ? ['output_methods', 'outputMethods'] : ['save_to_logger', 'saveToLogger'];
    const origin = tracker.origins[option] ?? 'argument';
    const [name, from] = origin === 'argument' ? ['--output-methods', 'command line'] : [key, origin];
    throw new ConfigError(name, from, `the ${m} output cannot be used from codecarbon monitor: ${why}`);
  }
}

/**
 * @throws ConfigError when the CSV a run would end by writing cannot be written (a directory that
 * does not exist, no permission): said before the command runs, not after hours of it.
 */
function checkCsvWritable(tracker: EmissionsTracker): void {
  if (!tracker.writesCsv) return;
  const o = tracker.options;
  const path = outputPath(o.outputDir, o.outputFile);
  const failed = probeWritable(path);
  if (failed === null) return;
  const [key, option] = (tracker.origins['outputFile'] ?? 'default') !== 'default' ? ['output_file', 'outputFile'] : ['output_dir', 'outputDir'];
  // Given an output_file (a path of its own), that is the key to change, whatever part of it fails.
  const fix = key === 'output_file'
    ? writeFix(failed.code, { dir: 'choose another output_file', file: 'choose another output_file', name: 'choose a shorter output_file' })
    : writeFix(failed.code);
  throw new ConfigError(key, tracker.origins[option] ?? 'default', `${path} cannot be written (${failed.code ?? String(failed)}): ${fix}; nothing was run`);
}

/**
 * A tracker that leaves signals and exit to the monitor. In process mode it counts this process's
 * tree, the command included: once the command ends and is reaped, its CPU time moves into this
 * process's children's time, so nothing it used is lost at the end.
 */
function monitorTracker(Base: typeof EmissionsTracker) {
  return class extends Base {
    protected override handlesExit(): boolean {
      return false;
    }
  };
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  return code ?? (signal !== null ? signalStatus(signal) : 128);
}

/** How the command ended, as the report says it when it failed; null when it succeeded. */
function failure(code: number | null, signal: NodeJS.Signals | null): string | null {
  if (signal !== null) return `was ended by ${signal} (exit status ${exitCodeOf(code, signal)})`;
  return code === 0 ? null : `failed: exit status ${exitCodeOf(code, signal)}`;
}

/** A line at log_level debug, as printWarning() prints a warning (what monitor did with a signal). */
function printDebug(message: string, o: { readonly logLevel?: string | number | null }): void {
  const threshold = typeof o.logLevel === 'number' ? o.logLevel : logLevels[o.logLevel ?? 'info'] ?? 20;
  if (threshold <= logLevels['debug']!) console.error(`[codecarbon DEBUG] ${message}`);
}

/** `status`; a run cut short exits now: the waits it left (the lookup's window, upload sockets) would hold the process up to their time-outs. */
function ended(status: number, cutShort: boolean): number {
  if (cutShort) process.exit(status);
  return status;
}

async function runCommand(tracker: EmissionsTracker, command: string[], signals: SignalCatcher): Promise<number> {
  // Signals are forwarded from before the spawn: a Ctrl-C at the command's first line must reach it.
  let child: ChildProcess | null = null;
  const early: NodeJS.Signals[] = [];
  signals.route((s) => { if (child === null) early.push(s); else forward(child, s, (m) => printDebug(m, tracker.options)); });
  tracker.start();
  const spawned = spawn(command[0]!, command.slice(1), { stdio: 'inherit' });
  if (spawned.pid !== undefined) {
    // spawn() returns after the exec: from here a Ctrl-C reaches the command from the terminal too.
    // Those that came before reached monitor alone: they are sent on.
    child = spawned;
    early.forEach((s) => spawned.kill(s));
  }
  const failed = await new Promise<Error | null>((r) => { spawned.once('spawn', () => r(null)); spawned.once('error', r); });
  if (failed !== null) {
    await tracker.discard();
    const errno = (failed as NodeJS.ErrnoException).code;
    console.error(`codecarbon: cannot run ${command[0]}: ${errno === 'ENOENT' ? 'command not found' : failed.message}`);
    return errno === 'ENOENT' ? 127 : 126;
  }
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => spawned.once('exit', (c, s) => r([c, s])));
  const cutShort = await stopPatiently(tracker, signals); // with the last uploads (API, webhook), each bounded by its time-out
  return ended(finish(tracker, shellLine(command), exitCodeOf(code, signal), { cutShort, status: failure(code, signal) }), cutShort);
}

async function runMachine(tracker: EmissionsTracker, signals: SignalCatcher): Promise<number> {
  tracker.start();
  // Also what keeps this process alive until the signal: the sampler thread does not.
  const live = setInterval(() => {
    const r = tracker.current();
    if (r !== null && process.stderr.isTTY) process.stderr.write(`\r${liveLine(r)}  (Ctrl-C to stop) `);
  }, 1000);
  const stopped = new Promise<NodeJS.Signals>((r) => signals.route(r));
  console.error('codecarbon: measuring the whole machine; Ctrl-C to stop');
  const signal = await stopped;
  clearInterval(live);
  const cutShort = await stopPatiently(tracker, signals, '\n');
  // Ctrl-C is how this mode ends: its row not written is the news, so 74 rather than 130.
  return ended(finish(tracker, 'the machine', tracker.writeError === null ? signalStatus(signal) : 0, { before: '\n', cutShort }), cutShort);
}

/** `codecarbon monitor …`; resolves to the exit code. */
export async function monitor(args: string[]): Promise<number> {
  const { offline, help, options, flags, command } = parse(args);
  if (help) {
    console.log(`Usage: codecarbon\n${monitorUsage}`);
    return 0;
  }
  // Built before anything runs: a bad option is an error, not a half-tracked command.
  let tracker: EmissionsTracker;
  try {
    // CodeCarbon's monitor defaults (a measurement every 10 s, the API every 30), and process mode
    // for a command; a config file, a variable or a flag says otherwise.
    tracker = new (monitorTracker(offline ? OfflineEmissionsTracker : EmissionsTracker))(options,
      { defaults: { trackingMode: command !== null ? 'process' : 'machine', measurePowerSecs: 10, apiCallInterval: 30 } });
  } catch (e) {
    throw inFlagWords(e, { ...flagOf, saveToApi: '--api' }, new Set(Object.keys(flags)));
  }
  // Its warnings in the command line's words (--gpu-ids 0, not gpu_ids = 0 (from argument)).
  const given = new Set(Object.keys(flags));
  tracker.addEventListener('warning', (e) => {
    printWarning(warningInFlagWords((e as TrackerWarningEvent).message, flagOf, given), tracker.options);
  });
  try {
    checkCliOutputs(tracker);
    checkCsvWritable(tracker);
  } catch (e) {
    throw inFlagWords(e, flagOf, new Set(Object.keys(flags)));
  }
  // Caught from here to the end, every one: a signal that ended monitor would lose the row and orphan the command.
  const signals = new SignalCatcher();
  try {
    return await (command !== null ? runCommand(tracker, command, signals) : runMachine(tracker, signals));
  } finally {
    signals.close();
  }
}
