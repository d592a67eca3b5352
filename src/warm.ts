// What a tracker's construction starts in the background, so that its first start() and stop() do
// not pay for it on the caller's path (each is also done on demand if still missing then).
import { randomUUID } from 'node:crypto';
import { buildRecord, componentEnergy, type RecordContext } from './emissions/compute.js';
import type { Intensity } from './emissions/intensity.js';
import { packageVersion, ramUse, runtimeVersion, warmPlatform } from './machine.js';
import { csvLine, warmCsv } from './output/csv.js';
import { columns, taskColumns } from './output/record.js';
import { taskLinesFor, taskText } from './output/task-rows.js';
import { labelSources } from './run-record.js';
import { rowLayout } from './sampler/layout.js';
import { preloadPiscina } from './sampler/pool.js';
import { RingWriter } from './sampler/ring.js';
import { Timeline } from './sampler/timeline.js';
import type { ChannelInfo } from './sources/source.js';
import { TaskBook } from './tasks.js';
import type { ResolvedOptions } from './types.js';
import { preloadIntegrator } from './wasm/integrator.js';

let warmedIds = false;

export function warmInBackground(): void {
  preloadPiscina(); // a first start() finds the sampler's pool library loaded when the loop has turned since
  void warmPlatform(); // the glibc version for the records' os column, read in the background
  preloadIntegrator(); // the records' interpolation, compiled in the background
  warmCsv([columns, taskColumns]); // the CSV writer's first call and the files' header lines, made as the event loop turns
  if (!warmedIds) {
    warmedIds = true;
    setImmediate(() => {
      new Date().getTimezoneOffset(); // the rows' local timestamps: a first call loads the time zone (0.4-0.9 ms)
      randomUUID(); // the run's id: a first call fills the random cache (0.3 ms)
    }).unref();
  }
}

let warmedRecords = false;

/**
 * A first stop()'s code (the run's record, its CSV line, the task rows and their batch measure)
 * run once on made-up figures over a ring of its own, nothing written or booked: V8 compiles each
 * function on its first call, which made 4 to 5 ms of a first stop() after 300 tasks (measured).
 * Made as the event loop turns after a first start(), while the sampler thread boots; skipped when
 * `wanted()` says the run has ended meanwhile (its stop() compiled all of it already).
 */
export function warmRecords(o: ResolvedOptions, intensity: Intensity, wanted: () => boolean): void {
  if (warmedRecords) return;
  warmedRecords = true;
  // After the integrator's background compile: a dry run before it would compile the module a second time.
  void preloadIntegrator().then(() => setImmediate(() => {
    if (!wanted()) return;
    try {
      dryRecords(o, intensity);
    } catch {
      // Only a warm-up: the real records are made, and say what fails, where they are needed.
    }
  }).unref());
}

const dryChannels: readonly ChannelInfo[] = [
  { id: 'warm-cpu', component: 'cpu', source: 'rapl', measured: true, detail: '', kind: 'counter', scaleUj: 1, maxRange: 0n, maxPowerW: 1000 },
  { id: 'warm-ram', component: 'ram', source: 'dimm-model', measured: false, detail: '', kind: 'counter', scaleUj: 1, maxRange: 0n, maxPowerW: 1000 },
];

/** Eight tasks (of no length) between four samples 100 ms apart, measured and written as text that is dropped; returns that text. */
export function dryRecords(o: ResolvedOptions, intensity: Intensity): string {
  const book = new TaskBook();
  for (let i = 0; i < 8; i++) book.stop(book.start('warm'));
  // Whole milliseconds: the samples' spacing, and so the record's figures, are then exact whatever the clock reads.
  const t0 = Math.floor(book.startOf(0)) - 150;
  const layout = rowLayout(dryChannels);
  const ring = new RingWriter({ capacity: 8, channels: layout.columns, anchors: 1 });
  const row = new Float64Array(layout.columns);
  for (let i = 0; i < 4; i++) {
    row[0] = 1e5 * i;
    row[1] = 2e4 * i;
    row[layout.settled] = t0 + 100 * i;
    ring.publish(t0 + 100 * i, row);
  }
  const tl = new Timeline(ring, dryChannels, 100, t0);
  const ctx: RecordContext = {
    projectName: o.projectName, runId: '', experimentId: o.experimentId, trackingMode: o.trackingMode, pue: o.pue, wue: o.wue,
    intensity, region: '', latitude: null, longitude: null, cloudProvider: '', cloudRegion: '',
    machine: { os: '', runtime: runtimeVersion(), version: packageVersion(), cpuCount: 1, cpuModel: '', gpuCount: 0, gpuModel: '', ramTotalGiB: 1 },
    timestamp: new Date(), utilisation: { cpuPercent: 0, gpuPercent: 0, ramPercent: ramUse().percent, ramUsedGiB: 0 },
  };
  const e = tl.energyBetween(t0, t0 + 250);
  const record = buildRecord(0.25, labelSources(componentEnergy(dryChannels, e.energyUj), false, false), ctx);
  const line = csvLine(columns.map((c) => record[c]));
  const count = book.doneCount;
  return line + taskText(taskLinesFor(dryChannels, ctx), book, { batch: tl.measure(book.timesOf(0, count), count), from: 0 }, dryChannels, 0, count)
    .join('');
}
