// Fake powercap and /proc trees in temp dirs, for real reads by the real sources.
import { chmodSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync, closeSync, ftruncateSync } from 'node:fs';
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

/** A fake /proc with stat, meminfo, cpuinfo and self/cgroup. */
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

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
