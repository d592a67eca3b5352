// Messages between the main thread and the sampler thread.
import type { MessagePort } from 'node:worker_threads';
import type { ClockPair } from '../clock.js';
import type { HardwarePlan } from '../sources/detect.js';
import type { ChannelInfo } from '../sources/source.js';
import type { EngineOptions } from './options.js';
import type { RingShape } from './ring.js';

/** Faults the tests inject into a real sampler thread. */
export interface SamplerFaults {
  /** Throw inside the sampling loop after this many ticks. */
  readonly crashAfterTicks?: number;
}

/** The one task the sampler thread runs: discover, take a first sample, install the loop. */
export interface StartTask {
  readonly options: EngineOptions;
  readonly clock: ClockPair;
  /** Where warnings and errors go; unreferenced on the main side. */
  readonly port: MessagePort;
  readonly anchors: number;
  readonly faults?: SamplerFaults;
}

/** What the start task returns once the first sample is published. */
export interface StartResult {
  readonly buffer: SharedArrayBuffer;
  readonly shape: RingShape;
  readonly channels: readonly ChannelInfo[];
  readonly plan: HardwarePlan;
  /** The sampling period in use (shortened when a counter could otherwise wrap twice). */
  readonly periodMs: number;
}

/** Sampler → main events. */
export type SamplerEvent =
  | { readonly type: 'warning'; readonly cause: string; readonly message: string }
  | { readonly type: 'error'; readonly message: string; readonly stack?: string }
  | { readonly type: 'stopped' };
