// The events a tracker dispatches, and how a warning nobody listens for is printed.
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

const levels: Record<string, number> = { debug: 10, info: 20, warning: 30, error: 40, critical: 50 };

/** Prints a warning on stderr as CodeCarbon's logger does, when `logLevel` (default info) lets warnings through. */
export function printWarning(message: string, o: { readonly logLevel?: string | null; readonly loggerPreamble?: string | null }): void {
  if ((levels[o.logLevel ?? 'info'] ?? 20) <= levels['warning']!) console.warn(`[codecarbon WARNING] ${o.loggerPreamble ?? ''}${message}`);
}
