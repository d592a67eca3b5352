// CPU model, sockets and threads from /proc/cpuinfo, and the model's TDP from data/cpu-power.json.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/** What /proc/cpuinfo says of the processor. */
export interface CpuInfo {
  /** Brand string, or null when it cannot be read. */
  readonly model: string | null;
  readonly sockets: number;
  /** Logical CPUs (threads). */
  readonly threads: number;
}

/** How the TDP used by the CPU estimator was found. */
export type TdpOrigin = 'exact' | 'normalised' | 'word-set' | 'unknown-model' | 'no-model' | 'forced' | 'not-needed';

/** The CPU estimator's TDP, with how it was found. */
export interface TdpMatch {
  readonly tdpW: number;
  readonly origin: TdpOrigin;
  /** The table entry that matched, when one did. */
  readonly entry?: string;
  /** One line a person can read. */
  readonly detail: string;
}

/** Per-thread power for a CPU model missing from the table (CodeCarbon's rule). */
export const unknownModelWattsPerThread = 4;
/** TDP when the model cannot be read at all (CodeCarbon's POWER_CONSTANT). */
export const noModelTdpW = 85;

/** Reads /proc/cpuinfo under `procDir`; unreadable → model null, one socket, the OS's CPU count. */
export function readCpuInfo(procDir: string): CpuInfo {
  let text: string;
  try {
    text = readFileSync(join(procDir, 'cpuinfo'), 'utf8');
  } catch {
    return { model: null, sockets: 1, threads: availableParallelism() };
  }
  const field = (key: string): string[] => [...text.matchAll(new RegExp(`^${key}\\s*:\\s*(.*)$`, 'gim'))]
    .map((m) => m[1]!.trim());
  const model = field('model name')[0] || field('Processor')[0] || field('cpu model')[0] || null;
  const sockets = new Set(field('physical id')).size || 1;
  const threads = field('processor').length || availableParallelism();
  return { model, sockets, threads };
}

let table: Map<string, { name: string; tdpW: number }> | undefined;

function cpuTable(): Map<string, { name: string; tdpW: number }> {
  if (table === undefined) {
    const doc = JSON.parse(readFileSync(new URL('../../../data/cpu-power.json', import.meta.url), 'utf8')) as
      { tdpW: Record<string, number> };
    table = new Map(Object.entries(doc.tdpW).map(([name, tdpW]) => [name.toLowerCase(), { name, tdpW }]));
  }
  return table;
}

/** CodeCarbon's clean-up of a brand string: drop (R)/(TM), " CPU", and the clock speed. */
export function normaliseModel(model: string): string {
  return model
    .replace(/\((R|TM)\)/gi, '')
    .replace(/ CPU @ .*$/i, '')
    .replace(/ CPU/gi, '')
    .replace(/ @ \d+(\.\d+)?\s*GHz/i, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function words(s: string): Set<string> {
  return new Set(s.toLowerCase().replace(/[^a-z0-9]+/g, ' ').split(' ').filter((w) => w !== ''));
}

const subset = (a: Set<string>, b: Set<string>): boolean => [...a].every((w) => b.has(w));

/** Table entry for a model: exact, normalised, then a word-set match that refuses ambiguity. */
export function matchCpuModel(model: string): { name: string; tdpW: number; origin: TdpOrigin } | null {
  const t = cpuTable();
  const exact = t.get(model.trim().toLowerCase());
  if (exact !== undefined) return { ...exact, origin: 'exact' };
  const clean = normaliseModel(model);
  const normalised = t.get(clean.toLowerCase());
  if (normalised !== undefined) return { ...normalised, origin: 'normalised' };
  const mine = words(clean);
  if (mine.size === 0) return null;
  let hit: { name: string; tdpW: number } | null = null;
  for (const entry of t.values()) {
    const theirs = words(entry.name);
    if (subset(mine, theirs) || subset(theirs, mine)) {
      if (hit !== null) return null; // two candidates: a guess, so no match
      hit = entry;
    }
  }
  return hit === null ? null : { ...hit, origin: 'word-set' };
}

/** The TDP the CPU estimator uses (CodeCarbon's rules, without its double socket multiply). */
export function lookupTdp(cpu: CpuInfo, forcedW: number | null): TdpMatch {
  if (forcedW !== null) return { tdpW: forcedW, origin: 'forced', detail: `TDP ${forcedW} W from force_cpu_power` };
  if (cpu.model === null) {
    return { tdpW: noModelTdpW, origin: 'no-model', detail: `CPU model unreadable: generic TDP ${noModelTdpW} W` };
  }
  const m = matchCpuModel(cpu.model);
  if (m === null) {
    const tdpW = unknownModelWattsPerThread * cpu.threads;
    return {
      tdpW, origin: 'unknown-model',
      detail: `"${cpu.model}" is not in the CPU table: ${unknownModelWattsPerThread} W × ${cpu.threads} threads = ${tdpW} W`
        + ' (set force_cpu_power to the real TDP)',
    };
  }
  const tdpW = m.tdpW * cpu.sockets;
  return {
    tdpW, origin: m.origin, entry: m.name,
    detail: `TDP ${m.tdpW} W × ${cpu.sockets} socket(s) = ${tdpW} W (${m.origin} match "${m.name}")`,
  };
}
