// The fast task-row writer gives the same line as a full record written through the CSV writer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setClock } from '../src/clock.js';
import { resolveConfig } from '../src/config/resolve.js';
import { buildRecord, type RecordContext } from '../src/emissions/compute.js';
import { intensityFor } from '../src/emissions/intensity.js';
import { csvLine, parseCsv } from '../src/output/csv.js';
import { columns, isoLocal, taskColumns } from '../src/output/record.js';
import { rowsPerText, runOnlyCells, TaskLines } from '../src/output/task-rows.js';
import type { ResolvedOptions } from '../src/types.js';
import { dryRecords } from '../src/warm.js';

const context: RecordContext = {
  timestamp: new Date(2026, 10, 28, 12, 0, 0), projectName: 'p,"q"', runId: 'r', experimentId: 'e', trackingMode: 'machine',
  pue: 1.3, wue: 1.8, intensity: intensityFor({ countryIsoCode: 'DEU' }), region: '', latitude: null, longitude: null,
  cloudProvider: '', cloudRegion: '',
  machine: { os: 'Linux', runtime: 'node 20', version: '0.1.0', cpuCount: 2, cpuModel: 'X', gpuCount: 0, gpuModel: '', ramTotalGiB: 8 },
  utilisation: { cpuPercent: 50, gpuPercent: 0, ramPercent: 10, ramUsedGiB: 1 },
};
const sources = { cpuSource: 'rapl (measured)', gpuSource: 'none', ramSource: 'dimm-model (estimate)' };
/** Marks on the wall clock itself, for the tests: a task's end is its timestamp. */
const wall = (tMs: number): number => tMs;
const at = (s: number): number => context.timestamp.getTime() - 60_000 + s * 1000;
/** A task row's own timestamp: its end's second. */
const stamp = (endMs: number): string => isoLocal(new Date(endMs));

test('TaskLines.line equals csvLine of the full record, names quoted and neutralised', () => {
  const base = { ...buildRecord(0, { cpuUj: 0, gpuUj: 0, ramUj: 0, ...sources }, context), task_name: '', final: '', resolution: '', task_count: 0, ended_by: '', ...runOnlyCells };
  const lines = new TaskLines(taskColumns, base, context.pue, context.intensity.gCo2ePerKwh, context.wue, wall);
  for (const [name, end, d, cpu, ram] of [['=cmd,"x"', at(1.5), 0.25, 1234.5, 99], ['plain', at(1.9), 3, 5e9, 7e7], ['later', at(7.2), 1, 1, 1]] as const) {
    const full = { ...buildRecord(d, { cpuUj: cpu, gpuUj: 0, ramUj: ram, ...sources }, context), task_name: name, final: 'Y', resolution: 'sampled',
      task_count: 1, ended_by: 'stopTask', ...runOnlyCells, timestamp: stamp(end) };
    const line = lines.line(name, end, d, cpu, 0, ram, true, 'sampled', 1, 'stopTask');
    assert.equal(line, csvLine(taskColumns.map((c) => (full as Record<string, string | number>)[c])));
    // The task's own second, not the run's record's; no utilisation of the run's passed for the task's.
    const row = parseCsv(`${taskColumns.join(',')}\n${line}`)[1]!;
    assert.equal(row[taskColumns.indexOf('timestamp')], stamp(end));
    assert.notEqual(row[taskColumns.indexOf('timestamp')], isoLocal(context.timestamp));
    assert.deepEqual(['cpu_utilization_percent', 'ram_used_gb'].map((c) => row[taskColumns.indexOf(c as (typeof taskColumns)[number])]), ['', '']);
  }
});

test('TaskLines in any column order (own cells first, last, side by side): the same line as csvLine of the record', () => {
  const base = { ...buildRecord(0, { cpuUj: 0, gpuUj: 0, ramUj: 0, ...sources }, context), task_name: '', final: '', resolution: '', task_count: 0, ended_by: '', ...runOnlyCells };
  const full: Record<string, string | number> = { ...buildRecord(2, { cpuUj: 7e6, gpuUj: 1e6, ramUj: 3e5, ...sources }, context),
    task_name: 'a,b', final: 'N', resolution: 'folded', task_count: 12, ended_by: 'stop', ...runOnlyCells, timestamp: stamp(at(3)) };
  const reversed = [...taskColumns].reverse();
  const shuffled = [...taskColumns].sort((a, b) => (a.length - b.length) || a.localeCompare(b));
  for (const header of [taskColumns, reversed, shuffled]) {
    const lines = new TaskLines(header, base, context.pue, context.intensity.gCo2ePerKwh, context.wue, wall);
    assert.equal(lines.line('a,b', at(3), 2, 7e6, 1e6, 3e5, false, 'folded', 12, 'stop'), csvLine(header.map((c) => full[c])));
  }
  assert.throws(() => new TaskLines(['task_name', 'duration'], base, 1, 1, 1), /the header lacks emissions, emissions_rate/);
});

