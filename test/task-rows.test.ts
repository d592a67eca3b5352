// The fast task-row writer gives the same line as a full record written through the CSV writer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRecord, type RecordContext } from '../src/emissions/compute.js';
import { intensityFor } from '../src/emissions/intensity.js';
import { csvLine } from '../src/output/csv.js';
import { taskColumns } from '../src/output/record.js';
import { TaskLines } from '../src/output/task-rows.js';

const context: RecordContext = {
  timestamp: new Date(2026, 10, 28, 12, 0, 0), projectName: 'p,"q"', runId: 'r', experimentId: 'e', trackingMode: 'machine',
  pue: 1.3, wue: 1.8, intensity: intensityFor({ countryIsoCode: 'DEU' }), region: '', latitude: null, longitude: null,
  cloudProvider: '', cloudRegion: '',
  machine: { os: 'Linux', runtime: 'node 20', version: '0.1.0', cpuCount: 2, cpuModel: 'X', gpuCount: 0, gpuModel: '', ramTotalGiB: 8 },
  utilisation: { cpuPercent: 50, gpuPercent: 0, ramPercent: 10, ramUsedGiB: 1 },
};
const sources = { cpuSource: 'rapl (measured)', gpuSource: 'none', ramSource: 'dimm-model (estimate)' };

test('TaskLines.line equals csvLine of the full record, names quoted and neutralised', () => {
  const base = { ...buildRecord(0, { cpuUj: 0, gpuUj: 0, ramUj: 0, ...sources }, context), task_name: '', final: '', resolution: '', task_count: 0, ended_by: '' };
  const lines = new TaskLines(taskColumns, base, context.pue, context.intensity.gCo2ePerKwh, context.wue);
  for (const [name, d, cpu, ram] of [['=cmd,"x"', 0.25, 1234.5, 99], ['plain', 3, 5e9, 7e7]] as const) {
    const full = { ...buildRecord(d, { cpuUj: cpu, gpuUj: 0, ramUj: ram, ...sources }, context), task_name: name, final: 'Y', resolution: 'sampled', task_count: 1, ended_by: 'stopTask' };
    assert.equal(lines.line(name, d, cpu, 0, ram, true, 'sampled', 1, 'stopTask'), csvLine(taskColumns.map((c) => (full as Record<string, string | number>)[c])));
  }
});

test('TaskLines in any column order (own cells first, last, side by side): the same line as csvLine of the record', () => {
  const base = { ...buildRecord(0, { cpuUj: 0, gpuUj: 0, ramUj: 0, ...sources }, context), task_name: '', final: '', resolution: '', task_count: 0, ended_by: '' };
  const full: Record<string, string | number> = { ...buildRecord(2, { cpuUj: 7e6, gpuUj: 1e6, ramUj: 3e5, ...sources }, context),
    task_name: 'a,b', final: 'N', resolution: 'folded', task_count: 12, ended_by: 'stop' };
  const reversed = [...taskColumns].reverse();
  const shuffled = [...taskColumns].sort((a, b) => (a.length - b.length) || a.localeCompare(b));
  for (const header of [taskColumns, reversed, shuffled]) {
    const lines = new TaskLines(header, base, context.pue, context.intensity.gCo2ePerKwh, context.wue);
    assert.equal(lines.line('a,b', 2, 7e6, 1e6, 3e5, false, 'folded', 12, 'stop'), csvLine(header.map((c) => full[c])));
  }
  assert.throws(() => new TaskLines(['task_name', 'duration'], base, 1, 1, 1), /the header lacks emissions, emissions_rate/);
});
