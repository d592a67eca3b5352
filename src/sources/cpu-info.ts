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

/**
 * data/cpu-power.json as scripts/build-data.mjs writes it: `models`, one line per model
 * ("name<TAB>TDP") sorted by name in lower case; `wordCounts`, each model's count of distinct
 * words (modelWords()) as a base-36 digit; `index`, one line per word ("word<TAB>ordinals of the
 * models whose name has it", base-36 gaps), sorted. A lookup searches these strings in place.
 */
interface CpuTable {
  readonly models: string;
  readonly wordCounts: string;
  readonly index: string;
}

let table: CpuTable | undefined;

function cpuTable(): CpuTable {
  table ??= JSON.parse(readFileSync(new URL('../../../data/cpu-power.json', import.meta.url), 'utf8')) as CpuTable;
  return table;
}

/**
 * Start of the line of `text` (lines sorted by their key, the text before a tab, in lower case;
 * UTF-16 order, as the data script sorts) whose key is `key` (in lower case), or -1.
 */
function findLine(text: string, key: string): number {
  let lo = 0; // [lo, hi): whole lines
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const start = text.lastIndexOf('\n', mid - 1) + 1;
    const nl = text.indexOf('\n', mid);
    const end = nl < 0 ? text.length : nl;
    const k = text.slice(start, text.indexOf('\t', start)).toLowerCase();
    if (k === key) return start;
    if (k < key) lo = end + 1;
    else hi = start;
  }
  return -1;
}

/** The line of `text` that starts at `start`, split at its tab. */
function lineAt(text: string, start: number): [string, string] {
  const nl = text.indexOf('\n', start);
  const tab = text.indexOf('\t', start);
  return [text.slice(start, tab), text.slice(tab + 1, nl < 0 ? text.length : nl)];
}

/** The model whose line starts at `start`. */
function modelAt(t: CpuTable, start: number): { name: string; tdpW: number } {
  const [name, tdp] = lineAt(t.models, start);
  return { name, tdpW: Number(tdp) };
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

/** The distinct words of a model name, in lower case (letters and digits; the rest separates them). */
export function modelWords(s: string): Set<string> {
  return new Set(s.toLowerCase().replace(/[^a-z0-9]+/g, ' ').split(' ').filter((w) => w !== ''));
}

/**
 * Finds a CPU model in CodeCarbon's table: exact (case-insensitive), then normalised, then the one
 * entry whose word set contains or is contained in the model's (two or more such entries: no match).
 */
export function matchCpuModel(model: string): { name: string; tdpW: number; origin: TdpOrigin } | null {
  const t = cpuTable();
  const exact = findLine(t.models, model.trim().toLowerCase());
  if (exact >= 0) return { ...modelAt(t, exact), origin: 'exact' };
  const clean = normaliseModel(model);
  const normalised = findLine(t.models, clean.toLowerCase());
  if (normalised >= 0) return { ...modelAt(t, normalised), origin: 'normalised' };
  const mine = modelWords(clean);
  if (mine.size === 0) return null;
  // Per model, how many of this model's words its name has: all of them (ours within its), or as
  // many as its name has (its within ours). A model sharing no word with ours is neither.
  const shared = new Uint8Array(t.wordCounts.length);
  const seen: number[] = [];
  for (const w of mine) {
    const at = findLine(t.index, w);
    if (at < 0) continue;
    const [, gaps] = lineAt(t.index, at);
    let i = 0;
    for (let from = 0; from < gaps.length;) {
      const space = gaps.indexOf(' ', from);
      const to = space < 0 ? gaps.length : space;
      i += parseInt(gaps.slice(from, to), 36);
      from = to + 1;
      if (shared[i]!++ === 0) seen.push(i);
    }
  }
  let hit = -1;
  for (const i of seen) {
    if (shared[i] === mine.size || shared[i] === parseInt(t.wordCounts[i]!, 36)) {
      if (hit >= 0) return null; // two candidates: a guess, so no match
      hit = i;
    }
  }
  if (hit < 0) return null;
  let start = 0;
  for (let i = 0; i < hit; i++) start = t.models.indexOf('\n', start) + 1;
  return { ...modelAt(t, start), origin: 'word-set' };
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
