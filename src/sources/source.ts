// The interface every energy source implements, and what it says of each of its channels.
import { closeSync, openSync, readSync } from 'node:fs';
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
  setCounter(channel: number, value: bigint): void;
  setPower(channel: number, watts: number): void;
  /** The energy counter of hybrid channel `channel` (its power goes to setPower). */
  setHybridCounter(channel: number, value: bigint): void;
  /** Hybrid channel `channel` has no counter any more (a lost GPU): what it has measured is final. */
  retireHybrid(channel: number): void;
  /** Utilisation in % of channel `channel` (one with `utilization`), held until the next reading. */
  setUtilization(channel: number, percent: number): void;
}

/** Reports a problem once per `cause`; the message names the thing and the fix. */
export type Warn = (cause: string, message: string) => void;

/** An open source: reads its channels at each tick, never throws for a failed read. */
export interface EnergySource {
  readonly channels: readonly ChannelInfo[];
  /**
   * Writes this tick's readings for channels `offset …` into `sink`; skips what it cannot read.
   * `exact`: someone waits for exact totals (a stop, a flush): read slow counters now too.
   */
  read(sink: ReadingSink, offset: number, tMs: number, exact: boolean): void;
  /**
   * The readings at the start mark, taken by the calling thread (`mark`), as this source's first
   * sample. A source without one has its first reading held back to the mark (extrapolated).
   */
  prime?(sink: ReadingSink, offset: number, mark: MarkReading): void;
  close(): void;
}

/** Reads the start of a small file through a kept-open descriptor with pread, as text. */
export class KeptFile {
  readonly #fd: number;
  readonly #buf: Buffer;

  /** Opens `path` (throws the fs error, which the caller translates). */
  constructor(readonly path: string, bytes = 64) {
    this.#fd = openSync(path, 'r');
    this.#buf = Buffer.allocUnsafe(bytes);
  }

  /** Up to `bytes` bytes from offset 0 (throws the fs error, which the caller translates). */
  text(): string {
    const n = readSync(this.#fd, this.#buf, 0, this.#buf.length, 0);
    return this.#buf.toString('latin1', 0, n);
  }

  close(): void {
    try {
      closeSync(this.#fd);
    } catch {
      // already gone with its device: nothing left to release
    }
  }
}