test('task rows joined in texts of rowsPerText lines: the same lines as line() makes one by one, in order, the last text partial', () => {
  const base = { ...buildRecord(0, { cpuUj: 0, gpuUj: 0, ramUj: 0, ...sources }, context), task_name: '', final: '', resolution: '', task_count: 0, ended_by: '', ...runOnlyCells };
  const lines = new TaskLines(taskColumns, base, context.pue, context.intensity.gCo2ePerKwh, context.wue, wall);
  const n = 2 * rowsPerText + 7;
  // Each row its own name (one quoted), duration and energies, so that a row out of place or a cell left from another shows.
  const row = (i: number) => [i === 5 ? `t,${i}` : `t${i}`, at(0.3 * i), 0.001 * (i + 1), 1e3 * i + 0.5, i % 2 ? 0 : 7 * i, 3 * i + 1,
    i % 3 === 0, i % 2 ? 'sampled' : 'apportioned', 1, i === n - 1 ? 'stop' : 'stopTask'] as const;
  const one = Array.from({ length: n }, (_, i) => lines.line(...row(i)));
  const texts: string[] = [];
  for (let i = 0; i < n; i++) lines.add(texts, ...row(i));
  lines.flush(texts);
  assert.deepEqual(texts.map((t) => t.split('\n').length - 1), [rowsPerText, rowsPerText, 7]);
  assert.equal(texts.join(''), one.join(''));
  lines.flush(texts); // nothing added since: no empty text
  assert.equal(texts.length, 3);
  // Made again after a flush: the rows' fixed text is intact, a line() between adds changes nothing.
  const again: string[] = [];
  lines.add(again, ...row(3));
  assert.equal(lines.line(...row(4)), one[4]);
  lines.add(again, ...row(8));
  lines.flush(again);
  assert.deepEqual(again, [one[3]! + one[8]!]);
});

test('the warm-up\'s dry records go through the real record and task-row code: a whole record, eight task rows, exact figures, nothing written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cc-dry-'));
  try {
    const o = resolveConfig({ projectName: 'dry', outputDir: dir }, { env: {}, cwd: dir, home: dir }).values as unknown as ResolvedOptions;
    // Exact whatever the clock reads: at these readings, samples spaced from the clock's fraction made the figures 1 ulp off.
    for (const ms of [1929.5257, 1951.483]) {
      setClock(() => ms);
      try {
        const [run] = parseCsv(dryRecords(o, intensityFor({ countryIsoCode: 'DEU' })));
        const fields = Object.fromEntries(columns.map((c, i) => [c, run![i]]));
        assert.deepEqual([Number(fields['cpu_energy']), Number(fields['ram_energy'])], [250_000 / 3.6e12, 50_000 / 3.6e12], `clock at ${ms} ms`);
      } finally {
        setClock(null);
      }
    }
    const rows = parseCsv(dryRecords(o, intensityFor({ countryIsoCode: 'DEU' })));
    assert.equal(rows.length, 9);
    const record = Object.fromEntries(columns.map((c, i) => [c, rows[0]![i]]));
    assert.equal(record['project_name'], 'dry');
    // 250 ms of a counter rising 100,000 µJ per 100 ms sample: 250,000 µJ of CPU, 50,000 µJ of RAM (PUE 1).
    assert.equal(Number(record['cpu_energy']), 250_000 / 3.6e12);
    assert.equal(Number(record['ram_energy']), 50_000 / 3.6e12);
    for (const row of rows.slice(1)) {
      const task = Object.fromEntries(taskColumns.map((c, i) => [c, row[i]]));
      assert.equal(task['task_name'], 'warm');
      for (const c of ['duration', 'cpu_energy', 'ram_energy', 'emissions']) assert.ok(Number(task[c]) >= 0, `${c} = ${task[c]}`);
    }
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
