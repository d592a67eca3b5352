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
  return parsePidTimes(text)?.jiffies ?? null;
}

/** A process's CPU time (own and reaped children's, jiffies) and its start time as /proc writes it (tells a reused pid). */
export interface PidTimes {
  readonly jiffies: number;
  readonly start: string | undefined;
}

/** Fields 14-17 and 22 of /proc/<pid>/stat, counted from the state after the name. */
function parsePidTimes(text: string): PidTimes | null {
  const after = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const f = [11, 12, 13, 14].map((i) => Number(after[i]));
  if (!f.every((x) => Number.isFinite(x) && x >= 0)) return null;
  return { jiffies: f.reduce((a, b) => a + b, 0), start: after[19] };
}

/** A member of a process tree: its start time and CPU time when last read. */
interface Member {
  start: string | undefined;
  jiffies: number;
}

/** How long a walk of main threads only may stand for a walk of every thread, ms. */
const fullWalkEveryMs = 1000;

/**
 * A process and its descendants. Exited children's CPU time moves into their parent's
 * cutime/cstime when reaped, so summing each live member's own and children's times stays
 * continuous as the tree changes. Descendants are found by walking the tree (refresh(): the
 * `children` file of each process's threads); a member that leaves the tree alive (its parent
 * died: it belongs to init now) keeps the time it had, which counted while it was a member.
 */
export class ProcessTree {
  /** Members in the order the walk found them: each after its parent. */
  #order: number[];
  readonly #members = new Map<number, Member>();
  /** CPU time of members that left the tree alive, when last read (jiffies). */
  #departedJiffies = 0;
  #fullWalkMs = Number.NEGATIVE_INFINITY;

  constructor(readonly procDir: string, readonly pid: number) {
    this.#order = [pid];
  }

  /**
   * Finds the current descendants through /proc/<pid>/task/<tid>/children. Every thread's file
   * costs a directory listing and a read per thread (about 200 µs for a Node.js process of 13
   * threads), so at time `tMs` a walk reads only each process's main thread (where fork() is
   * usually called from: a shell, Node.js's child_process), keeping the members it does not reach,
   * unless a second has passed since the last walk of every thread; with no `tMs`, every thread.
   */
  refresh(tMs?: number): void {
    const full = tMs === undefined || tMs - this.#fullWalkMs >= fullWalkEveryMs;
    if (full && tMs !== undefined) this.#fullWalkMs = tMs;
    const found: number[] = [];
    const seen = new Set<number>();
    const walk = (root: number): void => {
      const queue = [root];
      while (queue.length > 0 && found.length < 10_000) {
        const p = queue.shift()!;
        if (seen.has(p)) continue;
        seen.add(p);
        found.push(p);
        for (const tid of full ? this.#threads(p) : [String(p)]) {
          const kids = readOrNull(join(this.procDir, String(p), 'task', tid, 'children'));
          kids?.trim().split(/\s+/).filter((k) => k !== '').forEach((k) => queue.push(Number(k)));
        }
      }
    };
    walk(this.pid);
    for (const p of this.#order) {
      if (seen.has(p)) continue;
      if (full) this.#leave(p);
      else walk(p);
    }
    this.#order = found;
  }

  /** How many processes the tree holds, as last walked. */
  get size(): number {
    return this.#order.length;
  }

  #threads(p: number): string[] {
    try {
      return readdirSync(join(this.procDir, String(p), 'task'));
    } catch {
      return [];
    }
  }

  /** A member the full walk no longer finds: if it still runs, it left the tree and its time so far stays counted. */
  #leave(p: number): void {
    const m = this.#members.get(p);
    if (m === undefined) return;
    this.#members.delete(p);
    const text = readOrNull(join(this.procDir, String(p), 'stat'));
    const now = text === null ? null : parsePidTimes(text);
    if (now !== null && now.start === m.start) this.#departedJiffies += m.jiffies;
  }

  /**
   * CPU seconds of the tree, or null when the root process's own stat cannot be read. Parents are
   * read before their children: a child reaped between the two reads is then in neither (a dip,
   * which the caller's high-water mark waits out until the parent's cutime shows it), never in both.
   */
  cpuSeconds(): number | null {
    let jiffies = this.#departedJiffies;
    const kept: number[] = [];
    for (const p of this.#order) {
      const text = readOrNull(join(this.procDir, String(p), 'stat'));
      const now = text === null ? null : parsePidTimes(text);
      const m = this.#members.get(p);
      // Gone (reaped: its time is in its parent's now), or its pid already reused by another process.
      if (now === null || (m !== undefined && m.start !== now.start)) {
        if (p === this.pid) return null;
        this.#members.delete(p);
        continue;
      }
      if (m === undefined) this.#members.set(p, { start: now.start, jiffies: now.jiffies });
      else m.jiffies = now.jiffies;
      kept.push(p);
      jiffies += now.jiffies;
    }
    this.#order = kept;
    return jiffies / clockTicksPerSecond;
  }

  /** Resident memory of the tree in bytes (VmRSS), or null when the root's cannot be read. */
  rssBytes(): number | null {
    let bytes = 0;
    for (const p of this.#order) {
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
