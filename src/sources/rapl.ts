// Linux powercap RAPL: zone discovery, a non-overlapping choice of domains, and counter reads.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { MarkReading } from './mark.js';
import { defaultRaplDir } from './defaults.js';
import { KeptFile, readSmall, type ChannelInfo, type EnergySource, type ReadingSink, type Warn } from './source.js';

export { defaultRaplDir };
/** The default root's virtual twin, scanned with it. */
const virtualRaplDir = '/sys/devices/virtual/powercap';

/**
 * The most one RAPL zone can plausibly draw. Larger jumps are glitches, not energy. Generous on
 * purpose (the biggest sockets draw ~500 W): it must never refuse real energy.
 */
export const raplMaxPowerW = 2000;

export type RaplDomain = 'package' | 'psys' | 'dram' | 'core' | 'uncore' | 'other';

/** One powercap zone as found on disk. */
export interface RaplZone {
  /** Directory name, e.g. `intel-rapl:0:2`. */
  readonly id: string;
  readonly path: string;
  readonly name: string;
  readonly provider: 'msr' | 'mmio';
  readonly domain: RaplDomain;
  /** Wrap range of energy_uj in µJ; 0n when max_energy_range_uj is missing or unreadable. */
  readonly maxRangeUj: bigint;
  readonly readable: boolean;
  /** Why energy_uj could not be read (errno code or what was wrong with its content). */
  readonly unreadableReason?: string;
  readonly energyUj?: bigint;
}

/** A zone and what discovery decided for it. */
export interface RaplChoice {
  readonly zone: RaplZone;
  readonly use: 'cpu' | 'ram' | null;
  readonly reason: string;
}

/** What discovery found under the powercap roots, and the non-overlapping set it chose. */
export interface RaplPlan {
  readonly roots: readonly string[];
  readonly choices: readonly RaplChoice[];
  readonly cpu: readonly RaplZone[];
  readonly ram: readonly RaplZone[];
}

const zonePattern = /^intel-rapl(-mmio)?:[0-9a-f]+(:[0-9a-f]+)*$/;
const controlPattern = /^intel-rapl(-mmio)?$/;

/** Parses a counter file's text: decimal digits only, below 2^64. */
export function parseCounter(text: string): bigint | string {
  const s = text.trim();
  if (s === '') return 'empty';
  if (!/^\d+$/.test(s)) return `not a number: ${JSON.stringify(s.slice(0, 24))}`;
  const v = BigInt(s);
  return v < 2n ** 64n ? v : 'above 2^64';
}

const readText = (path: string): string | undefined => readSmall(path);

/**
 * How often a counter file is checked for having been replaced (a stat), ms: one file per check, in
 * turn (a stat costs a woken sampler thread tens of µs). A file whose read fails is checked at once,
 * and a file on sysfs (every real zone's) is only checked then: its reads fail once it is removed.
 */
const replacedCheckMs = 1000;

function domainOf(name: string): RaplDomain {
  const n = name.toLowerCase();
  if (n.startsWith('package')) return 'package';
  if (n === 'psys') return 'psys';
  if (n.startsWith('dram')) return 'dram';
  if (n === 'core') return 'core';
  if (n === 'uncore') return 'uncore';
  return 'other';
}

