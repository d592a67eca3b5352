// Rows of an emissions or task CSV with their line numbers: each either kept, with its numbers read, or skipped with why.
import { parseCsv } from '../output/csv.js';

/** A line that was not taken for data, and why. */
export interface SkippedRow {
  /** 1-based line number in the file (where the row starts). */
  readonly line: number;
  readonly reason: string;
}

/** A data row: its cells by column name, and where it starts. */
export interface CsvRow {
  readonly line: number;
  readonly cells: Readonly<Record<string, string>>;
}

/** A CSV file read as a table: the header, rows kept and rows skipped. */
export interface CsvTable {
  readonly header: readonly string[];
  readonly rows: readonly CsvRow[];
  readonly skipped: readonly SkippedRow[];
}

/** Columns an emissions file's rows need, and those that must hold numbers >= 0. */
export const emissionsRequired = ['timestamp', 'project_name', 'run_id', 'duration', 'emissions', 'energy_consumed'] as const;
/** Columns a task file's rows need. */
export const tasksRequired = ['task_name', 'run_id', 'duration', 'emissions', 'energy_consumed'] as const;
const numeric = ['duration', 'emissions', 'energy_consumed', 'cpu_energy', 'gpu_energy', 'ram_energy', 'task_count',
  'cpu_power', 'gpu_power', 'ram_power', 'carbon_intensity_g_co2e_kwh'];

/** Why a row cannot be data (null when it can): field count, a repeated header, a missing id, numbers that are not. */
function rowProblem(fields: readonly string[], header: readonly string[], required: readonly string[]): string | null {
  if (fields.join(',') === header.join(',')) return 'a repeated header line';
  if (fields.length !== header.length) return `${fields.length} fields where the header has ${header.length}`;
  const at = (c: string): string => fields[header.indexOf(c)] ?? '';
  if (at('run_id').trim() === '') return 'run_id is empty';
  for (const c of numeric) {
    if (!header.includes(c)) continue;
    const v = at(c).trim();
    if (v === '' && !required.includes(c)) continue;
    const n = Number(v);
    if (v === '' || !Number.isFinite(n) || n < 0) return `${c} is not a number >= 0: ${JSON.stringify(v.slice(0, 40))}`;
  }
  return null;
}

/**
 * Reads `text` as a CSV whose header has every `required` column. A file with another header is
 * foreign: null, and the caller says so. Blank lines are not rows; every other line that is not data
 * (wrong field count, as CodeCarbon's append bug #1304 writes; a repeated header; a number that is
 * not one) is skipped with its line number.
 */
export function readTable(text: string, required: readonly string[]): CsvTable | null {
  const parsed = parseCsv(text.replace(/^\uFEFF/, ''));
  const header = (parsed[0] ?? []).map((h) => h.trim());
  if (!required.every((c) => header.includes(c))) return null;
  const rows: CsvRow[] = [];
  const skipped: SkippedRow[] = [];
  let line = 1 + newlines(parsed[0] ?? []);
  for (const fields of parsed.slice(1)) {
    const at = line + 1;
    line = at + newlines(fields);
    if (fields.length === 1 && fields[0]!.trim() === '') continue;
    const problem = rowProblem(fields, header, required);
    if (problem !== null) skipped.push({ line: at, reason: problem });
    else rows.push({ line: at, cells: Object.fromEntries(header.map((h, i) => [h, fields[i]!])) });
  }
  return { header, rows, skipped };
}

/** Line breaks inside a row's quoted fields: the next row starts that many lines further down. */
function newlines(fields: readonly string[]): number {
  let n = 0;
  for (const f of fields) for (let i = f.indexOf('\n'); i !== -1; i = f.indexOf('\n', i + 1)) n++;
  return n;
}

/** A cell as a number, 0 when the column is absent or empty (a task file drops columns empty for every task). */
export function num(row: CsvRow, column: string): number {
  const v = row.cells[column];
  return v === undefined || v.trim() === '' ? 0 : Number(v);
}

/** A cell as text, '' when the column is absent. */
export function text(row: CsvRow, column: string): string {
  return row.cells[column] ?? '';
}
