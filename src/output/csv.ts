// CSV output in CodeCarbon's layout: header rules, .bak backups, append or update, one write per row.
import { closeSync, existsSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { CodeCarbonError } from '../errors.js';
import { upstreamColumns } from './record.js';

/** Writing an output failed; what was measured is kept and returned all the same. */
export class OutputError extends CodeCarbonError {
  override name = 'OutputError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CODECARBON_OUTPUT', message, options);
  }
}

/** A spreadsheet would run a cell that starts with = + - @ as a formula: such text gets a leading '. */
function cell(v: string | number | undefined): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const s = v ?? '';
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

/** One cell as it stands in a line: neutralised, and quoted when it holds a comma, quote or newline. */
export function csvCell(v: string | number | undefined): string {
  const c = cell(v);
  return /[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c;
}

/** One CSV line (RFC 4180 quoting), ending in \n. */
export function csvLine(values: readonly (string | number | undefined)[]): string {
  return stringify([values.map(cell)], { quoted_match: /[",\r\n]/ });
}

/** RFC 4180 rows of a CSV text (quoted fields may hold commas, quotes and newlines). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false; else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * The file's first line. A first line without its newline yet is another process's header being
 * written: read again (up to 20 ms) rather than take half a header for a different layout.
 */
function firstLine(path: string): string {
  const buf = Buffer.alloc(64 * 1024);
  for (let attempt = 0; ; attempt++) {
    const fd = openSync(path, 'r');
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, 0);
    } finally {
      closeSync(fd);
    }
    const text = buf.toString('utf8', 0, n);
    const end = text.search(/\r?\n/);
    if (end >= 0) return text.slice(0, end);
    if (n === 0 || n === buf.length || attempt >= 20) return text;
    Atomics.wait(pause, 0, 0, 1);
  }
}

/** Upstream's backup name: file.bak, else file_0.bak, file_1.bak, … (the first free one). */
export function backupName(path: string): string {
  if (!existsSync(`${path}.bak`)) return `${path}.bak`;
  for (let i = 0; ; i++) if (!existsSync(`${path}_${i}.bak`)) return `${path}_${i}.bak`;
}

/**
 * Appends `row` (keyed by column) to the CSV at `path`. A new or empty file gets the header; a file
 * whose header holds other columns is renamed to a backup first, unless its columns are CodeCarbon's
 * own (then this row is written in that file's columns, so a CodeCarbon file keeps growing).
 * Returns the backup path when one was made.
 */
export function appendRow(path: string, header: readonly string[], row: Readonly<Record<string, string | number>>): string | null {
  let backup: string | null = null;
  let fileHeader: string[] | null = null;
  if (existsSync(path) && statSync(path).size > 0) {
    fileHeader = parseCsv(firstLine(path))[0] ?? [];
    const same = new Set(fileHeader).size === header.length && header.every((c) => fileHeader!.includes(c));
    const upstream = fileHeader.length === upstreamColumns.length && upstreamColumns.every((c) => fileHeader!.includes(c));
    if (!same && !upstream) {
      backup = backupName(path);
      renameSync(path, backup);
      fileHeader = null;
    }
  }
  if (fileHeader === null) {
    try {
      // Exclusive create: of several processes starting the file at once, one writes the header.
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, csvLine(header) + csvLine(header.map((c) => row[c])));
      } finally {
        closeSync(fd);
      }
      return backup;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      fileHeader = parseCsv(firstLine(path))[0] ?? [...header];
    }
  }
  // One write with O_APPEND: rows from several processes never interleave.
  const fd = openSync(path, 'a');
  try {
    writeSync(fd, csvLine(fileHeader.map((c) => row[c])));
  } finally {
    closeSync(fd);
  }
  return backup;
}

/** on_csv_write = update: replaces the row of this run_id (or appends when there is none). */
export function updateRow(path: string, header: readonly string[], row: Readonly<Record<string, string | number>>): string | null {
  if (!existsSync(path) || statSync(path).size === 0) return appendRow(path, header, row);
  const rows = parseCsv(readFileSync(path, 'utf8'));
  const fileHeader = rows[0] ?? [];
  const at = fileHeader.indexOf('run_id');
  const mine = rows.map((r, i) => (i > 0 && r[at] === String(row['run_id']) ? i : -1)).filter((i) => i > 0);
  if (at < 0 || mine.length !== 1 || !header.every((c) => fileHeader.includes(c))) return appendRow(path, header, row);
  rows[mine[0]!] = fileHeader.map((c) => cell(row[c]));
  writeFileSync(path, rows.map((r) => stringify([r], { quoted_match: /[",\r\n]/ })).join(''));
  return null;
}

/** A CSV written from scratch (header, then rows in batches), replacing the file: the task file. */
export class CsvFile {
  readonly #fd: number;

  constructor(readonly path: string, readonly header: readonly string[]) {
    this.#fd = openSync(path, 'w');
    writeSync(this.#fd, csvLine(header));
  }

  /** Lines already formatted (TaskLines). */
  writeLines(lines: readonly string[]): void {
    if (lines.length > 0) writeSync(this.#fd, lines.join(''));
  }

  write(rows: readonly Readonly<Record<string, string | number>>[]): void {
    // One stringify call per batch: per row, the library's setup costs more than the row itself.
    if (rows.length > 0) writeSync(this.#fd, stringify(rows.map((r) => this.header.map((c) => cell(r[c]))), { quoted_match: /[",\r\n]/ }));
  }

  close(): void {
    closeSync(this.#fd);
  }
}
