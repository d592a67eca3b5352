// The reading at the start mark, taken on the calling thread (RAPL counters and CPU times, a read
// each), so that energy counts from the mark itself rather than from the sampler thread's first sample.
import { now } from '../clock.js';
import type { EngineOptions } from '../sampler/options.js';
import { cpuTimesAt, ProcessTree, type CpuTimes } from './proc.js';
import { raplRoots, readRaplEnergies } from './rapl.js';

/** Counters and CPU times at the start mark: the first sample of a sampler. */
export interface MarkReading {
  /** When the readings were taken (the timeline's time base, ms). */
  readonly tMs: number;
  /** Each powercap zone's energy_uj as read then (text, by zone id: the sampler thread parses it). */
  readonly raplUj: Readonly<Record<string, string>>;
  /** Whole-machine CPU times (machine mode), or null. */
  readonly procStat: CpuTimes | null;
  /** CPU seconds of the tracked process tree (process mode), or null. */
  readonly processCpuS: number | null;
}

/**
 * Reads what is cheap to read at the mark; never throws (what cannot be read is null or absent).
 * `atMs`: the mark's time when a test's fake hardware was written for it (else measured here).
 */
export function readMark(o: EngineOptions, atMs?: number): MarkReading {
  const before = now();
  const raplUj = readRaplEnergies(raplRoots(o.raplDir));
  const procStat = o.trackingMode === 'machine' ? cpuTimesAt(o.procDir) : null;
  let processCpuS: number | null = null;
  if (o.trackingMode === 'process') {
    const tree = new ProcessTree(o.procDir, o.pid);
    tree.refresh();
    processCpuS = tree.cpuSeconds();
  }
  // The readings were taken between the two clock reads: the middle is at most half their span off.
  return { tMs: atMs ?? (before + now()) / 2, raplUj, procStat, processCpuS };
}
