// CSV output in CodeCarbon's layout: header rules, .bak backups, append or update, one write per row.
import { closeSync, existsSync, fstatSync, fsyncSync, linkSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { stringify } from 'csv-stringify/sync';
import { CodeCarbonError } from '../errors.js';
import { upstreamColumns } from './record.js';

/** Writing an output failed; what was measured is kept and returned all the same. */
export class OutputError extends CodeCarbonError {
  override name = 'OutputError';
  /** What failed and the fix, without where the record is kept (a command-line user cannot reach finalEmissionsData). */
  readonly reason: string;
  constructor(message: string, options?: { cause?: unknown; reason?: string }) {
    super('ERR_CODECARBON_OUTPUT', message, options);
    this.reason = options?.reason ?? message;
  }
}

/** How a fix names the place to choose instead: the config keys, or a flag's words (bench's --csv). */
export interface FixWords {
  /** Instead of the directory (ENOENT, EACCES…): e.g. "choose another output_dir". */
  readonly dir: string;
  /** Instead of the file (EISDIR): e.g. "choose another output_file". */
  readonly file: string;
  /** Instead of a name too long (ENAMETOOLONG): e.g. "choose a shorter output_file". */
  readonly name: string;
}

const keyWords: FixWords = { dir: 'choose another output_dir', file: 'choose another output_file', name: 'choose a shorter output_file' };

const fixes: Readonly<Record<string, (w: FixWords) => string>> = {
  EISDIR: (w) => `it is a directory: remove it or ${w.file}`,
  EACCES: (w) => `writing there is not allowed: grant it, or ${w.dir}`,
  EPERM: (w) => `writing there is not allowed: grant it, or ${w.dir}`,
  EROFS: (w) => `the file system is read-only: ${w.dir}`,
  ENOSPC: () => 'the disk is full: free some space',
  EDQUOT: () => 'the disk quota is used up: free some space',
  ENOENT: (w) => `its directory does not exist: create it, or ${w.dir}`,
  ENOTDIR: (w) => `part of its path is a file, not a directory: ${w.dir}`,
  ENAMETOOLONG: (w) => `its name is too long: ${w.name}`,
};

/** The fix for a file that cannot be written, by its errno, in the config keys' words unless `words` are given. */
export function writeFix(code: string | undefined, words: FixWords = keyWords): string {
  return fixes[code ?? '']?.(words) ?? 'check the path, its permissions and free space';
}

/** The OutputError for a file that could not be written: its path, the errno and the fix for it. */
export function writeFailure(path: string, e: unknown): OutputError {
  const code = (e as NodeJS.ErrnoException).code;
  const reason = `could not write ${path} (${code ?? String(e)}): ${writeFix(code)}`;
  return new OutputError(`${reason}; the record is kept in finalEmissionsData`, { cause: e, reason });
}

/**
 * Whether a file can be written at `path`, asked of the system itself (it is opened for appending,
 * and removed again when it did not exist): null, or the error (ENOENT, EISDIR, EACCES, EROFS…).
 * For a check before minutes of work, not instead of handling the write's own error.
 */
export function probeWritable(path: string): NodeJS.ErrnoException | null {
  const existed = existsSync(path);
  try {
    closeSync(openSync(path, 'a'));
    if (!existed) unlinkSync(path);
    return null;
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
}

/** A spreadsheet would run a cell that starts with = + - @ as a formula: such text gets a leading '. */
function cell(v: string | number | undefined): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const s = v ?? '';
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

/** A cell's text as it stands in a line: quoted when it holds a comma, quote or newline (RFC 4180). */
function quote(c: string): string {
  return /[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c;
}

/** One cell as it stands in a line: neutralised, and quoted when it holds a comma, quote or newline. */
export function csvCell(v: string | number | undefined): string {
  return quote(cell(v));
}

const stringifyOptions = { quoted_match: /[",\r\n]/ };

/** One CSV line (RFC 4180 quoting, by csv-stringify), ending in \n. */
export function csvLine(values: readonly (string | number | undefined)[]): string {
  return stringify([values.map(cell)], stringifyOptions);
}

const headerLines = new WeakMap<readonly string[], string>();

/** A header's line: csvLine() once per header (the headers are the modules' column lists). */
export function headerLine(header: readonly string[]): string {
  let line = headerLines.get(header);
  if (line === undefined) headerLines.set(header, line = csvLine(header));
  return line;
}

let warmed = false;

/**
 * csv-stringify's first call in a process costs 2 to 3 ms (its code is compiled then), and each
 * line it makes about 1.5 KB of garbage per cell (70 KB for a header): made once in the background
 * as the event loop turns after a tracker's construction, with the lines of `headers` kept, so that
 * a first stop() pays for neither.
 */
export function warmCsv(headers: readonly (readonly string[])[]): void {
  if (warmed) return;
  warmed = true;
  setImmediate(() => {
    stringify([['warm', 'a,"b"']], stringifyOptions);
    for (const header of headers) headerLine(header);
  }).unref();
}

/** One row of a CSV text: its cells, and where it stands (`start` to `end`, its line ending included). */
interface CsvRow {
  readonly cells: string[];
  readonly start: number;
  readonly end: number;
}

/** RFC 4180 rows of a CSV text with where each stands (quoted fields may hold commas, quotes and newlines). */
function parseRows(text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let cells: string[] = [];
  let start = 0;
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false; else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { cells.push(field); field = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      cells.push(field); rows.push({ cells, start, end: i + 1 }); cells = []; field = ''; start = i + 1;
    } else field += ch;
  }
  if (field !== '' || cells.length > 0) { cells.push(field); rows.push({ cells, start, end: text.length }); }
  return rows;
}

/** RFC 4180 rows of a CSV text (quoted fields may hold commas, quotes and newlines). */
export function parseCsv(text: string): string[][] {
  return parseRows(text).map((r) => r.cells);
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

/** The first line of a file about to be replaced ('' when there is no file there): a look before it goes. */
export function existingFirstLine(path: string): string {
  return statSync(path, { throwIfNoEntry: false })?.isFile() === true ? firstLine(path).replace(/^\uFEFF/, '') : '';
}

/** Upstream's backup name: file.bak, else file_0.bak, file_1.bak, … (the first free one). */
export function backupName(path: string): string {
  if (!existsSync(`${path}.bak`)) return `${path}.bak`;
  for (let i = 0; ; i++) if (!existsSync(`${path}_${i}.bak`)) return `${path}_${i}.bak`;
}

/** Receives a warning about a file written (a cut line found and left as it is). */
export type CsvWarn = (message: string) => void;

const noWarning: CsvWarn = () => {};

/** The warning for a file whose last line was cut off (no newline at its end): a crash or a full disk. */
function cutLineWarning(path: string, text: string, width: number, quoteClosed: boolean): string {
  const line = text.split('\n').length;
  const cells = parseCsv(text).at(-1)?.length ?? 0;
  return `${path}: line ${line} was cut off (no newline at its end, ${cells} of ${width} cells: a crash or a full disk?); `
    + `it is left as it is${quoteClosed ? ' (its open quote closed)' : ''}, and rows go on from the next line`;
}

/** How long a last line must stay without its newline to be taken as cut off rather than being written. */
const cutSettleMs = 50;

/**
 * What a row appended through `fd` (opened 'a+') must start with to begin a line of its own: the
 * header when the file is empty (one made by someone else); nothing when it ends in a newline; else
 * a newline, after a closing quote when the cut line ends inside a quoted cell, with one warning
 * naming the file and the line.
 */
function lineStart(fd: number, path: string, header: readonly string[], warn: CsvWarn): string {
  const last = Buffer.alloc(1);
  // Another process's row can be seen half-written (a reader may see a write partly done): a cut
  // line is one that stays without its newline, read again for up to cutSettleMs.
  for (const since = performance.now(); ;) {
    const size = fstatSync(fd).size;
    if (size === 0) return headerLine(header);
    readSync(fd, last, 0, 1, size - 1);
    if (last[0] === 0x0a) return '';
    if (performance.now() - since >= cutSettleMs) break;
    Atomics.wait(pause, 0, 0, 1);
  }
  if (last[0] === 0x0d) return '\n'; // a CRLF line cut between its two bytes: the line itself is whole
  const text = readFileSync(path, 'utf8');
  // Quotes come in pairs ("" inside a cell, one at each end): an odd count leaves the last cell open.
  const open = (text.match(/"/g)?.length ?? 0) % 2 === 1;
  warn(cutLineWarning(path, text, header.length, open));
  return open ? '"\n' : '\n';
}

/** Files of its own made by createWith() in this thread so far (each one's name is new). */
let tempFiles = 0;

/**
 * Creates `path` holding `text`, whole or not at all: written to a file of its own beside it, then
 * linked into place, which fails when the path exists. Of several processes starting the file at
 * once, one makes it, and no other ever sees it empty (an empty file opened with O_EXCL and then
 * written was seen so: another process appended its row, which the header's write at offset 0
 * then overwrote; that remains the way on a file system without hard links). False when the file exists.
 */
function createWith(path: string, text: string): boolean {
  // Named for this process, thread and call: no live writer makes the same (one left by a crashed
  // process of the same pid is overwritten).
  const temp = `${path}.${process.pid}-${threadId}-${++tempFiles}.new`;
  writeFileSync(temp, text);
  try {
    linkSync(temp, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
  } finally {
    unlinkSync(temp);
  }
  // A file system without hard links (FAT, some network shares): made empty, then written.
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * The columns a row is written in, in a file whose header is `fileHeader`: the file's own, in its
 * order, when they are `header`'s or CodeCarbon's 38 (a CodeCarbon file keeps its layout, without
 * this port's added columns); null when it holds other columns, and is backed up.
 */
function layoutFor(fileHeader: readonly string[], header: readonly string[]): readonly string[] | null {
  const holds = (cols: readonly string[]): boolean => fileHeader.length === cols.length
    && new Set(fileHeader).size === cols.length && cols.every((c) => fileHeader.includes(c));
  return holds(header) || holds(upstreamColumns) ? fileHeader : null;
}

/**
 * Appends `row` (keyed by column) to the CSV at `path`. A new or empty file gets the header; a file
 * whose header holds other columns is renamed to a backup first, unless its columns are CodeCarbon's
 * own (then this row is written in that file's columns, so a CodeCarbon file keeps growing). A
 * last line cut off (a crash, a full disk) is left as it is, with a warning, and the row starts the next.
 * Returns the backup path when one was made.
 */
export function appendRow(path: string, header: readonly string[], row: Readonly<Record<string, string | number>>,
  warn: CsvWarn = noWarning): string | null {
  let backup: string | null = null;
  let fileHeader: readonly string[] | null = null;
  if (existsSync(path) && statSync(path).size > 0) {
    fileHeader = layoutFor(parseCsv(firstLine(path))[0] ?? [], header);
    if (fileHeader === null) {
      backup = backupName(path);
      renameSync(path, backup);
    }
  }
  if (fileHeader === null) {
    if (createWith(path, headerLine(header) + csvLine(header.map((c) => row[c])))) return backup;
    fileHeader = parseCsv(firstLine(path))[0] ?? [...header];
  }
  // One write with O_APPEND: rows from several processes never interleave.
  const fd = openSync(path, 'a+');
  try {
    writeSync(fd, lineStart(fd, path, fileHeader, warn) + csvLine(fileHeader.map((c) => row[c])));
  } finally {
    closeSync(fd);
  }
  return backup;
}

/**
 * on_csv_write = update: replaces the row of this run_id, in the file's layout (as appendRow()
 * writes it), and leaves every other byte as it was; appends when no row or several have it, as
 * upstream does (with a warning for several). The file is rewritten beside it and renamed over it,
 * so a crash or a full disk midway leaves it whole; a cut last line is kept (now ending in a
 * newline), with a warning.
 */
export function updateRow(path: string, header: readonly string[], row: Readonly<Record<string, string | number>>,
  warn: CsvWarn = noWarning): string | null {
  if (!existsSync(path) || statSync(path).size === 0) return appendRow(path, header, row, warn);
  // Read as latin1, one character per byte: offsets are byte offsets, and other rows' bytes (UTF-8
  // or not) go back untouched. CSV's structure is ASCII, which no UTF-8 sequence contains.
  const bytes = readFileSync(path);
  const rows = parseRows(bytes.toString('latin1'));
  const layout = layoutFor(rows[0]?.cells ?? [], header);
  const at = layout?.indexOf('run_id') ?? -1;
  const runId = Buffer.from(cell(row['run_id']), 'utf8').toString('latin1');
  const mine = rows.filter((r, i) => i > 0 && r.cells[at] === runId);
  if (layout === null || mine.length !== 1) {
    if (mine.length > 1) warn(`${path}: ${mine.length} rows have run_id ${String(row['run_id'])}; this run's row is appended `
      + 'rather than one of them replaced (as CodeCarbon does)');
    return appendRow(path, header, row, warn);
  }
  const { start, end } = mine[0]!;
  const line = csvLine(layout.map((c) => row[c]));
  const ending = bytes[end - 2] === 0x0d && bytes[end - 1] === 0x0a ? line.slice(0, -1) + '\r\n' : line;
  let text = Buffer.concat([bytes.subarray(0, start), Buffer.from(ending, 'utf8'), bytes.subarray(end)]);
  const last = text[text.length - 1];
  if (last !== 0x0a && last !== 0x0d) {
    const latin = text.toString('latin1');
    const open = (latin.match(/"/g)?.length ?? 0) % 2 === 1;
    warn(cutLineWarning(path, latin, layout.length, open));
    text = Buffer.concat([text, Buffer.from(open ? '"\n' : '\n')]);
  }
  replaceWith(path, text);
  return null;
}

/**
 * Replaces the file at `path` with `data`, whole or not at all: written to a file of its own beside
 * it, flushed to disk, then renamed over it. On a failure the file is as it was and the temp is gone.
 */
function replaceWith(path: string, data: Buffer): void {
  const temp = `${path}.${process.pid}-${threadId}-${++tempFiles}.tmp`;
  try {
    const fd = openSync(temp, 'w');
    try {
      writeFileSync(fd, data);
      // Without it, a power loss soon after the rename can leave the new name on an empty file
      // (the rename reaches the disk before the data on some file systems).
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
}

/** A CSV written from scratch (header, then rows in batches), replacing the file: the task file. */
export class CsvFile {
  readonly #fd: number;

  constructor(readonly path: string, readonly header: readonly string[]) {
    this.#fd = openSync(path, 'w');
    writeSync(this.#fd, headerLine(header));
  }

  /** Lines already formatted (TaskLines), as texts written one after the other. */
  writeTexts(texts: readonly string[]): void {
    for (const text of texts) if (text.length > 0) writeSync(this.#fd, text);
  }

  close(): void {
    closeSync(this.#fd);
  }
}
