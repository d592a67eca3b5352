// cgroup v2 limits of this process: usable CPUs (cpu.max) and memory (memory.max).
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, dirname } from 'node:path';

/** Effective cgroup v2 limits; null where no limit is set or none can be read. */
export interface CgroupLimits {
  /** CPU quota in CPUs (quota ÷ period), the smallest along the cgroup's ancestors. */
  readonly cpuQuota: number | null;
  readonly memoryMaxBytes: number | null;
  /** The cgroup directory read, or null outside cgroup v2. */
  readonly path: string | null;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/** This process's cgroup directory under `cgroupDir`, from `<procDir>/self/cgroup` ("0::/path"). */
function ownCgroup(cgroupDir: string, procDir: string): string | null {
  const line = read(join(procDir, 'self', 'cgroup'))?.split('\n').find((l) => l.startsWith('0::'));
  return line === undefined ? null : join(cgroupDir, line.slice(3));
}

/** Limits apply along the hierarchy, so the effective one is the smallest from leaf to root. */
export function readCgroupLimits(cgroupDir: string, procDir: string): CgroupLimits {
  const leaf = ownCgroup(cgroupDir, procDir);
  if (leaf === null) return { cpuQuota: null, memoryMaxBytes: null, path: null };
  let cpuQuota: number | null = null;
  let memoryMaxBytes: number | null = null;
  for (let dir = leaf; ; dir = dirname(dir)) {
    const [quota, period] = (read(join(dir, 'cpu.max')) ?? 'max').split(/\s+/);
    const q = Number(quota);
    const p = Number(period ?? 100000);
    if (quota !== 'max' && q > 0 && p > 0) cpuQuota = Math.min(cpuQuota ?? Infinity, q / p);
    const mem = Number(read(join(dir, 'memory.max')) ?? 'max');
    if (mem > 0) memoryMaxBytes = Math.min(memoryMaxBytes ?? Infinity, mem);
    if (dir.length <= cgroupDir.length || dir === dirname(dir)) break;
  }
  return { cpuQuota, memoryMaxBytes, path: leaf };
}

/** CPUs this process may use: the OS's count, capped by the cgroup quota. */
export function usableCpus(limits: CgroupLimits): number {
  return Math.min(availableParallelism(), limits.cpuQuota ?? Infinity);
}
