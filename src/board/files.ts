// Which files the board reads: the emissions CSVs named, the task files beside them, harness reports; each read and classified.
import { closeSync, constants, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { EnergyBenchReport, TaskEnergy } from '../bench/index.js';
import { emissionsRequired, readTable, tasksRequired, text, type CsvTable, type SkippedRow } from './rows.js';

/** One file as read: what it is, what was kept, what was skipped, or why it could not be used. */
export type BoardFile =
  | { readonly path: string; readonly kind: 'emissions' | 'tasks'; readonly table: CsvTable; readonly format: string }
  | { readonly path: string; readonly kind: 'bench'; readonly report: EnergyBenchReport }
  | { readonly path: string; readonly kind: 'unusable'; readonly problem: string };

/** A file's status as the page lists it. */
export interface FileStatus {
  readonly path: string;
  readonly kind: string;
  readonly format: string;
  readonly rows: number;
  readonly skipped: readonly SkippedRow[];
  readonly problem: string | null;
}

const taskFileName = /^emissions_.*_([0-9A-Za-z-]+)\.csv$/;

/** The format a header says: CodeCarbon's 38 columns, this port's 45, or another version's. */
function formatOf(header: readonly string[]): string {
  if (header.includes('task_name')) return header.includes('final') ? 'codecarbon for Node.js tasks' : 'CodeCarbon tasks';
  if (header.includes('carbon_intensity_source')) return `codecarbon for Node.js (${header.length} columns)`;
  return `CodeCarbon (${header.length} columns${header.length === 38 ? ', 3.x' : ''})`;
}

function readBench(path: string, text: string): BoardFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { path, kind: 'unusable', problem: `not JSON (${(e as Error).message}): give a codecarbon bench --json report or an emissions CSV` };
  }
  const d = doc as Partial<EnergyBenchReport> | null;
  if (d === null || typeof d !== 'object' || !Array.isArray(d.tasks) || typeof d.intensity !== 'object') {
    return { path, kind: 'unusable', problem: 'JSON without "tasks" and "intensity": not a codecarbon bench --json report' };
  }
  // A per-operation figure is a number, or null when no operation of the task completed.
  const figure = (v: unknown): boolean => typeof v === 'number' || v === null;
  const bad = d.tasks.findIndex((t: Partial<TaskEnergy>) => typeof t?.name !== 'string' || !figure(t.joulesPerOp)
    || !figure(t.gCo2ePerOp) || typeof t.cpu?.source !== 'string' || typeof t.gpu?.source !== 'string' || typeof t.ram?.source !== 'string');
  if (bad !== -1) return { path, kind: 'unusable', problem: `tasks[${bad}] lacks name, joulesPerOp, gCo2ePerOp or cpu/gpu/ram: not a codecarbon bench --json report` };
  return { path, kind: 'bench', report: d as EnergyBenchReport };
}

/** What a failed read of `path` means for the user, and the fix. */
function reasonOf(path: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code ?? String(e);
  if (code === 'ENOENT') return 'no such file (ENOENT); check the path';
  if (code === 'EISDIR') {
    return `it is a directory; give the files in it (e.g. ${relative(process.cwd(), resolve(path, 'emissions.csv')) || 'emissions.csv'})`;
  }
  if (code === 'EACCES' || code === 'EPERM') return `permission denied (${code}); make it readable or give a copy`;
  return `${code}; check the path and its permissions`;
}

/** Why `path` cannot be read as a file to show or report on (missing, a folder, no permission), or null when it can. */
export function whyUnreadable(path: string): string | null {
  try {
    if (statSync(path).isDirectory()) return reasonOf(path, Object.assign(new Error('EISDIR'), { code: 'EISDIR' }));
    closeSync(openSync(path, constants.O_RDONLY));
    return null;
  } catch (e) {
    return reasonOf(path, e);
  }
}

/** The problem of a file with nothing in it yet: a run may write it later, its format is not wrong. */
export const emptyFile = 'the file is empty: no run has written to it yet';

