// Static facts about this machine and runtime for the record: os, runtime, version, utilisation.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { arch, freemem, release, totalmem, type } from 'node:os';
import { cpuTimesAt, type CpuTimes } from './sources/proc.js';

let version: string | undefined;

/** This package's version, from its package.json. */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return version;
}

let platform: string | undefined;
let reportBlocked = false;
/** The glibc version read from the loaded C library's banner, once known. */
let glibc: string | undefined;
let glibcRead: Promise<void> | null = null;

/**
 * Like Python's platform.platform(): e.g. `Linux-6.8.0-78-generic-x86_64-with-glibc2.39`. The glibc
 * version comes from warmPlatform()'s background read; failing that, from a diagnostic report.
 */
export function platformString(): string {
  if (platform !== undefined) return platform;
  if (glibc !== undefined) return (platform = platformWith(glibc));
  // The report asks every thread for its stack: it waits for each of them (4 to 16 ms, measured).
  const header = reportBlocked ? undefined
    : (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  const p = platformWith(header?.glibcVersionRuntime ?? '');
  if (!reportBlocked) platform = p;
  return p;
}

/**
 * Starts reading the glibc version off this thread, once: the banner of the libc this process
 * loaded ("… release version 2.39."), its path from /proc/self/maps, read by the thread pool. The
 * same figure as the report's glibcVersionRuntime, without the report's milliseconds in a stop().
 * Resolves when the read is over, found or not (then platformString() asks the report).
 */
export function warmPlatform(): Promise<void> {
  glibcRead ??= loadedGlibc().then((v) => { glibc = v; }, () => {});
  return glibcRead;
}

const bannerMark = Buffer.from(' release version ');

/** The version in the loaded glibc's banner; undefined when there is no such library or banner. */
async function loadedGlibc(): Promise<string | undefined> {
  const maps = await readFile('/proc/self/maps', 'latin1');
  const path = /\s(\/\S*\/libc(?:\.so\.6|-[\d.]+\.so))$/m.exec(maps)?.[1];
  if (path === undefined) return undefined;
  const image = await readFile(path);
  const at = image.indexOf(bannerMark);
  if (at < 0) return undefined;
  const text = image.toString('latin1', Math.max(0, at - 200), at + 40);
  return /GNU C Library[^\n]* release version (\d+\.\d+(?:\.\d+)?)\./.exec(text)?.[1];
}

/**
 * A thread of this process is stuck in a native call: a diagnostic report (the glibc version) would
 * wait for it forever, so the platform is given without it from now on.
 */
export function avoidProcessReport(): void {
  reportBlocked = true;
}

function platformWith(glibcVersion: string): string {
  const machine = arch() === 'x64' ? 'x86_64' : arch() === 'arm64' ? 'aarch64' : arch();
  return `${type()}-${release()}-${machine}${glibcVersion ? `-with-glibc${glibcVersion}` : ''}`;
}

/** The runtime, in the column upstream calls python_version. */
export const runtimeVersion = (): string => `node ${process.versions.node}`;

let total: number | undefined;
let lastRam: { atMs: number; use: { percent: number; usedGiB: number } } | null = null;

/**
 * Memory in use: percent of total and GiB, as read less than 10 ms ago (each reading parses
 * /proc/meminfo: a decorated function called in a loop reads it once, not at every call).
 */
export function ramUse(): { percent: number; usedGiB: number } {
  const now = performance.now();
  if (lastRam === null || now - lastRam.atMs > 10) {
    total ??= totalmem();
    const used = total - freemem();
    lastRam = { atMs: now, use: { percent: (used / total) * 100, usedGiB: used / 1024 ** 3 } };
  }
  return lastRam.use;
}

let lastCpu: { atMs: number; times: CpuTimes | null } = { atMs: -Infinity, times: null };

let previousCpu: CpuTimes | null = null;

/** /proc/stat now; kept for recentCpuTimes(). */
export function freshCpuTimes(): CpuTimes | null {
  previousCpu = lastCpu.times;
  lastCpu = { atMs: performance.now(), times: cpuTimesAt('/proc') };
  return lastCpu.times;
}

/**
 * Machine CPU utilisation in % since reading `c0` (a recentCpuTimes() snapshot), from a reading at
 * most 10 ms old: a run shorter than that gets the utilisation of the last two readings around it,
 * so calls in a loop read /proc/stat about every 10 ms, not once each. 0 when /proc/stat cannot be read.
 */
export function cpuPercentSince(c0: CpuTimes | null): number {
  let c1 = recentCpuTimes(10);
  let from = c1 !== c0 ? c0 : previousCpu;
  if (from === null && c1 !== null) {
    c1 = freshCpuTimes(); // the first run of the process: no earlier reading to pair with
    from = c0;
  }
  return from !== null && c1 !== null && c1.total > from.total ? ((c1.busy - from.busy) / (c1.total - from.total)) * 100 : 0;
}

/**
 * /proc/stat as read less than `maxAgeMs` ago (by a tracker's start or stop), else now: a tracker's
 * start, on its caller's path, reads the file at most once per period however often it is called.
 */
export function recentCpuTimes(maxAgeMs = 100): CpuTimes | null {
  if (performance.now() - lastCpu.atMs > maxAgeMs) return freshCpuTimes();
  return lastCpu.times;
}

/**
 * Reads now what a record's utilisation takes off /proc (kept 10 ms, as ramUse() and
 * cpuPercentSince() read them): a stop() does it while the sampler thread takes its last sample.
 */
export function readUtilisation(): void {
  ramUse();
  recentCpuTimes(10);
}
