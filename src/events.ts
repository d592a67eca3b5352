// The events a tracker dispatches, and how a warning nobody listens for is printed.
import { logLevels } from './config/keys.js';
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

/** Prints a warning on stderr as CodeCarbon's logger does, when `logLevel` (default info) lets warnings through. */
export function printWarning(message: string, o: { readonly logLevel?: string | number | null; readonly loggerPreamble?: string | null }): void {
  const threshold = typeof o.logLevel === 'number' ? o.logLevel : logLevels[o.logLevel ?? 'info'] ?? 20;
  if (threshold <= logLevels['warning']!) console.warn(`[codecarbon WARNING] ${o.loggerPreamble ?? ''}${message}`);
}