function readZone(id: string, path: string): RaplZone {
  const name = readText(join(path, 'name'))?.trim() || id;
  const range = parseCounter(readText(join(path, 'max_energy_range_uj')) ?? '');
  const base = {
    id, path, name, provider: id.startsWith('intel-rapl-mmio') ? 'mmio' as const : 'msr' as const,
    domain: domainOf(name), maxRangeUj: typeof range === 'bigint' ? range : 0n,
  };
  let text: string;
  try {
    const f = new KeptFile(join(path, 'energy_uj'));
    text = f.text();
    f.close();
  } catch (e) {
    return { ...base, readable: false, unreadableReason: (e as NodeJS.ErrnoException).code ?? String(e) };
  }
  const v = parseCounter(text);
  if (typeof v === 'string') return { ...base, readable: false, unreadableReason: v };
  return { ...base, readable: true, energyUj: v };
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function listDir(path: string): string[] {
  try {
    return readdirSync(path).sort();
  } catch {
    return [];
  }
}

/**
 * Calls `found(id, path)` for every zone directory below `root`: listed flat (/sys/class/powercap
 * lists every zone, sub-zones too) or nested under a control directory (/sys/devices/virtual/
 * powercap/intel-rapl/…). `found` says whether the entry was a zone directory to look into.
 */
function walkZones(root: string, found: (id: string, path: string) => boolean): void {
  const visit = (dir: string, nested: boolean, depth: number): void => {
    for (const entry of listDir(dir)) {
      const path = join(dir, entry);
      if (zonePattern.test(entry)) {
        if (found(entry, path) && nested && depth < 3) visit(path, true, depth + 1);
      } else if (controlPattern.test(entry) && depth === 0) {
        visit(path, true, 1);
      }
    }
  };
  visit(root, false, 0);
}

/** Every zone below `roots`, flat (/sys/class/powercap) or nested (/sys/devices/virtual/powercap). */
export function scanRapl(roots: readonly string[]): RaplZone[] {
  const zones = new Map<string, RaplZone>();
  for (const root of roots) {
    walkZones(root, (id, path) => {
      if (!isDir(path)) return false;
      if (!zones.has(id)) zones.set(id, readZone(id, path));
      return true;
    });
  }
  return [...zones.values()].sort((a, b) => naturalCompare(a.id, b.id));
}

/**
 * Each zone's energy_uj as text, as fast as it can be read: the start mark's reading on the
 * calling thread (names and ranges are read later, by the sampler thread). The first root that
 * holds zones is enough: /sys/class/powercap lists them all.
 */
export function readRaplEnergies(roots: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const root of roots) {
    walkZones(root, (id, path) => {
      const text = readSmall(join(path, 'energy_uj'), 32);
      if (text !== undefined && !(id in out)) out[id] = text;
      return text !== undefined;
    });
    if (Object.keys(out).length > 0) break;
  }
  return out;
}

/**
 * Zone ids in natural order (`intel-rapl:2` before `intel-rapl:10`), without Intl: a collator
 * costs the sampler thread's start-up 15 ms of ICU loading.
 */
function naturalCompare(a: string, b: string): number {
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] === pb[i]) continue;
    const na = Number(pa[i]);
    const nb = Number(pb[i]);
    if (i % 2 === 1 && na !== nb) return na - nb;
    return pa[i]! < pb[i]! ? -1 : 1;
  }
  return pa.length - pb.length;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Zones whose counter mirrors another's: multi-die AMD parts expose one `package-N-die-M` zone per
 * die, all reading the same socket counter, and summing them counts the socket twice. Equal values
 * are confirmed by equal deltas a few milliseconds later.
 */
function findMirrors(zones: readonly RaplZone[]): Map<string, RaplZone> {
  const mirrors = new Map<string, RaplZone>();
  const candidates = zones.filter((z, i) => zones.some((o, j) => j !== i && o.energyUj === z.energyUj));
  if (candidates.length === 0) return mirrors;
  Atomics.wait(sleeper, 0, 0, 20);
  const again = new Map(candidates.map((z) => [z.id, parseCounter(readText(join(z.path, 'energy_uj')) ?? '')]));
  candidates.forEach((z, i) => {
    const first = candidates.slice(0, i).find((o) => !mirrors.has(o.id) && o.energyUj === z.energyUj
      && again.get(o.id) === again.get(z.id));
    if (first !== undefined) mirrors.set(z.id, first);
  });
  return mirrors;
}

