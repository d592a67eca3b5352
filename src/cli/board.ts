// `codecarbon board` serves a dashboard of emissions files; `codecarbon report` writes the same views as one HTML file.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { boardPaths, isForeign, readBoardFile, whyUnreadable } from '../board/files.js';
import { CodeCarbonError } from '../errors.js';
import { existingFirstLine } from '../output/csv.js';
import { flagValue } from './flags.js';
import { boardUsage, exitNoInput, reportUsage } from './usage.js';

const usageError = (message: string): CodeCarbonError => new CodeCarbonError('ERR_CODECARBON_USAGE', message);

interface Parsed { files: string[]; values: Record<string, string>; help: boolean }

function parse(args: string[], command: string, valueFlags: readonly string[], usage: string): Parsed {
  const parsed: Parsed = { files: [], values: {}, help: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-h' || a === '--help') parsed.help = true;
    else if (valueFlags.includes(a)) {
      parsed.values[a] = flagValue(args, i++);
    } else if (a.startsWith('-') && a !== '-') throw usageError(`unknown argument for ${command}: ${a}\n\nUsage:\n${usage}`);
    else parsed.files.push(a);
  }
  return parsed;
}

/** `codecarbon board [FILES…] [--port 8050] [--host 127.0.0.1]`: serves until Ctrl-C; resolves to the exit code. */
export async function board(args: string[]): Promise<number> {
  const { files, values, help } = parse(args, 'board', ['--port', '--host'], boardUsage);
  if (help) {
    console.log(`Usage: codecarbon\n${boardUsage}`);
    return 0;
  }
  const port = Number(values['--port'] ?? '8050');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw usageError(`--port expects an integer 0…65535 (0: any free port), got ${JSON.stringify(values['--port'])}`);
  }
  const { startBoard } = await import('../board/server.js');
  const paths = boardPaths(files);
  let server;
  try {
    server = await startBoard(paths, { port, host: values['--host'] ?? '127.0.0.1' });
  } catch (e) {
    throw usageError((e as Error).message);
  }
  // Ctrl-C stops the board from the moment its address is printed (a script may signal it at once).
  const stopped = new Promise<void>((done) => {
    const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); done(); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  console.log(`codecarbon board: ${server.url} (${paths.join(', ')}; task files beside them; Ctrl-C to stop)`);
  // Served all the same: the board reads its files again at each look, and a run may write one later.
  const hint = files.length === 0 ? ' (./emissions.csv is the default: name the files to show)' : '';
  for (const path of paths) {
    const why = whyUnreadable(path);
    const file = why === null ? readBoardFile(path) : null;
    if (why !== null) console.error(`codecarbon: board: cannot read ${path} now: ${why}${hint}; the board shows it once it can be read`);
    else if (file !== null && file.kind === 'unusable' && isForeign(file)) console.error(`codecarbon: board: cannot use ${path} now: ${file.problem}; the board shows it once it can be used`);
  }
  const host = values['--host'] ?? '127.0.0.1';
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) {
    console.error(`codecarbon board: listening on ${host}: anyone who can reach this address can read these files' figures; `
      + 'use --host 127.0.0.1 to keep them on this machine');
  }
  await stopped;
  await server.close();
  return 0;
}

/** `codecarbon report [FILES…] [-o report.html]`: writes the self-contained page; resolves to the exit code. */
export async function report(args: string[]): Promise<number> {
  const { files, values, help } = parse(args, 'report', ['-o', '--output'], reportUsage);
  if (help) {
    console.log(`Usage: codecarbon\n${reportUsage}`);
    return 0;
  }
  const out = resolve(values['-o'] ?? values['--output'] ?? 'report.html');
  const paths = boardPaths(files);
  const head = existingFirstLine(out).trimStart().slice(0, 60);
  if (paths.includes(out) || (head !== '' && !/^<!doctype html/i.test(head))) {
    throw usageError(`report: -o ${out} ${paths.includes(out) ? 'is one of the files to report on' : `holds something else (its first line: `
      + `${JSON.stringify(head)})`}, which the report would replace: give another path (e.g. -o report.html), or remove the file`);
  }
  const unreadable = paths.map((p) => [p, whyUnreadable(p)] as const).filter((u): u is [string, string] => u[1] !== null);
  const hint = files.length === 0 ? ' (./emissions.csv is the default: name the files to report on)' : '';
  for (const [path, why] of unreadable) console.error(`codecarbon: report: cannot read ${path}: ${why}${hint}`);
  if (unreadable.length === paths.length) {
    console.error(`codecarbon: exit status ${exitNoInput} (EX_NOINPUT): no file to report on could be read; ${out} was not written`);
    return exitNoInput;
  }
  const [{ BoardState }, { renderPage }] = await Promise.all([import('../board/server.js'), import('../board/page.js')]);
  const model = new BoardState(paths.filter((p) => !unreadable.some(([u]) => u === p)), false).model();
  // Read but of no use (another CSV, a README): as good as unreadable for the report. An empty file
  // is one no run has written yet: listed under Files, not a fault.
  const unusable = model.files.filter(isForeign);
  for (const f of unusable) console.error(`codecarbon: report: cannot use ${f.path}: ${f.problem}`);
  if (unusable.length === model.files.length && unusable.length > 0) {
    console.error(`codecarbon: exit status ${exitNoInput} (EX_NOINPUT): no file to report on could be ${unreadable.length === 0 ? 'used' : 'read or used'}; `
      + `${out} was not written`);
    return exitNoInput;
  }
  try {
    writeFileSync(out, renderPage(model));
  } catch (e) {
    throw new CodeCarbonError('ERR_CODECARBON_USAGE', `report: could not write ${out} (${(e as NodeJS.ErrnoException).code ?? String(e)}): choose another -o`);
  }
  const problems = model.files.filter((f) => f.problem !== null || f.skipped.length > 0).length;
  const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  console.log(`codecarbon report: ${out} (${count(model.totals.runs, 'run')}, ${count(model.projects.length, 'project')} from ${count(model.files.length, 'file')}`
    + `${problems > 0 ? `; ${problems} with skipped lines or problems, listed under Files` : ''})`);
  if (unreadable.length + unusable.length === 0) return 0;
  console.error(`codecarbon: exit status ${exitNoInput} (EX_NOINPUT): ${unreadable.length + unusable.length} of `
    + `${unreadable.length + model.files.length} files could not be ${unusable.length === 0 ? 'read' : unreadable.length === 0 ? 'used' : 'read or used'} `
    + '(named above); the report covers the others');
  return exitNoInput;
}
