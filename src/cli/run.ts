// The codecarbon command's dispatcher: `detect` says what this machine can measure, `monitor`
// tracks a command, `bench` runs a tinybench suite with energy, `config` shows the configuration,
// `board` and `report` show emissions files. Each command loads when it runs.
import { readFileSync } from 'node:fs';
import { CodeCarbonError } from '../errors.js';
import { benchUsage, boardUsage, configUsage, detectUsage, monitorUsage, reportUsage } from './usage.js';

const usage = `Usage: codecarbon <command> [options]

Commands:
${detectUsage}
${monitorUsage}
${benchUsage}
${configUsage}
${boardUsage}
${reportUsage}

Options:
  -h, --help       this text
  -v, --version    the package version`;

async function dispatch(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) throw new CodeCarbonError('ERR_CODECARBON_USAGE', `a command is needed\n\n${usage}`);
  if (command === '-h' || command === '--help') {
    console.log(usage);
    return 0;
  }
  if (command === '-v' || command === '--version') {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    console.log(pkg.version);
    return 0;
  }
  if (command === 'monitor') return (await import('./monitor.js')).monitor(rest);
  if (command === 'bench') return (await import('./bench.js')).bench(rest);
  if (command === 'config') return (await import('./config.js')).config(rest);
  if (command === 'board') return (await import('./board.js')).board(rest);
  if (command === 'report') return (await import('./board.js')).report(rest);
  if (command !== 'detect') throw new CodeCarbonError('ERR_CODECARBON_USAGE', `unknown command: ${command}\n\n${usage}`);
  return (await import('./detect.js')).detect(rest);
}

/**
 * Runs the command line `argv` (without node and the script) and resolves to its exit status: a
 * usage or configuration error is printed as `codecarbon: <message>` on stderr and gives 2.
 */
export async function runCli(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (e) {
    if (!(e instanceof CodeCarbonError)) throw e;
    console.error(`codecarbon: ${e.message}`);
    return 2;
  }
}