/** Chooses a non-overlapping set of the zones found under `roots`: packages (or psys), DRAM per socket; says why for every zone. */
export function planRapl(roots: readonly string[], preferPsys: boolean): RaplPlan {
  const zones = scanRapl(roots);
  const msrByName = new Map(zones.filter((z) => z.provider === 'msr' && z.readable).map((z) => [z.name, z]));
  const decided = new Map<string, string>();
  for (const z of zones) {
    const twin = msrByName.get(z.name);
    if (z.provider === 'mmio' && twin !== undefined) decided.set(z.id, `duplicates ${twin.id} (${twin.name}) through MMIO`);
  }
  const live = zones.filter((z) => z.readable && !decided.has(z.id));
  for (const [id, first] of findMirrors(live.filter((z) => z.domain === 'package'))) {
    decided.set(id, `mirrors ${first.id} (${first.name}): equal value and equal delta, one counter per socket`);
  }
  const usable = live.filter((z) => !decided.has(z.id));
  const packages = usable.filter((z) => z.domain === 'package');
  const psys = usable.filter((z) => z.domain === 'psys');
  const cpu = preferPsys && psys.length > 0 ? psys.slice(0, 1) : packages.length > 0 ? packages : psys.slice(0, 1);
  const ram = usable.filter((z) => z.domain === 'dram');
  const choices = zones.map((zone): RaplChoice => {
    if (cpu.includes(zone)) return { zone, use: 'cpu', reason: cpuReason(zone, preferPsys) };
    if (ram.includes(zone)) return { zone, use: 'ram', reason: 'DRAM energy of its socket, counted as RAM' };
    return { zone, use: null, reason: decided.get(zone.id) ?? skipReason(zone, cpu) };
  });
  return { roots, choices, cpu, ram };
}

function cpuReason(zone: RaplZone, preferPsys: boolean): string {
  if (zone.domain === 'package') return 'CPU package energy';
  return preferPsys ? 'platform energy, chosen by rapl_prefer_psys' : 'platform energy: no readable package zone';
}

function skipReason(zone: RaplZone, cpu: readonly RaplZone[]): string {
  if (!zone.readable) return `energy_uj not readable (${zone.unreadableReason})`;
  const usingPsys = cpu.some((z) => z.domain === 'psys');
  switch (zone.domain) {
    case 'core':
    case 'uncore':
      return `part of its package zone: adding it would count it twice`;
    case 'psys':
      return 'contains the package zones: adding it would count them twice';
    case 'package':
      return usingPsys ? 'inside the psys zone chosen by rapl_prefer_psys' : 'not chosen';
    default:
      return 'unknown domain';
  }
}

/** The roots to scan for a configured rapl_dir. */
export function raplRoots(raplDir: string): string[] {
  return raplDir === defaultRaplDir ? [defaultRaplDir, virtualRaplDir] : [raplDir];
}

/** A warning for zones that exist but cannot be read, naming the files and the fixes. */
export function permissionMessage(files: readonly string[]): string {
  return `RAPL energy counters are not readable by this user: ${files.join(', ')} `
    + '(energy_uj is root-only since Linux 5.10). CPU energy will be estimated instead. '
    + 'To measure it, allow reading the counters: `sudo chmod a+r /sys/class/powercap/intel-rapl*/energy_uj '
    + '/sys/class/powercap/intel-rapl*/*/energy_uj` (until reboot), or a sysfsutils line '
    + '`mode class/powercap/intel-rapl:0/energy_uj = 0444` per zone in /etc/sysfs.conf, '
    + 'or a udev rule giving a group read access (mode 0440).';
}

class RaplSource implements EnergySource {
  readonly channels: readonly ChannelInfo[];
  readonly #files: KeptFile[] = [];
  /** The last check for a replaced file (of any), ms, and the file checked next. */
  #checkedMs = Number.NaN;
  #turn = 0;
  /** Per file: when it was last checked, and last read. */
  readonly #fileCheckedMs: Float64Array;
  readonly #readMs: Float64Array;

  constructor(readonly zones: readonly { zone: RaplZone; component: 'cpu' | 'ram' }[], readonly warn: Warn) {
    this.channels = zones.map(({ zone, component }) => ({
      id: `rapl:${zone.id}`,
      component,
      source: zone.domain === 'dram' ? 'rapl-dram' : zone.domain === 'psys' ? 'rapl-psys' : 'rapl',
      measured: true,
      detail: `RAPL ${zone.name} (${zone.path})`,
      kind: 'counter',
      maxRange: zone.maxRangeUj,
      maxPowerW: raplMaxPowerW,
    }));
    for (const { zone } of zones) {
      if (zone.maxRangeUj === 0n) {
        warn(`rapl-range:${zone.id}`, `${join(zone.path, 'max_energy_range_uj')} is missing or unreadable: `
          + 'counter wraps cannot be corrected, so a decreasing reading will be dropped instead.');
      }
      this.#files.push(new KeptFile(join(zone.path, 'energy_uj'), 32));
    }
    this.#fileCheckedMs = new Float64Array(zones.length).fill(Number.NaN);
    this.#readMs = new Float64Array(zones.length).fill(Number.NaN);
  }

