// What the main thread and the sampler thread tell each other: boot data, the start result, events.
import type { ClockPair } from '../clock.js';
import type { HardwarePlan } from '../sources/detect.js';
import type { MarkReading } from '../sources/mark.js';
import type { ChannelInfo } from '../sources/source.js';
import type { EngineOptions } from './options.js';
import { kBootMark, kMarkFailed, kMarkPending, kMarkWritten, type RingShape } from './ring.js';

/** What tests inject into a real sampler thread. */
export interface SamplerInternals {
  /** Throw inside the sampling loop after this many ticks. */
  readonly crashAfterTicks?: number;
  /**
   * A module (file URL) whose default export `(tMs, data) => void` runs in the sampler thread
   * before each reading, with `tickHookData`: fake hardware that follows the sampler's own clock
   * (a scripted power schedule), so a test's truth never depends on how threads were scheduled.
   */
  readonly tickHook?: string;
  /** Structured-cloneable data for the tick hook (shared buffers stay shared). */
  readonly tickHookData?: unknown;
  /** A clock the test drives (scriptedClock): the sampler thread's time reads it instead of its own. */
  readonly clock?: SharedArrayBuffer;
  /**
   * Runs on the calling thread just before the start mark's reading, with the time the mark then
   * takes (a fake's readings written for exactly that time). Never sent to the thread.
   */
  readonly beforeMark?: (atMs: number) => void;
  /**
   * A file to write the V8 code cache of the thread's module to, once its start is posted: the
   * build's (scripts/code-cache.mjs), for later threads to load (worker-entry.cjs).
   */
  readonly codeCache?: string;
}

/** The internals the thread gets: everything but the calling thread's own hook (a function cannot be sent). */
export function threadInternals({ beforeMark: _, ...rest }: SamplerInternals): SamplerInternals {
  return rest;
}

/**
 * Everything the sampler thread needs, given to it as workerData when the first start() creates it:
 * it starts sampling as soon as its module loads, with no message from the main thread's event loop.
 */
export interface BootData {
  readonly options: EngineOptions;
  readonly clock: ClockPair;
  /**
   * The readings taken on the calling thread at the start mark: the first sample. A first thread
   * is set going before they are taken (the calling thread reads them while the thread boots) and
   * finds them in `markBuffer` (giveMark()) once the boot word kBootMark says so; a successor
   * gets them here.
   */
  readonly mark?: MarkReading;
  readonly markBuffer?: SharedArrayBuffer;
  /** Task slots the thread makes ready for the marks (arena.ts). */
  readonly arena?: SharedArrayBuffer;
  /** Boot words (kBoot*, ring.ts), made by the main thread before the ring exists. */
  readonly header: SharedArrayBuffer;
  /** BroadcastChannel names: `<channel>:result` carries the StartResult, `<channel>:events` the events. */
  readonly channel: string;
  readonly anchors: number;
  readonly internals?: SamplerInternals;
  /** For a successor of a thread given up while stuck in a read: the timeline to go on writing. */
  readonly resume?: ResumeData;
}

/**
 * What a successor thread needs to go on where a stuck one stopped: the ring (its last published
 * sample holds every cumulative value), the channels and plan it was made for (no discovery, no
 * NVML call for a source given up), and which sources stay silent from now on.
 */
export interface ResumeData {
  readonly buffer: SharedArrayBuffer;
  readonly shape: RingShape;
  readonly channels: readonly ChannelInfo[];
  readonly plan: HardwarePlan;
  readonly periodMs: number;
  /** Channels of each source, in source order. */
  readonly sourceChannels: readonly number[];
  /** Sources given up (stuck in a read): never opened again; their channels stop at their last reading. */
  readonly givenUp: readonly number[];
  /** Causes of the warnings already given: the successor's reopened sources do not give them again. */
  readonly warned: readonly string[];
}

/** The channels of source `i` (from, to: to excluded), given each source's channel count in source order. */
export function sourceRange(sourceChannels: readonly number[], i: number): [number, number] {
  let from = 0;
  for (let j = 0; j < i; j++) from += sourceChannels[j]!;
  return [from, from + (sourceChannels[i] ?? 0)];
}

/** What the sampler thread posts once its first samples are published. */
export interface StartResult {
  readonly ok: true;
  readonly buffer: SharedArrayBuffer;
  readonly shape: RingShape;
  readonly channels: readonly ChannelInfo[];
  readonly plan: HardwarePlan;
  /** The sampling period in use (shortened when a counter could otherwise wrap twice). */
  readonly periodMs: number;
  /** Time of the first sample: the start mark's reading, where every cumulative value is 0. */
  readonly originMs: number;
  /** What each source reads, in the order of the phase codes (phase.ts): a stuck read is named with it. */
  readonly sources: readonly string[];
  /** Channels of each source, in source order. */
  readonly sourceChannels: readonly number[];
}

/** What the sampler thread posts when it could not start. */
export interface StartFailure {
  readonly ok: false;
  readonly message: string;
}

/** Sampler → main events. */
export type SamplerEvent =
  | { readonly type: 'warning'; readonly cause: string; readonly message: string }
  | { readonly type: 'error'; readonly message: string; readonly stack?: string }
  | { readonly type: 'stopped' };

/** Bytes of BootData.markBuffer: a mark of a few dozen RAPL zones takes a few KiB. */
export const markBytes = 64 * 1024;

/**
 * Calling thread: gives the start mark to a thread waiting in takeMark(), as UTF-8 JSON after its
 * byte length in `buffer`. @throws when it does not fit (nothing is given then: see refuseMark()).
 */
export function giveMark(header: Int32Array, buffer: SharedArrayBuffer, mark: MarkReading): void {
  const text = JSON.stringify(mark);
  const { read, written } = new TextEncoder().encodeInto(text, new Uint8Array(buffer, 4));
  if (read !== text.length) throw new Error(`the start mark's readings (${text.length} characters) do not fit in ${buffer.byteLength - 4} bytes`);
  new Int32Array(buffer, 0, 1)[0] = written;
  Atomics.store(header, kBootMark, kMarkWritten);
  Atomics.notify(header, kBootMark);
}

/** Calling thread: no mark will come (the start failed there, and says why). */
export function refuseMark(header: Int32Array): void {
  Atomics.store(header, kBootMark, kMarkFailed);
  Atomics.notify(header, kBootMark);
}

/**
 * Sampler thread: waits, blocked, up to `waitMs` for the mark giveMark() writes; null when it was
 * refused or did not come (kBootMark then says which).
 */
export function takeMark(header: Int32Array, buffer: SharedArrayBuffer, waitMs: number): MarkReading | null {
  Atomics.wait(header, kBootMark, kMarkPending, waitMs);
  if (Atomics.load(header, kBootMark) !== kMarkWritten) return null;
  const n = new Int32Array(buffer, 0, 1)[0]!;
  // TextDecoder does not read shared memory: the bytes are copied out first.
  return JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, n).slice())) as MarkReading;
}
