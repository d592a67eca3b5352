// /proc readers: machine CPU time (/proc/stat), memory size, and a process tree's CPU time and RSS.
import { readFileSync, readdirSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { KeptFile, readSmall } from './source.js';

/** USER_HZ: the unit of /proc CPU times, 100 on every mainstream Linux architecture. */
export const clockTicksPerSecond = 100;

/** Busy and total jiffies of the whole machine, from the first line of /proc/stat. */
export interface CpuTimes {
  readonly busy: number;
  readonly total: number;
}

/** Parses the aggregate `cpu` line; idle and iowait count as not busy, guest is already in user. */
export function parseProcStat(text: string): CpuTimes | null {
  const m = /^cpu\s+([\d\s]+)$/m.exec(text);
  if (m === null) return null;
  const f = m[1]!.trim().split(/\s+/).map(Number);
  if (f.length < 4 || f.some((x) => !Number.isFinite(x) || x < 0)) return null;
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = f[3]! + (f[4] ?? 0);
  return { busy: total - idle, total };
}

/** Whole-machine CPU times now (the aggregate line, at the start of the file), or null where /proc/stat cannot be read. */
export function cpuTimesAt(procDir: string): CpuTimes | null {
  const text = readSmall(join(procDir, 'stat'), 512);
  return text === undefined ? null : parseProcStat(text.slice(0, text.indexOf('\n', 4) + 1 || undefined));
}

/** /proc/stat kept open: one pread per tick. */
export class MachineCpu {
  readonly #file: KeptFile;

  /** Throws the fs error when /proc/stat cannot be opened. */
  constructor(procDir: string) {
    this.#file = new KeptFile(join(procDir, 'stat'), 512);
  }

  /** Throws the fs error on a failed read; null when the content makes no sense. */
  read(): CpuTimes | null {
    return parseProcStat(this.#file.text());
  }

  close(): void {
    this.#file.close();
  }
}

/** Total memory in bytes from /proc/meminfo, else what the OS reports. */
export function memTotalBytes(procDir: string): number {
  try {
    const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(readFileSync(join(procDir, 'meminfo'), 'utf8'));
    if (m !== null) return Number(m[1]) * 1024;
  } catch {
    // no /proc: the OS figure is the same number by another route
  }
  return totalmem();
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

/** utime + stime + cutime + cstime of one process, in jiffies (the name may hold spaces). */
export function parsePidStat(text: string): number | null {
  const after = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const f = [11, 12, 13, 14].map((i) => Number(after[i]));
  return f.every((x) => Number.isFinite(x) && x >= 0) ? f.reduce((a, b) => a + b, 0) : null;
}

/**
 * A process and its descendants. Exited children's CPU time moves into their parent's
 * cutime/cstime when reaped, so summing each live member's own and children's times stays
 * continuous as the tree changes; descendants are rediscovered every `refresh()`.
 */
export class ProcessTree {
  #members: number[];

  constructor(readonly procDir: string, readonly pid: number) {
    this.#members = [pid];
  }

  /** Finds the current descendants through /proc/<pid>/task/<tid>/children. */
  refresh(): void {
    const found: number[] = [];
    const queue = [this.pid];
    while (queue.length > 0 && found.length < 10_000) {
      const p = queue.shift()!;
      found.push(p);
      let tasks: string[] = [];
      try {
        tasks = readdirSync(join(this.procDir, String(p), 'task'));
      } catch {
        continue;
      }
      for (const tid of tasks) {
        const kids = readOrNull(join(this.procDir, String(p), 'task', tid, 'children'));
        kids?.trim().split(/\s+/).filter((k) => k !== '').forEach((k) => queue.push(Number(k)));
      }
    }
    this.#members = found;
  }

  /** CPU seconds of the tree, or null when the root process's own stat cannot be read. */
  cpuSeconds(): number | null {
    let jiffies = 0;
    for (const p of this.#members) {
      const text = readOrNull(join(this.procDir, String(p), 'stat'));
      const j = text === null ? null : parsePidStat(text);
      if (j === null) {
        if (p === this.pid) return null;
        continue; // a descendant that exited since the last refresh
      }
      jiffies += j;
    }
    return jiffies / clockTicksPerSecond;
  }

  /** Resident memory of the tree in bytes (VmRSS), or null when the root's cannot be read. */
  rssBytes(): number | null {
    let bytes = 0;
    for (const p of this.#members) {
      const m = /^VmRSS:\s+(\d+)\s*kB/m.exec(readOrNull(join(this.procDir, String(p), 'status')) ?? '');
      if (m === null) {
        if (p === this.pid) return null;
        continue;
      }
      bytes += Number(m[1]) * 1024;
    }
    return bytes;
  }
}
