// The interface every energy source implements, and what it says of each of its channels.
import { closeSync, constants, fstatSync, openSync, readSync, statfsSync, statSync } from 'node:fs';
import type { ChannelSpec } from '../wasm/integrator.js';
import type { MarkReading } from './mark.js';

/** Which part of the machine a channel's energy belongs to. */
export type Component = 'cpu' | 'ram' | 'gpu';

/** Where a channel's energy comes from; `measured` says whether it is a counter or an estimate. */
export type SourceName =
  | 'rapl' | 'rapl-psys' | 'rapl-dram'
  | 'cpu-load' | 'cpu-process' | 'tdp-constant'
  | 'dimm-model' | 'ram-process' | 'ram-forced'
  | 'nvml' | 'nvml-power';

/** One channel of a source: what the integrator needs plus what a reader of the output needs. */
export interface ChannelInfo extends ChannelSpec {
  /** Stable id, e.g. `rapl:intel-rapl:0` or `cpu-load`. */
  readonly id: string;
  readonly component: Component;
  readonly source: SourceName;
  /** True for hardware counters, false for estimates. */
  readonly measured: boolean;
  /** One line a person can read: what is measured and how. */
  readonly detail: string;
  /**
   * A hybrid channel (an NVIDIA GPU): its readings are power, and an energy counter read now and
   * then sets its exact total (assembly/reconcile.ts). The counter's scale and plausible maximum.
   */
  readonly counter?: { readonly scaleUj: number; readonly maxPowerW: number };
  /** The source also reports a utilisation in % (GPUs), kept on the timeline for the records. */
  readonly utilization?: true;
}

/** Where a source puts one tick's readings (the integrator). */
export interface ReadingSink {
  /** A counter reading: a bigint, or a number for an integer below 2^53 (no BigInt made per reading). */
  setCounter(channel: number, value: bigint | number): void;
  setPower(channel: number, watts: number): void;
  /** The energy counter of hybrid channel `channel` (its power goes to setPower). */
  setHybridCounter(channel: number, value: bigint): void;
  /** Hybrid channel `channel` has no counter any more (a lost GPU): what it has measured is final. */
  retireHybrid(channel: number): void;
  /** Utilisation in % of channel `channel` (one with `utilization`), held until the next reading. */
  setUtilization(channel: number, percent: number): void;
  /**
   * Channel `channel`'s next reading is a fresh baseline (its counter was replaced: a driver
   * reload), and its energy since `sinceMs` is unmeasured: rows overlapping it say so.
   */
  rebase(channel: number, sinceMs: number): void;
}

/** Reports a problem once per `cause`; the message names the thing and the fix. */
export type Warn = (cause: string, message: string) => void;

/** An open source: reads its channels at each tick, never throws for a failed read. */
export interface EnergySource {
  readonly channels: readonly ChannelInfo[];
  /**
   * Writes this tick's readings for channels `offset …` into `sink`; skips what it cannot read.
   * `exact`: someone waits for exact totals (a stop, a flush): read slow counters now too.
   * `slowdown`: the sampling period in force over the full rate's (1, or more while the process idles).
   */
  read(sink: ReadingSink, offset: number, tMs: number, exact: boolean, slowdown?: number): void;
  /**
   * The readings at the start mark, taken by the calling thread (`mark`), as this source's first
   * sample. A source without one has its first reading held back to the mark (extrapolated).
   */
  prime?(sink: ReadingSink, offset: number, mark: MarkReading): void;
  close(): void;
}

/**
 * Opened without blocking: a FIFO (or a device that waits for a writer) in place of a counter
 * file must not hold the thread that opens it; reading it then fails or reads nothing, and says so.
 */
const readFlags = constants.O_RDONLY | constants.O_NONBLOCK;

const smallBuffer = Buffer.allocUnsafe(4096);

