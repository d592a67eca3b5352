// The CSV file: byte layout, backups, CodeCarbon files kept growing, update mode, concurrent writers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { appendRow, backupName, csvLine, updateRow } from '../src/output/csv.js';
import { columns, upstreamColumns } from '../src/output/record.js';
import { tempDir } from './helpers/sysfs.js';

// A failing property's own error in the report (fast-check 4 otherwise keeps it in `cause`, which the test reporter does not print).
fc.configureGlobal({ ...fc.readConfigureGlobal(), includeErrorInReport: true });

const run = promisify(execFile);

test('byte layout: RFC 4180 quoting, neutralised formulas, every column on every row', () => {
  assert.equal(csvLine(['a', 'b,c', 'say "hi"', 1.5, '=SUM(A1)', '-3', '@x', '']), 'a,"b,c","say ""hi""",1.5,\'=SUM(A1),\'-3,\'@x,\n');
  const dir = tempDir();
  const path = join(dir, 'e.csv');
  appendRow(path, ['a', 'b', 'c'], { a: 1, b: '', c: 'z' });
  appendRow(path, ['a', 'b', 'c'], { a: 2, b: '', c: '' });
  assert.equal(readFileSync(path, 'utf8'), 'a,b,c\n1,,z\n2,,\n');
});

test('an independent parser (Python\'s csv module) reads back exactly what was written', async () => {
  const dir = tempDir();
  const path = join(dir, 'e.csv');
  const row = { a: 'comma, "quote"', b: 'line\nbreak', c: 0.000123 };
  appendRow(path, ['a', 'b', 'c'], row);
  const { stdout } = await run('python3', ['-c', 'import csv,json,sys; print(json.dumps(list(csv.DictReader(open(sys.argv[1], newline="")))))', path]);
  assert.deepEqual(JSON.parse(stdout), [{ a: 'comma, "quote"', b: 'line\nbreak', c: '0.000123' }]);
});

test('a header with other columns: the old file becomes .bak, then _0.bak, never overwritten', () => {
  const dir = tempDir();
  const path = join(dir, 'emissions.csv');
  assert.equal(backupName(path), `${path}.bak`);
  writeFileSync(path, 'old,header\n1,2\n');
  assert.equal(appendRow(path, ['a'], { a: 1 }), `${path}.bak`);
  writeFileSync(path, 'other\n3\n');
  assert.equal(appendRow(path, ['a'], { a: 2 }), `${path}_0.bak`);
  assert.equal(readFileSync(`${path}.bak`, 'utf8'), 'old,header\n1,2\n');
  assert.equal(readFileSync(`${path}_0.bak`, 'utf8'), 'other\n3\n');
  assert.equal(readFileSync(path, 'utf8'), 'a\n2\n');
});

test('a CodeCarbon 3.3 file (38 columns, any order) keeps growing in its own layout', () => {
  const dir = tempDir();
  const path = join(dir, 'emissions.csv');
  const theirs = [...upstreamColumns].reverse();
  writeFileSync(path, `${theirs.join(',')}\n`);
  const row = Object.fromEntries(columns.map((c) => [c, c === 'duration' ? 12 : 'v']));
  assert.equal(appendRow(path, columns, row), null);
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.equal(lines[1]!.split(',').length, 38);
  assert.equal(lines[1]!.split(',')[theirs.indexOf('duration')], '12');
  assert.equal(existsSync(`${path}.bak`), false);
});

test('update mode rewrites this run\'s row and leaves the others', () => {
  const dir = tempDir();
  const path = join(dir, 'e.csv');
  const header = ['run_id', 'emissions'];
  appendRow(path, header, { run_id: 'other', emissions: 1 });
  updateRow(path, header, { run_id: 'mine', emissions: 2 });
  updateRow(path, header, { run_id: 'mine', emissions: 3 });
  assert.equal(readFileSync(path, 'utf8'), 'run_id,emissions\nother,1\nmine,3\n');
});

test('an empty file made by someone else gets the header with the first row', () => {
  const dir = tempDir();
  const path = join(dir, 'e.csv');
  writeFileSync(path, '');
  appendRow(path, ['run_id', 'emissions'], { run_id: 'a', emissions: 1 });
  appendRow(path, ['run_id', 'emissions'], { run_id: 'b', emissions: 2 });
  assert.equal(readFileSync(path, 'utf8'), 'run_id,emissions\na,1\nb,2\n');
  assert.deepEqual(readdirSync(dir), ['e.csv']); // no file of its own left beside it
});

test('four processes appending at once: one header, no row lost or interleaved', async () => {
  const dir = tempDir();
  const path = join(dir, 'shared.csv');
  const fixture = fileURLToPath(new URL('./fixtures/append-rows.js', import.meta.url));
  await Promise.all([0, 1, 2, 3].map((id) => run(process.execPath, [fixture, path, String(id), '300'])));
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  assert.equal(lines[0], 'writer,seq,text');
  assert.equal(lines.length, 1 + 4 * 300);
  for (const l of lines.slice(1)) assert.match(l, /^[0-3],\d+,"row, ""quoted"" x{200}"$/);
  for (let id = 0; id < 4; id++) assert.equal(lines.filter((l) => l.startsWith(`${id},`)).length, 300);
  assert.deepEqual(readdirSync(dir), ['shared.csv']);
});

test('threads starting the same new file at the same moment: each file has its header first and every row', async () => {
  // Collisions on the first write of a file, 200 times (a barrier before each): with the header
  // written into an empty file made first, another thread's row could land before it and be
  // overwritten by it (seen as 1,200 rows for 1,201 lines under load).
  const dir = tempDir();
  const threads = 4;
  const rounds = 200;
  const barrier = new SharedArrayBuffer(4);
  const fixture = new URL('./fixtures/append-race.worker.js', import.meta.url);
  await Promise.all(Array.from({ length: threads }, (_, id) => new Promise((resolve, reject) => {
    const w = new Worker(fixture, { workerData: { dir, id, threads, rounds, barrier } });
    w.once('error', reject);
    w.once('exit', resolve);
  })));
  for (let r = 0; r < rounds; r++) {
    const lines = readFileSync(join(dir, `round-${r}.csv`), 'utf8').split('\n');
    assert.equal(lines[0], 'writer,round', `round ${r}: ${JSON.stringify(lines)}`);
    assert.deepEqual(lines.slice(1, -1).sort(), [0, 1, 2, 3].map((id) => `${id},${r}`), `round ${r}`);
  }
  assert.equal(readdirSync(dir).length, rounds); // no file of a thread's own left beside
});

test('csvLine writes what csv-stringify (quoted_match /[",\\r\\n]/) writes for the same neutralised cells', () => {
  const neutral = (v: string): string => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
  const text = fc.string({ unit: fc.constantFrom('a', ',', '"', '\r', '\n', '=', '-', ' ', 'é'), maxLength: 8 });
  fc.assert(fc.property(fc.array(fc.oneof(text, fc.double({ noNaN: true, noDefaultInfinity: true })), { minLength: 1, maxLength: 6 }), (values) => {
    const cells = values.map((v) => (typeof v === 'number' ? String(v) : neutral(v)));
    assert.equal(csvLine(values), stringify([cells], { quoted_match: /[",\r\n]/ }));
  }));
});
