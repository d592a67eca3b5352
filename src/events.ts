// The events a tracker dispatches.
import type { EmissionsRecord } from './output/record.js';

/** A problem the tracker met; it goes on measuring. */
export class TrackerWarningEvent extends Event {
  constructor(readonly message: string) {
    super('warning');
  }
}

/** Every measurePowerSecs: the record so far (not written anywhere). */
export class MeasurementEvent extends Event {
  constructor(readonly record: EmissionsRecord) {
    super('measurement');
  }
}
