// What a sampler tells those who listen: warnings, a failure, and the sources it gave up.
import type { SamplerError } from '../errors.js';
import type { ChannelInfo } from '../sources/source.js';

/** A problem a source met while sampling; dispatched once per cause. */
export class SamplerWarningEvent extends Event {
  constructor(readonly cause: string, readonly message: string) {
    super('warning');
  }
}

/** A source given up because one of its reads never returned: its channels stopped at `atMs`. */
export interface GivenUpSource {
  /** The source's place among the sampler's sources. */
  readonly index: number;
  /** What the source reads (its channels' details). */
  readonly source: string;
  readonly channels: readonly ChannelInfo[];
  /** Time of the last sample its channels were read in (the timeline's base, ms). */
  readonly atMs: number;
}

/** The sampler thread failed; what it measured before stays readable. */
export class SamplerErrorEvent extends Event {
  constructor(readonly error: SamplerError) {
    super('error');
  }
}
