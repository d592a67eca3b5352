// The sampling rate: full while the process is active, slower while it idles, never so slow that a
// counter could wrap unseen; and how the sampler tells an active process without a mark's help.
import { openSync, readSync } from 'node:fs';
import { scanDecimal, scanned, type ChannelInfo } from '../sources/source.js';

/**
 * Longest period at which no counter can wrap twice between two readings: half the time the
 * fastest-wrapping counter takes to wrap at its max plausible power.
 */
export function safePeriodMs(channels: readonly ChannelInfo[], wantedMs: number): number {
  let ms = wantedMs;
  for (const c of channels) {
    if (c.kind !== 'counter' || !c.maxRange) continue;
    const wrapJ = Number(c.maxRange) * (c.scaleUj ?? 1) / 1e6;
    ms = Math.min(ms, (wrapJ / (2 * c.maxPowerW)) * 1000);
  }
  return Math.max(1, ms);
}

/**
 * The sampling rate: the full rate while the process is active (busy on a CPU, a tracker starting,
 * a benchmark harness holding it, someone waking the sampler for a sample), and once it has not
 * been for a while, a period that doubles at each tick up to the idle period, so that a tracker
 * left running costs little. The idle period never exceeds what the counters allow (see
 * safePeriodMs()): a counter never wraps unseen at the slow rate.
 */
export class SampleRate {
  #periodMs: number;
  #lastActiveMs: number;

  /** `idleAfterMs`: how long without activity before the rate slows. */
  constructor(readonly fastMs: number, readonly idleMs: number, readonly idleAfterMs: number, nowMs: number) {
    this.#periodMs = fastMs;
    this.#lastActiveMs = nowMs;
  }

  get periodMs(): number {
    return this.#periodMs;
  }

  /** After a tick at `nowMs`: `active` when the process was active since the tick before. Returns the period. */
  next(active: boolean, nowMs: number): number {
    if (active) {
      this.#lastActiveMs = nowMs;
      this.#periodMs = this.fastMs;
    } else if (nowMs - this.#lastActiveMs >= this.idleAfterMs) {
      this.#periodMs = Math.min(this.idleMs, this.#periodMs * 2);
    }
    return this.#periodMs;
  }
}

/** CPU time this process has used, all threads, µs. */
export const processCpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

const schedstat = Buffer.alloc(64);

/**
 * CPU time the calling thread has used, µs, from /proc/thread-self/schedstat (ns, kept open and
 * read again in place and parsed without a string: about 5 µs); null where the kernel does not offer it.
 */
export function threadCpuClock(): (() => number) | null {
  let fd: number;
  try {
    fd = openSync('/proc/thread-self/schedstat', 'r');
  } catch {
    return null;
  }
  const read = (): number => {
    const n = readSync(fd, schedstat, 0, schedstat.length, 0);
    const i = scanDecimal(schedstat, n); // ns, the first field
    return i > 0 && (i === n || schedstat[i] === 32 || schedstat[i] === 10) ? scanned.value / 1000 : Number.NaN;
  };
  return Number.isFinite(read()) ? read : null;
}

/**
 * Whether the process kept a CPU busy since the last look: more than `share` of one core, the
 * sampler thread's own time left out (`ownUs`). Marks are made by code that runs, so a process
 * making them is busy; this tells so without a mark costing a single store (a store per mark,
 * tried, made a hot loop's tasks several times dearer: it grew the inlined mark past V8's budget).
 * An idle service that makes a rare mark is sampled slowly, and its short tasks are labelled
 * apportioned, as they would be at the full rate.
 */
export class BusyProbe {
  #cpuUs: number;
  #ownUs: number;
  #atMs: number;
  #busy = false;

  /**
   * `windowMs`: the shortest span judged (a few ms of a runtime's own threads, a GC, a timer, would
   * make a busy span of a short one); looks within it repeat the last verdict. Half a second: the
   * rate slows after a second without activity at the soonest, and a look costs a woken sampler
   * thread tens of µs (its caches gone cold in the wait).
   */
  constructor(readonly share: number, nowMs: number, readonly cpuUs: () => number, readonly ownUs: () => number,
    readonly windowMs = 500) {
    this.#cpuUs = cpuUs();
    this.#ownUs = ownUs();
    this.#atMs = nowMs;
  }

  busy(nowMs: number): boolean {
    const spanMs = nowMs - this.#atMs;
    if (!(spanMs >= this.windowMs)) return this.#busy;
    const cpu = this.cpuUs();
    const own = this.ownUs();
    const usedMs = (cpu - this.#cpuUs - (own - this.#ownUs)) / 1000;
    this.#cpuUs = cpu;
    this.#ownUs = own;
    this.#atMs = nowMs;
    this.#busy = usedMs > this.share * spanMs;
    return this.#busy;
  }
}

/** Share of one core above which the process counts as busy, the sampler thread's own time left out. */
export const busyShare = 0.05;
/**
 * Without a per-thread clock: the sampler's time is its ticks plus this much per wake (ms), what
 * a wake from its blocking wait costs on a small VM (a futex and the scheduler: 0.03-0.07 ms
 * measured, rounded up; it was 0.1-0.25 ms through an event loop's timer).
 */
export const ownWakeMs = 0.1;
