// Rows of an emissions or task CSV with their line numbers: each either kept, with its numbers read, or skipped with why.

/** A line that was not taken for data, and why. */
export interface SkippedRow {
  /** 1-based line number in the file (where the row starts). */
  readonly line: number;
  readonly reason: string;
}

/** A data row: its fields, where each column is among them (shared by every row of a file), and where it starts. */
export interface CsvRow {
  readonly line: number;
  readonly fields: readonly string[];
  readonly at: Readonly<Record<string, number>>;
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
function rowProblem(fields: readonly string[], header: readonly string[], at: Readonly<Record<string, number>>, required: readonly string[]): string | null {
  if (fields.length === header.length && fields.every((f, i) => f === header[i])) return 'a repeated header line';
  if (fields.length !== header.length) return `${fields.length} fields where the header has ${header.length}`;
  if (fields[at['run_id']!]!.trim() === '') return 'run_id is empty';
  const ts = at['timestamp'];
  if (required.includes('timestamp') && ts !== undefined && !Number.isFinite(Date.parse(fields[ts]!))) {
    return `timestamp is not a date: ${JSON.stringify(fields[ts]!.slice(0, 40))}`;
  }
  for (const c of numeric) {
    const i = at[c];
    if (i === undefined) continue;
    const v = fields[i]!.trim();
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
  const records = csvRecords(text.replace(/^\uFEFF/, ''));
  const first = records.next();
  const header = first.done === true ? [] : first.value.fields.map((h) => h.trim());
  if (!required.every((c) => header.includes(c))) return null;
  const at: Record<string, number> = Object.fromEntries(header.map((h, i) => [h, i]));
  const rows: CsvRow[] = [];
  const skipped: SkippedRow[] = [];
  for (const { fields, line } of records) {
    if (fields.length === 1 && fields[0]!.trim() === '') continue;
    const problem = rowProblem(fields, header, at, required);
    if (problem !== null) skipped.push({ line, reason: problem });
    else rows.push({ line, fields, at });
  }
  return { header, rows, skipped };
}

/**
 * RFC 4180 records with the line each starts on. A task file may hold 100,000 rows: a line with no
 * quote is split at its commas at once, and only lines with quotes are read character by character.
 */
function* csvRecords(text: string): Generator<{ fields: string[]; line: number }> {
  let pos = 0;
  let line = 1;
  let quote = text.indexOf('"');
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    if (quote !== -1 && quote < pos) quote = text.indexOf('"', pos);
    if (quote === -1 || quote > end) {
      const s = text.charCodeAt(end - 1) === 13 ? text.slice(pos, end - 1) : text.slice(pos, end);
      yield { fields: s.split(','), line };
      line++;
      pos = end + 1;
      continue;
    }
    const r = quotedRecord(text, pos);
    yield { fields: r.fields, line };
    line += r.lines;
    pos = r.next;
  }
}

/** One record read character by character from `pos` (quoted fields may hold commas, quotes and line breaks). */
function quotedRecord(text: string, pos: number): { fields: string[]; next: number; lines: number } {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  let lines = 1;
  let i = pos;
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false; else field += ch;
      if (ch === '\n') lines++;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { fields.push(field); field = ''; }
    else if (ch === '\n') break;
    else if (ch !== '\r') field += ch;
  }
  fields.push(field);
  return { fields, next: i + 1, lines };
}

/**
 * A cell as text, undefined when the file has no such column. The apostrophe the CSV writer puts
 * before text a spreadsheet would run as a formula (`'=1+2`) is taken off again: the board shows
 * the name as it was given.
 */
export function cell(row: CsvRow, column: string): string | undefined {
  const i = row.at[column];
  const v = i === undefined ? undefined : row.fields[i];
  return v !== undefined && v.charCodeAt(0) === 39 && /^'[=+\-@\t\r]/.test(v) ? v.slice(1) : v;
}

/** A cell as a number, 0 when the column is absent or empty (a task file drops columns empty for every task). */
export function num(row: CsvRow, column: string): number {
  const v = cell(row, column);
  return v === undefined || v.trim() === '' ? 0 : Number(v);
}

/** A cell as text, '' when the column is absent. */
export function text(row: CsvRow, column: string): string {
  return cell(row, column) ?? '';
}
