// Static facts about this machine and runtime for the record: os, runtime, version, utilisation.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { arch, freemem, release, totalmem, type } from 'node:os';
import { parseProcStat, type CpuTimes } from './sources/proc.js';

let version: string | undefined;

/** This package's version, from its package.json. */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return version;
}

let platform: string | undefined;

/** Like Python's platform.platform(): e.g. `Linux-6.8.0-78-generic-x86_64-with-glibc2.39` (read once: a report takes ms). */
export function platformString(): string {
  platform ??= readPlatform();
  return platform;
}

function readPlatform(): string {
  const machine = arch() === 'x64' ? 'x86_64' : arch() === 'arm64' ? 'aarch64' : arch();
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  const libc = header?.glibcVersionRuntime ? `-with-glibc${header.glibcVersionRuntime}` : '';
  return `${type()}-${release()}-${machine}${libc}`;
}

/** The runtime, in the column upstream calls python_version. */
export const runtimeVersion = (): string => `node ${process.versions.node}`;

/** Whole-machine CPU times now, or null where /proc/stat cannot be read. */
export function cpuTimes(procDir = '/proc'): CpuTimes | null {
  try {
    return parseProcStat(readFileSync(`${procDir}/stat`, 'latin1'));
  } catch {
    return null;
  }
}

/** Memory in use now: percent of total and GiB. */
export function ramUse(): { percent: number; usedGiB: number } {
  const used = totalmem() - freemem();
  return { percent: (used / totalmem()) * 100, usedGiB: used / 1024 ** 3 };
}

let lastCpu: { atMs: number; times: CpuTimes | null } = { atMs: -Infinity, times: null };

/** /proc/stat now, or as read less than 10 ms ago (a decorated function called in a loop reads it once). */
export function recentCpuTimes(): CpuTimes | null {
  const now = performance.now();
  if (now - lastCpu.atMs > 10) lastCpu = { atMs: now, times: cpuTimes() };
  return lastCpu.times;
}