/** The start of a small file as text (undefined when it cannot be read), never blocking on a FIFO. */
export function readSmall(path: string, bytes = 4096): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, readFlags);
  } catch {
    return undefined;
  }
  try {
    const n = readSync(fd, smallBuffer, 0, Math.min(bytes, smallBuffer.length), 0);
    return smallBuffer.toString('latin1', 0, n);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** statfs(2) types of the kernel's own file systems: sysfs (kernfs) and procfs. */
const sysfsMagic = 0x62656572;
const procMagic = 0x9fa0;

/**
 * Whether a descriptor kept open on `path` fails its reads once the file is removed: sysfs files
 * do (ENODEV: a driver reload removes its zones' nodes) and procfs files do (ESRCH: their process
 * is gone), while a regular file's descriptor goes on reading its last content. False when unsure.
 */
export function readsFailOnceRemoved(path: string): boolean {
  try {
    const type = statfsSync(path).type;
    return type === sysfsMagic || type === procMagic;
  } catch {
    return false;
  }
}

/** Reads the start of a small file through a kept-open descriptor with pread, as text. */
export class KeptFile {
  #fd: number;
  #ino: number;
  readonly #buf: Buffer;
  /** Whether its reads fail once the file is removed; undefined until asked (only RAPL zones are). */
  #failsOnceRemoved: boolean | undefined;

  /** Opens `path` (throws the fs error, which the caller translates). */
  constructor(readonly path: string, bytes = 64) {
    this.#fd = openSync(path, readFlags);
    this.#ino = fstatSync(this.#fd).ino;
    this.#buf = Buffer.allocUnsafe(bytes);
  }

  /**
   * Whether its reads fail once the file is removed (readsFailOnceRemoved(), of the file open now):
   * then a failed read tells of a replaced file, and reopenIfReplaced() need not be called before.
   */
  get failsOnceRemoved(): boolean {
    return (this.#failsOnceRemoved ??= readsFailOnceRemoved(this.path));
  }

  /** Up to `bytes` bytes from offset 0 (throws the fs error, which the caller translates). */
  text(): string {
    const n = readSync(this.#fd, this.#buf, 0, this.#buf.length, 0);
    return this.#buf.toString('latin1', 0, n);
  }

  /**
   * The file as a counter, read without making a string (the sampler reads its counters at every
   * tick, and a tick should leave no garbage behind): its value when it holds decimal digits below
   * 10^15 and a newline, as the kernel writes them, else its text for the caller to parse (throws
   * the fs error, as text() does).
   */
  counter(): number | string {
    const n = readSync(this.#fd, this.#buf, 0, this.#buf.length, 0);
    return decimalCounter(this.#buf, n) ?? this.#buf.toString('latin1', 0, n);
  }

  /**
   * Whether the path now names another file than the one kept open (deleted and made again, as a
   * driver reload does): then it is opened again and true is returned. The descriptor of a deleted
   * file goes on reading its last content, so without this the counter would freeze unseen.
   * @throws the fs error when the path cannot be opened any more.
   */
  reopenIfReplaced(): boolean {
    if (statSync(this.path).ino === this.#ino) return false;
    const fd = openSync(this.path, readFlags);
    this.close();
    this.#fd = fd;
    this.#ino = fstatSync(fd).ino;
    this.#failsOnceRemoved = undefined;
    return true;
  }

  close(): void {
    try {
      closeSync(this.#fd);
    } catch {
      // already gone with its device: nothing left to release
    }
  }
}

/** The value of the digits scanDecimal() read last (one shared object: a scan allocates nothing). */
export const scanned = { value: 0 };

/**
 * Reads the decimal digits that start the first `n` bytes of `buf` (a kernel file read in place):
 * their value goes to `scanned.value` (exact below 10^15), and where they end is returned (0: none).
 */
export function scanDecimal(buf: Uint8Array, n: number): number {
  let v = 0;
  let i = 0;
  for (; i < n; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
  }
  scanned.value = v;
  return i;
}

/** Digits below 10^15 (exact as a double), then only newlines, spaces or tabs; undefined otherwise. */
function decimalCounter(buf: Buffer, n: number): number | undefined {
  let i = scanDecimal(buf, n);
  const v = scanned.value;
  if (i === 0 || i > 15) return undefined;
  for (; i < n; i++) {
    const b = buf[i]!;
    if (b !== 10 && b !== 32 && b !== 9 && b !== 13) return undefined;
  }
  return v;
}
