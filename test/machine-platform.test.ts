// The os column: the glibc version read in the background from the loaded libc, not a diagnostic report in stop().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../src/output/csv.js';
import { fakeTracker } from './helpers/tracker.js';

/** What a diagnostic report says, as the os column had it before: the oracle. */
const reportGlibc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime;

test('stop() after tasks run right after ready(): no diagnostic report in the stop, and the os column names the report\'s glibc', async () => {
  const { tracker, rapl, dir } = fakeTracker();
  const getReport = process.report.getReport.bind(process.report);
  let reports = 0;
  process.report.getReport = ((...a: Parameters<typeof getReport>) => { reports++; return getReport(...a); }) as typeof getReport;
  try {
    tracker.start();
    await tracker.ready();
    for (let i = 0; i < 10; i++) { tracker.startTask('step'); tracker.stopTask('step'); }
    await tracker.stop();
  } finally {
    process.report.getReport = getReport;
    rapl.cleanup();
  }
  const [header, row] = parseCsv(readFileSync(join(dir, 'emissions.csv'), 'utf8'));
  const os = row![header!.indexOf('os')]!;
  if (reportGlibc === undefined) return assert.doesNotMatch(os, /with-glibc/); // musl: the report says none either
  assert.equal(reports, 0);
  assert.ok(os.endsWith(`-with-glibc${reportGlibc}`), os);
});
