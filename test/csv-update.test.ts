// on_csv_write = update: one row per run in any file it keeps (CodeCarbon's 38 columns, another order,
// this port's own), every other byte left as it was, the file whole when the rewrite fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseCsv, updateRow } from '../src/output/csv.js';
import { columns, upstreamColumns } from '../src/output/record.js';
import { tempDir } from './helpers/sysfs.js';

const run = promisify(execFile);

/** A full row of this port's columns for run `runId`: each cell named after its column, emissions given. */
function record(runId: string, emissions: number): Record<string, string | number> {
  return { ...Object.fromEntries(columns.map((c) => [c, `${c}-v`])), run_id: runId, emissions };
}

/** Another run's line in `header`'s layout, with bytes a rewrite could change: needless quotes, é, a lone Latin-1 byte. */
function otherLine(header: readonly string[], runId: string): Buffer {
  const cells = header.map((c) => (c === 'run_id' ? runId : c === 'project_name' ? '"caf\u00e9"' : c === 'cpu_model' ? '"x, \r\ny"' : '0.10'));
  return Buffer.concat([Buffer.from(cells.join(','), 'utf8'), Buffer.from([0xe9]), Buffer.from('\r\n')]);
}

/** The file's rows with run_id `runId`, each as a map from the file's own columns. */
function rowsOf(path: string, runId: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(readFileSync(path, 'utf8'));
  return rows.filter((r) => r[header!.indexOf('run_id')] === runId)
    .map((r) => Object.fromEntries(header!.map((c, i) => [c, r[i]!])));
}

const layouts: [string, readonly string[]][] = [
  ['CodeCarbon\'s 38 columns', upstreamColumns],
  ['CodeCarbon\'s 38 columns in another order', [...upstreamColumns].reverse()],
  ['this port\'s own columns', columns],
  ['this port\'s own columns in another order', [...columns].reverse()],
];

for (const [name, header] of layouts) {
  test(`update mode on a file of ${name}: one row for the run, in the file's layout, other rows byte for byte`, () => {
    const dir = tempDir();
    const path = join(dir, 'emissions.csv');
    const before = Buffer.concat([Buffer.from(`${header.join(',')}\n`), otherLine(header, 'before')]);
    const after = otherLine(header, 'after');
    writeFileSync(path, before);
    const warnings: string[] = [];
    updateRow(path, columns, record('mine', 1), (m) => warnings.push(m));
    writeFileSync(path, Buffer.concat([readFileSync(path), after]));
    updateRow(path, columns, record('mine', 2), (m) => warnings.push(m));
    updateRow(path, columns, record('mine', 3), (m) => warnings.push(m));
    assert.deepEqual(warnings, []);
    const mine = rowsOf(path, 'mine');
    assert.equal(mine.length, 1);
    assert.deepEqual(Object.keys(mine[0]!), [...header]);
    assert.equal(mine[0]!['emissions'], '3');
    assert.equal(mine[0]!['duration'], 'duration-v');
    const bytes = readFileSync(path);
    const line = Buffer.from(`${header.map((c) => mine[0]![c]).join(',')}\n`);
    assert.deepEqual(bytes, Buffer.concat([before, line, after]));
    assert.deepEqual(readdirSync(dir), ['emissions.csv']);
  });
}

test('update mode keeps a CRLF line ending on the row it replaces', () => {
  const dir = tempDir();
  const path = join(dir, 'e.csv');
  writeFileSync(path, 'run_id,emissions\r\nmine,1\r\nother,2\r\n');
  updateRow(path, ['run_id', 'emissions'], { run_id: 'mine', emissions: 3 });
  assert.equal(readFileSync(path, 'utf8'), 'run_id,emissions\r\nmine,3\r\nother,2\r\n');
});

test('several rows with the run_id: the row is appended, as CodeCarbon does, with a warning', () => {
  const dir = tempDir();
  const path = join(dir, 'e.csv');
  writeFileSync(path, 'run_id,emissions\nmine,1\nmine,2\n');
  const warnings: string[] = [];
  updateRow(path, ['run_id', 'emissions'], { run_id: 'mine', emissions: 3 }, (m) => warnings.push(m));
  assert.equal(readFileSync(path, 'utf8'), 'run_id,emissions\nmine,1\nmine,2\nmine,3\n');
  assert.deepEqual(warnings, [`${path}: 2 rows have run_id mine; this run's row is appended rather than one of them `
    + 'replaced (as CodeCarbon does)']);
});

test('a rewrite that fails midway (file size limit: EFBIG) leaves the file as it was and no file beside it', async () => {
  const dir = tempDir();
  const path = join(dir, 'emissions.csv');
  const original = Buffer.concat([Buffer.from(`${upstreamColumns.join(',')}\n`), otherLine(upstreamColumns, 'mine'),
    ...Array.from({ length: 10 }, (_, i) => otherLine(upstreamColumns, `other-${i}`))]);
  assert.ok(original.length > 2048);
  writeFileSync(path, original);
  const fixture = fileURLToPath(new URL('./fixtures/update-row.js', import.meta.url));
  // ulimit -f counts KiB: the rewrite gets 1 KiB of the file's 2+ (Node ignores SIGXFSZ, so the write fails with EFBIG).
  const { stdout } = await run('bash', ['-c', 'ulimit -f 1 && exec "$0" "$@"', process.execPath, fixture, path, 'mine', '5']);
  assert.equal(stdout, 'EFBIG\n');
  assert.deepEqual(readFileSync(path), original);
  assert.deepEqual(readdirSync(dir), ['emissions.csv']);
  await run(process.execPath, [fixture, path, 'mine', '5']);
  assert.equal(rowsOf(path, 'mine')[0]!['emissions'], '5');
});