/** Whether a file read is of no use to show (another format; not one still empty). */
export function isForeign(f: { readonly kind: string; readonly problem: string | null }): boolean {
  return f.kind === 'unusable' && f.problem !== emptyFile;
}

/** Reads one file; never throws for a bad file: the page says what was wrong with it. */
export function readBoardFile(path: string): BoardFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { path, kind: 'unusable', problem: `could not read it: ${reasonOf(path, e)}` };
  }
  if (path.endsWith('.json')) return readBench(path, text);
  if (text.trim() === '') return { path, kind: 'unusable', problem: emptyFile };
  const tasks = readTable(text, tasksRequired);
  if (tasks !== null) return { path, kind: 'tasks', table: tasks, format: formatOf(tasks.header) };
  const table = readTable(text, emissionsRequired);
  if (table === null) {
    return { path, kind: 'unusable', problem: `not an emissions file: its header lacks ${emissionsRequired.join(', ')} `
      + '(give an emissions.csv, a task file emissions_<experiment>_<run_id>.csv or a bench --json report)' };
  }
  return { path, kind: 'emissions', table, format: formatOf(table.header) };
}

/** The task files beside `csv` that belong to its runs (`emissions_<experiment>_<run_id>.csv`). */
function taskFilesBeside(csv: string, runIds: ReadonlySet<string>): string[] {
  let names: string[];
  try {
    names = readdirSync(dirname(csv));
  } catch {
    return [];
  }
  return names.filter((n) => runIds.has(taskFileName.exec(n)?.[1] ?? '') && n !== basename(csv)).sort().map((n) => join(dirname(csv), n));
}

/** The paths to read for `args` (default ./emissions.csv): those given, then the task files found beside the emissions files. */
export function boardPaths(args: readonly string[], cwd = process.cwd()): string[] {
  const given = (args.length > 0 ? args : ['emissions.csv']).map((a) => resolve(cwd, a));
  return [...new Set(given)];
}

/** Reads every file named, then the task files beside each emissions file, once each. */
export function readBoardFiles(paths: readonly string[]): BoardFile[] {
  const files = paths.map(readBoardFile);
  const seen = new Set(paths);
  for (const f of [...files]) {
    if (f.kind !== 'emissions') continue;
    const runIds = new Set(f.table.rows.map((r) => text(r, 'run_id')));
    for (const t of taskFilesBeside(f.path, runIds)) {
      if (!seen.has(t)) { seen.add(t); files.push(readBoardFile(t)); }
    }
  }
  return files;
}

/** What changes when any file read (or a task file appearing beside one) changes: sizes, mtimes and the folders' listings. */
export function filesSignature(paths: readonly string[]): string {
  const parts: string[] = [];
  for (const p of paths) {
    const s = statSync(p, { throwIfNoEntry: false });
    parts.push(`${p}:${s?.size ?? -1}:${s?.mtimeMs ?? -1}`);
  }
  for (const dir of new Set(paths.map((p) => dirname(p)))) {
    try {
      parts.push(`${dir}:${readdirSync(dir).filter((n) => taskFileName.test(n)).sort().join('|')}`);
    } catch {
      parts.push(`${dir}:?`);
    }
  }
  return parts.join('\n');
}

/** Each file's status for the page: rows kept, lines skipped, or the problem. */
export function fileStatus(f: BoardFile): FileStatus {
  if (f.kind === 'unusable') return { path: f.path, kind: 'unusable', format: '', rows: 0, skipped: [], problem: f.problem };
  if (f.kind === 'bench') return { path: f.path, kind: 'bench', format: 'codecarbon bench --json', rows: f.report.tasks.length, skipped: [], problem: null };
  const empty = f.table.rows.length === 0 && f.table.skipped.length === 0;
  return { path: f.path, kind: f.kind, format: f.format, rows: f.table.rows.length, skipped: f.table.skipped,
    problem: empty ? 'the file has a header but no rows yet' : null };
}