  read(sink: ReadingSink, offset: number, tMs: number): void {
    let check = -1;
    if (!(tMs - this.#checkedMs < replacedCheckMs)) {
      this.#checkedMs = tMs;
      // The next file in turn whose path needs a look (none on sysfs: their reads fail once removed).
      const n = this.#files.length;
      for (let k = 0; k < n && check < 0; k++) {
        const i = (this.#turn + k) % n;
        if (!this.#files[i]!.failsOnceRemoved) check = i;
      }
      if (check >= 0) this.#turn = (check + 1) % n;
    }
    for (let i = 0; i < this.#files.length; i++) {
      const file = this.#files[i]!;
      let value: bigint | number | string;
      try {
        // A deleted file read through its kept descriptor reads its last content: only a look at the path tells.
        if (i === check) this.#reopenIfReplaced(i, sink, offset, tMs, this.#fileCheckedMs[i]!);
        let got: number | string;
        try {
          got = file.counter();
        } catch (e) {
          // A removed sysfs file fails its reads (ENODEV): look for the new one now, not at its turn.
          // The old file read well until the last reading: the span since then is the one not measured.
          if (i === check || !this.#lookedUpAgain(i, sink, offset, tMs)) throw e;
          got = file.counter();
        }
        value = typeof got === 'number' ? got : parseCounter(got);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? String(e);
        this.warn(`rapl-read:${file.path}:${code}`, `${file.path} could not be read (${code}): this zone's `
          + 'readings are skipped until it reads again; energy measured so far is kept.');
        continue;
      }
      if (typeof value === 'string') {
        this.warn(`rapl-parse:${file.path}`, `${file.path} held an invalid counter (${value}): reading skipped.`);
        continue;
      }
      this.#readMs[i] = tMs;
      sink.setCounter(offset + i, value);
    }
  }

  /** After a failed read of file `i`: whether its path names a new file, now kept (the read's own error stands when not, or when the path is gone). */
  #lookedUpAgain(i: number, sink: ReadingSink, offset: number, tMs: number): boolean {
    try {
      return this.#reopenIfReplaced(i, sink, offset, tMs, this.#readMs[i]!);
    } catch {
      return false;
    }
  }

  /**
   * When file `i`'s path names another file now (a driver reload), reads that one from here: its
   * counter starts anywhere, so there is no delta across the two, and the energy from `sinceMs` (the
   * last moment the old file is known to have been the one) is not measured. Throws the fs error.
   */
  #reopenIfReplaced(i: number, sink: ReadingSink, offset: number, tMs: number, sinceMs: number): boolean {
    const file = this.#files[i]!;
    this.#fileCheckedMs[i] = tMs;
    if (!file.reopenIfReplaced()) return false;
    sink.rebase(offset + i, Number.isNaN(sinceMs) ? tMs : sinceMs);
    this.warn(`rapl-replaced:${file.path}:${tMs}`, `${file.path} was replaced (the RAPL driver reloaded?): it is read `
      + 'again from here; the energy since it was last known to be the one read is not measured (rows say resolution "gap").');
    return true;
  }

  prime(sink: ReadingSink, offset: number, mark: MarkReading): void {
    this.zones.forEach(({ zone }, i) => {
      const text = mark.raplUj[zone.id];
      const value = text === undefined ? 'not read at the mark' : parseCounter(text);
      // A zone the mark could not read holds no reading there: its head is not measured, and rows say so.
      if (typeof value === 'bigint') sink.setCounter(offset + i, value);
    });
  }

  close(): void {
    this.#files.forEach((f) => f.close());
  }
}

/** Opens the chosen zones; the CPU zones first, then DRAM. */
export function openRapl(plan: RaplPlan, warn: Warn, withDram: boolean): EnergySource {
  const zones = [
    ...plan.cpu.map((zone) => ({ zone, component: 'cpu' as const })),
    ...(withDram ? plan.ram.map((zone) => ({ zone, component: 'ram' as const })) : []),
  ];
  return new RaplSource(zones, warn);
}

/** Whether a configured rapl_dir is a directory that exists. */
export function raplDirExists(dir: string): boolean {
  return isDir(dir);
}
