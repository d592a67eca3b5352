// Fake powercap and /proc trees in temp dirs, for real reads by the real sources.
import { chmodSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync, closeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One powercap zone; `maxRangeUj: null` leaves max_energy_range_uj out. */
export interface ZoneSpec {
  readonly id: string;
  readonly name: string;
  readonly energyUj?: bigint | number | string;
  readonly maxRangeUj?: bigint | number | null;
}

const made = new Set<string>();
let cleanupInstalled = false;

/**
 * A temp directory, world-traversable so a test's unprivileged child can read it too. Removed when
 * the test process exits (each test file is a process), so a full run leaves none behind.
 */
export function tempDir(prefix = 'cc-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  made.add(dir);
  if (!cleanupInstalled) {
    cleanupInstalled = true;
    process.on('exit', () => { for (const d of made) rmSync(d, { recursive: true, force: true }); });
  }
  return dir;
}

/** A powercap tree: flat (as /sys/class/powercap) or nested (as /sys/devices/virtual/powercap). */
export class FakeRapl {
  readonly root: string;

  constructor(zones: readonly ZoneSpec[], readonly layout: 'flat' | 'nested' = 'flat', root = tempDir('cc-rapl-')) {
    this.root = root;
    for (const z of zones) this.add(z);
  }

  /** The directory of zone `id` in this layout. */
  path(id: string): string {
    if (this.layout === 'flat') return join(this.root, id);
    const parts = id.split(':');
    const control = join(this.root, parts[0]!);
    const dirs = parts.slice(2).reduce((acc, _, i) => [...acc, parts.slice(0, i + 3).join(':')], [parts.slice(0, 2).join(':')]);
    return join(control, ...dirs);
  }

  add(z: ZoneSpec): void {
    const dir = this.path(z.id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'name'), `${z.name}\n`);
    writeFileSync(join(dir, 'energy_uj'), `${z.energyUj ?? 0}\n`);
    if (z.maxRangeUj !== null) writeFileSync(join(dir, 'max_energy_range_uj'), `${z.maxRangeUj ?? 262_143_328_850n}\n`);
  }

  /**
   * Overwrites energy_uj in place (same inode, so a kept-open descriptor sees it), padded to a
   * fixed width so that a concurrent reader never sees a half-written number.
   */
  write(id: string, value: bigint | number | string): void {
    const fd = openSync(join(this.path(id), 'energy_uj'), 'r+');
    try {
      const text = typeof value === 'string' ? value : `${String(value).padStart(20, '0')}\n`;
      writeSync(fd, text, 0);
      ftruncateSync(fd, Buffer.byteLength(text));
    } finally {
      closeSync(fd);
    }
  }

  chmod(id: string, mode: number): void {
    chmodSync(join(this.path(id), 'energy_uj'), mode);
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** One process of a fake /proc: CPU times in jiffies, its start time, its threads' children. */
export interface FakeProcess {
  readonly utime?: number;
  readonly stime?: number;
  /** Reaped children's time (cutime), jiffies. */
  readonly cutime?: number;
  readonly cstime?: number;
  /** Field 22, the start time after boot (clock ticks), which tells a reused pid from the process that had it. */
  readonly start?: number;
  /** Child pids by thread id; the main thread (tid = pid) always exists. */
  readonly threads?: Readonly<Record<number, readonly number[]>>;
  readonly rssKb?: number;
}

/** A fake /proc with stat, meminfo, cpuinfo and self/cgroup; processes added with setProcess(). */
export class FakeProc {
  readonly root: string;

  constructor(opts: { model?: string | null; sockets?: number; threads?: number; memTotalKb?: number; cgroup?: string } = {}) {
    this.root = tempDir('cc-proc-');
    const threads = opts.threads ?? 4;
    const sockets = opts.sockets ?? 1;
    const cpus = Array.from({ length: threads }, (_, i) => [
      `processor\t: ${i}`,
      ...(opts.model === null ? [] : [`model name\t: ${opts.model ?? 'Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz'}`]),
      `physical id\t: ${i % sockets}`,
      '',
    ].join('\n'));
    writeFileSync(join(this.root, 'cpuinfo'), cpus.join('\n'));
    writeFileSync(join(this.root, 'meminfo'), `MemTotal:       ${opts.memTotalKb ?? 16 * 1024 * 1024} kB\nMemFree: 1 kB\n`);
    mkdirSync(join(this.root, 'self'));
    writeFileSync(join(this.root, 'self', 'cgroup'), `0::${opts.cgroup ?? '/'}\n`);
    this.setStat(0, 0);
  }

  /** Writes /proc/stat's aggregate line with these busy and idle jiffies. */
  setStat(busy: number, idle: number): void {
    const line = `cpu  ${String(busy).padStart(12)} 0 0 ${String(idle).padStart(12)} 0 0 0 0 0 0\n`;
    const path = join(this.root, 'stat');
    try {
      const fd = openSync(path, 'r+');
      writeSync(fd, line, 0);
      closeSync(fd);
    } catch {
      writeFileSync(path, line);
    }
  }

  /** Writes /proc/<pid>: stat, status and task/<tid>/children for each thread, as the kernel shows them. */
  setProcess(pid: number, p: FakeProcess): void {
    const dir = join(this.root, String(pid));
    const threads: Record<number, readonly number[]> = { [pid]: [], ...p.threads };
    mkdirSync(join(dir, 'task'), { recursive: true });
    for (const tid of readdirSync(join(dir, 'task'))) if (!(Number(tid) in threads)) rmSync(join(dir, 'task', tid), { recursive: true });
    for (const [tid, kids] of Object.entries(threads)) {
      mkdirSync(join(dir, 'task', tid), { recursive: true });
      writeFileSync(join(dir, 'task', tid, 'children'), kids.map((k) => `${k} `).join(''));
    }
    // Fields 3-22 after the name: state, ppid … cmajflt, utime, stime, cutime, cstime, priority, nice, threads, 0, starttime.
    const times = [p.utime ?? 0, p.stime ?? 0, p.cutime ?? 0, p.cstime ?? 0].join(' ');
    const n = Object.keys(threads).length;
    writeFileSync(join(dir, 'stat'), `${pid} (a (b) c) S ${'0 '.repeat(10)}${times} 20 0 ${n} 0 ${p.start ?? 1000 + pid} 0 0\n`);
    writeFileSync(join(dir, 'status'), `Name:\tfake\nVmRSS:\t${p.rssKb ?? 1024} kB\n`);
  }

  /** Removes /proc/<pid>, as the kernel does once the process is reaped. */
  removeProcess(pid: number): void {
    rmSync(join(this.root, String(pid)), { recursive: true, force: true });
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
